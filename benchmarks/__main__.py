"""`python -m benchmarks`: the same command as `etl bench` (options in benchmarks.cli).

Example:
    python -m benchmarks --scale 1 --repeat 3 --pg-url postgresql://postgres@127.0.0.1/postgres
    python -m benchmarks --cases generator,rebuild_duckdb --scale 1 --scale 10
"""

from __future__ import annotations

from benchmarks.cli import bench


def main(argv: list[str] | None = None) -> int:
    """Run the command; its exit code (2 for a usage error, 1 for a failed case)."""
    try:
        bench.main(argv, prog_name="python -m benchmarks")
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
