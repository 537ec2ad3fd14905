"""The runner: one process per run (warm-up + K measured), peak RSS from wait4, every
output checked against the reference before its timing counts, rows appended to the CSV.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from benchmarks import answers, report
from benchmarks.cases import BenchError, CaseContext, Run, load
from benchmarks.dataset import engine_hash, ensure_dataset
from benchmarks.process import failure, spawn
from benchmarks.results import Record, append_csv, upgrade_csv, versions

if TYPE_CHECKING:
    from pathlib import Path

    from benchmarks.cases import Case

WARMUP_DAYS: Final = 7
"""Days of a classic variant's warm-up, which also measures its rate for the cap."""


@dataclass(frozen=True)
class Options:
    cases: tuple[str, ...]
    scales: tuple[float, ...]
    repeat: int
    out: Path
    days: int = 365
    seed: int = 42
    pg_url: str | None = None
    baseline_budget: float = 120.0
    """Seconds a classic (pandas) run may take; beyond scale 1 it loads fewer days."""
    baseline_repeat: int = 1
    warmup: bool = True
    """One unmeasured run first; off only for smoke tests (classic runs then go full)."""
    keep_work: bool = False
    memory_limit: str | None = None
    """--memory-limit for `etl run` and `etl publish` (None: the engine's default)."""
    data_root: Path | None = None
    """Pre-generated data: data_root/s<scale> is used when it exists."""
    in_memory_max_scale: float = 10.0
    """Cases that hold whole tables in memory by design are skipped above this scale."""

    @property
    def memory_limit_mb(self) -> float:
        """The budget the runs get, in MB (10**6 bytes)."""
        from engine.memory import DEFAULT_MEMORY_LIMIT, parse_size

        limit = self.memory_limit
        return (parse_size(limit) if limit else DEFAULT_MEMORY_LIMIT) / 1e6


@dataclass
class Outcome:
    """What a session found: the measurements and the lines of the summary's tail."""

    records: list[Record] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    uncompared: list[str] = field(default_factory=list)


def run(options: Options) -> int:
    """Run every case at every scale; print the summary; 0 when all passed."""
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    facts = report.machine_facts()
    code_at_start = engine_hash()
    outcome = Outcome()
    upgrade_csv(options.out / "benchmarks.csv")
    _say("[answers] checking each engine against the oracle's stored answers")
    answer_failures = answers.check_engines(options.out / "cache")
    outcome.failures += answer_failures
    for scale in options.scales:
        _run_scale(scale, options, started.isoformat(), outcome)
    end_facts = report.machine_facts()
    print(report.markdown(outcome.records, facts, end_facts, versions(), options))
    changed = engine_hash() != code_at_start
    print(report.tail(outcome, answers_failed=bool(answer_failures), changed=changed))
    return 1 if outcome.failures else 0


def _run_scale(
    scale: float, options: Options, timestamp: str, outcome: Outcome
) -> None:
    _say(f"[scale {scale:g}] preparing data (cached after the first time)")
    dataset = ensure_dataset(
        options.out / "cache",
        scale=scale,
        seed=options.seed,
        days=options.days,
        data_root=options.data_root,
        memory_limit=options.memory_limit,
    )
    dataset.reference()
    for name in options.cases:
        case = load(name)
        if case.holds_tables and scale > options.in_memory_max_scale:
            outcome.skipped.append(
                f"scale {scale:g} {name}: holds whole tables in memory by design "
                f"(runs up to --in-memory-max-scale {options.in_memory_max_scale:g})"
            )
            continue
        _run_case(CaseContext(options, scale, dataset), case, timestamp, outcome)
        outcome.uncompared += [
            f"scale {scale:g} {name}/{variant}: {line}"
            for variant in case.variants
            for line in case.not_compared(variant)
        ]


