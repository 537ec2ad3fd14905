"""The benchmark cases: one module each, a `Case` subclass with runner-side hooks and the
`measure` function that runs in the case's own process (`python -m benchmarks.cases.X`).
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

if TYPE_CHECKING:
    from benchmarks.dataset import Dataset

CASE_NAMES: Final = (
    "generator",
    "rebuild_duckdb",
    "rebuild_postgres",
    "publish_postgres",
    "classic_baseline",
    "copy_floor",
    "transform_only",
)

Spec = dict[str, Any]
"""What a run process gets (JSON): paths, scale, variant, database URL, ..."""
Result = dict[str, Any]
"""What it returns (JSON): {"measurements": [{engine, target, rows, seconds}]}."""


class BenchError(Exception):
    """A case cannot run as asked; the message says why and what to do."""


class CheckFailed(BenchError):
    """A run's output differs from the reference: its timings are not reported."""


@dataclass(frozen=True)
class CaseContext:
    """Everything a case needs on the runner side for one scale."""

    scale: float
    seed: int
    days: int
    dataset: Dataset
    workroot: Path
    pg_url: str | None
    """Admin URL of the PostgreSQL server; databases etl_bench_* are made from it."""
    options: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    """Per-case scratch space shared by prepare, the runs and finish."""


@dataclass(frozen=True)
class RunPlan:
    """One process: a warm-up (index 0) or a measured run of a case variant."""

    case: str
    variant: str
    index: int
    days: int
    workdir: Path
    data_dir: Path
    reference: Path
    rows: int
    """Raw input rows of the run's data."""

    @property
    def warmup(self) -> bool:
        return self.index == 0


class Case:
    """Runner-side hooks of a case; the defaults do nothing."""

    name: ClassVar[str]
    variants: ClassVar[tuple[str, ...]]
    needs_pg: ClassVar[bool] = False
    classic_variants: ClassVar[frozenset[str]] = frozenset()
    """Variants of the classic (pandas) baseline: they need the bench extra (pandas,
    sqlalchemy, psycopg) and are capped by the time budget."""
    holds_tables: ClassVar[bool] = False
    """Holds whole tables in memory by design: skipped above --in-memory-max-scale."""
    takes_memory_limit: ClassVar[bool] = False
    """Runs `etl run` or `etl publish`, which get the session's --memory-limit."""

    def prepare(self, ctx: CaseContext) -> None:
        """Once per scale, before the first run (untimed)."""

    def before_run(self, ctx: CaseContext, plan: RunPlan) -> Spec:
        """Extra spec entries for one run, e.g. a fresh database URL."""
        return {}

    def check(
        self, ctx: CaseContext, plan: RunPlan, spec: Spec, result: Result
    ) -> None:
        """Raise CheckFailed unless the run's output equals the reference."""

    def after_run(self, ctx: CaseContext, plan: RunPlan, spec: Spec) -> None:
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

    def measure(self, spec: Spec) -> Result:
        """Runs in the case's own process: set up, time the real work, report."""
        raise NotImplementedError


class PostgresDatabaseCase(Case):
    """A case that loads a fresh database per run, checked against the reference."""

    needs_pg: ClassVar[bool] = True

    def database_name(self, plan: RunPlan) -> str:
        """Suffix of the run's throwaway database name."""
        raise NotImplementedError

    def label(self, plan: RunPlan) -> str:
        """What produced the tables, for check failures."""
        raise NotImplementedError

    def before_run(self, ctx: CaseContext, plan: RunPlan) -> Spec:
        from benchmarks.pg import create_database

        assert ctx.pg_url is not None
        return {"pg_url": create_database(ctx.pg_url, self.database_name(plan))}

    def check(
        self, ctx: CaseContext, plan: RunPlan, spec: Spec, result: Result
    ) -> None:
        from benchmarks.compare import check_tables, postgres_source

        check_tables(
            plan.reference,
            postgres_source(spec["pg_url"]),
            self.compared_tables(plan.variant),
            self.label(plan),
        )

    def after_run(self, ctx: CaseContext, plan: RunPlan, spec: Spec) -> None:
        from benchmarks.pg import drop_database

        if ctx.pg_url and "pg_url" in spec:
            drop_database(ctx.pg_url, spec["pg_url"])


def load(name: str) -> Case:
    if name not in CASE_NAMES:
        msg = f"unknown case {name!r}; choose from {', '.join(CASE_NAMES)}"
        raise BenchError(msg)
    module = importlib.import_module(f"benchmarks.cases.{name}")
    return module.CASE


def measurement(engine: str, target: str, rows: int, seconds: float) -> dict[str, Any]:
    return {"engine": engine, "target": target, "rows": rows, "seconds": seconds}


class Timer:
    """Wall seconds of a block (perf_counter)."""

    def __enter__(self) -> Timer:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


def child_main(case: Case) -> int:
    """Entry point of a run process: read the spec, measure, write the result."""
    spec_path = Path(sys.argv[1])
    spec = json.loads(spec_path.read_text())
    try:
        result = case.measure(spec)
    except BenchError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except Exception:  # noqa: BLE001 - the runner shows the traceback from the log
        traceback.print_exc()
        return 1
    Path(spec["result_path"]).write_text(json.dumps(result, default=str))
    return 0
