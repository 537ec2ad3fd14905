"""`python -m benchmarks`: the same command as `etl bench` (options in benchmarks.cli).

Example:
    python -m benchmarks --scale 1 --repeat 3 --pg-url postgresql://postgres@127.0.0.1/postgres
    python -m benchmarks --cases generator,rebuild_duckdb --scale 1 --scale 10
"""

from __future__ import annotations

import click

from benchmarks.cli import bench


def main(argv: list[str] | None = None) -> int:
    """Run the command; its exit code (2 for a usage error, 1 for a failed case)."""
    try:
        bench.main(argv, prog_name="python -m benchmarks", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