def _run_case(ctx: CaseContext, case: Case, timestamp: str, outcome: Outcome) -> None:
    where = f"scale {ctx.scale:g} {case.name}"
    if case.needs_pg and not ctx.options.pg_url:
        outcome.failures.append(
            f"{where}: needs PostgreSQL; pass --pg-url (or ETL_BENCH_PG_URL)"
        )
        return
    variants = list(case.variants)
    if case.classic_variants and not _has_pandas():
        outcome.failures.append(
            f"{where} {'/'.join(sorted(case.classic_variants))}: needs the bench extra; "
            "install it with .venv/bin/python -m pip install -e '.[bench]'"
        )
        variants = [v for v in variants if v not in case.classic_variants]
    try:
        if variants:
            case.prepare(ctx)
        for variant in variants:
            try:
                found = _run_variant(ctx, case, variant, timestamp)
            except BenchError as exc:
                outcome.failures.append(f"{where}/{variant}: {exc}")
                _say(f"[{where}/{variant}] FAILED: {exc}")
                continue
            append_csv(ctx.options.out / "benchmarks.csv", found)
            outcome.records += found
    except BenchError as exc:
        outcome.failures.append(f"{where}: {exc}")
    finally:
        case.finish(ctx)


def _run_variant(
    ctx: CaseContext, case: Case, variant: str, timestamp: str
) -> list[Record]:
    options, dataset = ctx.options, ctx.dataset
    classic = variant in case.classic_variants
    repeat = options.baseline_repeat if classic else options.repeat
    records: list[Record] = []
    days = options.days
    for index in range(0 if options.warmup else 1, repeat + 1):
        if classic:
            days = _classic_days(ctx, index, records_of_warmup=records)
        run = Run(
            case=case.name,
            variant=variant,
            index=index,
            scale=ctx.scale,
            seed=options.seed,
            days=days,
            rows=dataset.rows(days),
            data_dir=dataset.view(days),
            reference=dataset.reference(days),
            workdir=options.out / "work" / f"{case.name}-{variant}-{index}",
            memory_limit=options.memory_limit,
        )
        measured, rss_mb = _one_run(ctx, case, run)
        label = "warm-up" if index == 0 else f"run {index}/{repeat}"
        timings = ", ".join(f"{t} {s:.2f} s" for t, (_, s) in measured.items())
        _say(
            f"[scale {ctx.scale:g} {case.name}/{variant}] {label} ({days} days): "
            f"{timings}, peak RSS {rss_mb:.0f} MB, checked equal"
        )
        records += [
            Record(
                timestamp=timestamp,
                case=case.name,
                engine=variant,
                target=target,
                scale=ctx.scale,
                rows=int(rows),
                repeat=index,
                seconds=float(seconds),
                peak_rss_mb=rss_mb,
                days=days,
                full_days=options.days,
                input_rows=run.rows,
                full_rows=dataset.rows(),
                memory_limit_mb=options.memory_limit_mb
                if case.takes_memory_limit
                else None,
            )
            for target, (rows, seconds) in measured.items()
        ]
    return [r for r in records if r.repeat > 0]


def _classic_days(ctx: CaseContext, index: int, records_of_warmup: list[Record]) -> int:
    """Warm up on a week; then the full data if it fits the budget (always at scale <= 1)."""
    days = ctx.options.days
    if index == 0:
        return min(WARMUP_DAYS, days)
    if ctx.scale <= 1 or not records_of_warmup:
        return days
    slowest = max(records_of_warmup, key=lambda r: r.seconds)
    rate = slowest.rows / max(slowest.seconds, 1e-9)
    rows_per_day = ctx.dataset.rows() / days
    fits = math.floor(ctx.options.baseline_budget * rate / rows_per_day)
    return max(min(WARMUP_DAYS, days), min(days, fits))


def _one_run(
    ctx: CaseContext, case: Case, run: Run
) -> tuple[dict[str, list[float]], float]:
    """Run one process and check its output; (its measurements, its peak RSS in MB)."""
    shutil.rmtree(run.workdir, ignore_errors=True)
    run.workdir.mkdir(parents=True)
    log = run.workdir / "run.log"
    try:
        run = case.before_run(ctx, run)
        spec = run.workdir / "spec.json"
        spec.write_text(run.to_json())
        code, rss_mb = spawn("benchmarks.cases", str(spec), log=log)
        if code != 0:
            raise BenchError(failure(log, code))
        measured = json.loads((run.workdir / "result.json").read_text())
        case.check(ctx, run)
    finally:
        case.after_run(ctx, run)
        if not ctx.options.keep_work:
            shutil.rmtree(run.workdir, ignore_errors=True)
    return measured, rss_mb


def _has_pandas() -> bool:
    import importlib.util

    return all(
        importlib.util.find_spec(name) for name in ("pandas", "sqlalchemy", "psycopg")
    )


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
