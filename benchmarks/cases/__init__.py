"""The benchmark cases, one module each: a `Case` with runner-side hooks and the
`measure` method that runs in the case's own process (`python -m benchmarks.cases`).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

if TYPE_CHECKING:
    from benchmarks.compare import Source
    from benchmarks.dataset import Dataset
    from benchmarks.runner import Options

CASE_NAMES: Final = (
    "generator",
    "rebuild_duckdb",
    "rebuild_postgres",
    "publish_postgres",
    "classic_baseline",
    "copy_floor",
    "transform_only",
)

Measurements = dict[str, tuple[int, float]]
"""What a run reports, per target: (rows, wall seconds); the engine is the variant."""


class BenchError(Exception):
    """A case cannot run as asked; the message says why and what to do."""


class CheckFailed(BenchError):
    """A run's output differs from the reference: its timings are not reported."""


@dataclass(frozen=True)
class CaseContext:
    """Everything a case needs on the runner side for one scale."""

    options: Options
    scale: float
    dataset: Dataset
    state: dict[str, Any] = field(default_factory=dict)
    """Per-case scratch space shared by prepare, the runs and finish."""


@dataclass(frozen=True)
class Run:
    """One process: a warm-up (index 0) or a measured run; its spec.json."""

    case: str
    variant: str
    index: int
    scale: float
    seed: int
    days: int
    rows: int
    """Raw input rows of the run's data."""
    data_dir: Path
    reference: Path
    workdir: Path
    memory_limit: str | None = None
    pg_url: str | None = None
    """The database the run loads (a fresh one per run, or the COPY floor's)."""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), default=str)

    @classmethod
    def from_json(cls, text: str) -> Run:
        fields = json.loads(text)
        paths = {k: Path(fields[k]) for k in ("data_dir", "reference", "workdir")}
        return cls(**fields | paths)


class Case:
    """Runner-side hooks of a case; the defaults do nothing."""

    variants: ClassVar[tuple[str, ...]]
    label: ClassVar[str] = ""
    """What made the checked output, for a failed check (`{variant}` filled in)."""
    needs_pg: ClassVar[bool] = False
    classic_variants: ClassVar[frozenset[str]] = frozenset()
    """Variants of the classic (pandas) baseline: they need the bench extra (pandas,
    sqlalchemy, psycopg) and are capped by the time budget."""
    holds_tables: ClassVar[bool] = False
    """Holds whole tables in memory by design: skipped above --in-memory-max-scale."""
    takes_memory_limit: ClassVar[bool] = False
    """Runs `etl run` or `etl publish`, which get the session's --memory-limit."""

    @property
    def name(self) -> str:
        return type(self).__module__.rsplit(".", 1)[-1]

    def prepare(self, ctx: CaseContext) -> None:
        """Once per scale, before the first run (untimed)."""

    def before_run(self, ctx: CaseContext, run: Run) -> Run:
        """The run as its process gets it, e.g. with a fresh database."""
        return run

    def output(self, run: Run) -> Source:
        """Where the run left its tables, for the check."""
        raise NotImplementedError

    def check(self, ctx: CaseContext, run: Run) -> None:
        """Raise CheckFailed unless the run's output equals the reference."""
        from benchmarks.compare import check_tables

        tables = self.compared_tables(run.variant)
        label = self.label.format(variant=run.variant)
        check_tables(run.reference, self.output(run), tables, label)

    def after_run(self, ctx: CaseContext, run: Run) -> None:
        """Clean up one run (also after a failure)."""

    def finish(self, ctx: CaseContext) -> None:
        """Once per scale, after the last run."""

    def compared_tables(self, variant: str) -> list[str]:
        """The staging and prod tables a variant's output is checked on."""
        from benchmarks.compare import built_tables, classic_tables

        return (
            classic_tables()[0] if variant in self.classic_variants else built_tables()
        )

    def not_compared(self, variant: str) -> list[str]:
        """Tables a variant lacks by design, with why: listed in the summary."""
        if variant not in self.classic_variants:
            return []
        from benchmarks.compare import classic_tables

        return [f"{table}: not in classic baseline" for table in classic_tables()[1]]

    def measure(self, run: Run) -> Measurements:
        """Runs in the case's own process: set up, time the real work, report."""
        raise NotImplementedError


class PostgresDatabaseCase(Case):
    """A case that loads a fresh database per run, checked against the reference."""

    needs_pg: ClassVar[bool] = True
    database: ClassVar[str]
    """Label in the run's throwaway database name (`{variant}` filled in)."""

    def before_run(self, ctx: CaseContext, run: Run) -> Run:
        from benchmarks.pg import create_database

        assert ctx.options.pg_url is not None
        name = self.database.format(variant=run.variant)
        url = create_database(ctx.options.pg_url, name)
        return dataclasses.replace(run, pg_url=url)

    def output(self, run: Run) -> Source:
        from benchmarks.compare import postgres_source

        assert run.pg_url is not None
        return postgres_source(run.pg_url)

    def after_run(self, ctx: CaseContext, run: Run) -> None:
        from benchmarks.pg import drop_database

        if ctx.options.pg_url and run.pg_url:
            drop_database(ctx.options.pg_url, run.pg_url)


def load(name: str) -> Case:
    if name not in CASE_NAMES:
        msg = f"unknown case {name!r}; choose from {', '.join(CASE_NAMES)}"
        raise BenchError(msg)
    return importlib.import_module(f"benchmarks.cases.{name}").CASE


class Timer:
    """Wall seconds of a block (perf_counter)."""

    def __enter__(self) -> Timer:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
