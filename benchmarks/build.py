"""The engine's library as the benchmarks call it: generate, run, publish, set up.

The run processes call these functions inside their timers. The harness's own untimed
builds (a data set, a reference warehouse) call them through `python -m benchmarks.build
JSON` instead, so a large build never grows the harness process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

from benchmarks.cases import BenchError, Timer
from benchmarks.process import failure, spawn

if TYPE_CHECKING:
    from engine.config import Settings
    from engine.pipeline import RunSummary
    from engine.publish import Published

START: Final = dt.date(2025, 1, 1)
"""First day of every benchmark data set."""


def preload() -> None:
    """Import what the library imports lazily, so a timer measures work, not imports."""
    import engine.generate
    import engine.pipeline
    import engine.postgres
    import engine.prod
    import engine.raw
    import engine.staging
    import engine.warehouse  # noqa: F401

    # pyarrow imports pandas, when it is installed, at the first array it builds
    # from Python objects: an import as well, 0.3-0.5 s of it.
    with contextlib.suppress(ImportError):
        import pandas  # noqa: F401


def generate(out: Path, *, scale: float, seed: int, days: int) -> int:
    """`etl generate` of `days` days from START; the rows written."""
    from engine.generate import generate_dataset

    end = START + dt.timedelta(days=days - 1)
    summary = generate_dataset(out, start=START, end=end, scale=scale, seed=seed)
    return sum(summary.rows.values())


def run(
    data_dir: Path,
    warehouse: Path,
    *,
    engine: str = "polars",
    pg_url: str | None = None,
    memory_limit: str | None = None,
) -> tuple[float, RunSummary]:
    """`etl run` of every layer; (wall seconds, its RunSummary)."""
    from engine.pipeline import run_pipeline

    settings = _settings(
        data_dir=data_dir,
        warehouse=warehouse,
        engine=engine,
        pg_url=pg_url,
        memory_limit=memory_limit,
    )
    with _as_bench_error(f"etl run --engine {engine}"), Timer() as timer:
        summary = run_pipeline(settings)
    return timer.seconds, summary


def publish(
    warehouse: Path, pg_url: str, *, memory_limit: str | None = None
) -> tuple[float, dict[str, Published]]:
    """`etl publish` of every layer; (wall seconds, what each layer sent)."""
    from engine.publish import publish_warehouse

    settings = _settings(warehouse=warehouse, pg_url=pg_url, memory_limit=memory_limit)
    with _as_bench_error("etl publish"), Timer() as timer:
        published = publish_warehouse(settings)
    return timer.seconds, published


def setup_postgres(pg_url: str) -> None:
    """`etl setup --pg-url`: schemas, tables, keys, indexes, as a deployment has them."""
    from engine.config import Settings
    from engine.sink import connect_target

    target = connect_target(Settings(pg_url=pg_url))
    assert target is not None
    with _as_bench_error("etl setup"), contextlib.closing(target):
        target.setup()


def sent(published: dict[str, Published]) -> tuple[int, float]:
    """Rows and seconds of the layers that went to PostgreSQL (not up to date)."""
    moved = [p for p in published.values() if not p.up_to_date]
    return sum(p.rows for p in moved), sum(p.seconds for p in moved)


def in_own_process(task: str, **arguments: str | float | None) -> None:
    """Run generate or run (untimed) in a process of its own; raise with its error."""
    with tempfile.TemporaryDirectory(prefix="etl_bench_build_") as tmp:
        log = Path(tmp) / "build.log"
        code, _ = spawn("benchmarks.build", json.dumps([task, arguments]), log=log)
        if code != 0:
            msg = f"{task} {arguments} failed: {failure(log, code)}"
            raise BenchError(msg)


def _settings(memory_limit: str | None, **fields: object) -> Settings:
    from engine.config import Settings
    from engine.memory import DEFAULT_MEMORY_LIMIT, parse_size

    limit = parse_size(memory_limit) if memory_limit else DEFAULT_MEMORY_LIMIT
    return Settings(memory_limit=limit, **fields)  # type: ignore[arg-type]


@contextlib.contextmanager
def _as_bench_error(what: str):  # noqa: ANN202 - a context manager
    """The engine's one-line error, named after the command it stands for."""
    from engine.errors import EtlError

    try:
        yield
    except EtlError as exc:
        msg = f"{what}: {exc}"
        raise BenchError(msg) from exc


def main(argv: list[str]) -> int:
    """`python -m benchmarks.build '["generate" or "run", {keyword arguments}]'`."""
    task, arguments = json.loads(argv[0])
    paths = {k: Path(v) for k, v in arguments.items() if k in _PATHS}
    {"generate": generate, "run": run}[task](**(arguments | paths))
    return 0


_PATHS: Final = frozenset({"out", "data_dir", "warehouse"})
"""The keyword arguments that are paths (JSON carries them as text)."""

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
