"""The runner: one process per run (warm-up + K measured), peak RSS from wait4, every
output checked against the reference before its timing counts, rows appended to the CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any, Final

from benchmarks import answers, report
from benchmarks.build import REPO, clean_env
from benchmarks.cases import BenchError, CaseContext, RunPlan, load
from benchmarks.dataset import engine_hash, ensure_dataset

if TYPE_CHECKING:
    from pathlib import Path

    from benchmarks.cases import Case, Result

CSV_HEADER: Final = (
    "timestamp",
    "case",
    "engine",
    "target",
    "scale",
    "rows",
    "repeat",
    "seconds",
    "rows_per_s",
    "peak_rss_mb",
    "polars",
    "duckdb",
    "pyarrow",
    "adbc",
    "python",
    "cpus",
    "days",
    "input_rows",
    "memory_limit_mb",
)
"""Columns of benchmarks.csv; an older file is rewritten with the new columns empty."""
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


@dataclass(frozen=True)
class Record:
    """One measurement of one run."""

    timestamp: str
    case: str
    engine: str
    target: str
    scale: float
    rows: int
    repeat: int
    seconds: float
    peak_rss_mb: float
    days: int
    full_days: int
    input_rows: int
    """Raw rows of the data this run read (fewer than full_rows when capped)."""
    full_rows: int
    memory_limit_mb: float | None = None
    """The memory budget the run was given; None for cases that take none."""

    @property
    def capped(self) -> bool:
        return self.days < self.full_days


def versions() -> dict[str, str]:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return ""

    return {
        "polars": version("polars"),
        "duckdb": version("duckdb"),
        "pyarrow": version("pyarrow"),
        "adbc": version("adbc-driver-postgresql"),
        "python": platform.python_version(),
        "cpus": str(os.cpu_count() or 0),
    }


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
    _upgrade_csv(options.out / "benchmarks.csv")
    _say("[answers] checking each engine against the oracle's stored answers")
    answer_failures = answers.check_engines(options.out / "cache")
    outcome.failures += answer_failures
    for scale in options.scales:
        _run_scale(scale, options, started.isoformat(), outcome)
    end_facts = report.machine_facts()
    print(report.markdown(outcome.records, facts, end_facts, versions(), options))
    print(_answers_line(failed=bool(answer_failures)))
    _section("**Skipped:**", outcome.skipped)
    _section("**Not compared** (the variant does not build these):", outcome.uncompared)
    if engine_hash() != code_at_start:
        # Runs are checked against a reference from the same code, but their times
        # then come from different engine versions.
        print(
            "\n**Warning:** engine/, queries/ or sql/ changed during this session; "
            "the timings span more than one engine version. Rerun for a clean table."
        )
    _section("**Failed (no timings reported for these):**", outcome.failures)
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
        ctx = CaseContext(
            scale=scale,
            seed=options.seed,
            days=options.days,
            dataset=dataset,
            workroot=options.out / "work",
            pg_url=options.pg_url,
            options={"baseline_budget": options.baseline_budget},
        )
        records, failed = _run_case(ctx, case, options, timestamp)
        outcome.records += records
        outcome.failures += failed
        outcome.uncompared += [
            f"scale {scale:g} {name}/{variant}: {line}"
            for variant in case.variants
            for line in case.not_compared(variant)
        ]


def _section(heading: str, lines: list[str]) -> None:
    """A Markdown list under its heading, when there is anything to list."""
    if lines:
        print(f"\n{heading}\n")
        for line in lines:
            print(f"- {line}")


def _answers_line(*, failed: bool) -> str:
    dataset = answers.DATASET
    verdict = "see Failed below" if failed else "equal"
    return (
        f"\nThe reference is vouched for by stored answers: {', '.join(answers.ENGINES)} "
        f"builds of `etl generate --scale {dataset['scale']:g} --days {dataset['days']} "
        f"--seed {dataset['seed']}` against tests/oracle.py's answers in "
        f"benchmarks/reference/{answers.ANSWERS.name}: {verdict}; "
        f"no oracle answer for {', '.join(answers.unanswered()) or 'none'}."
    )


def _run_case(
    ctx: CaseContext, case: Case, options: Options, timestamp: str
) -> tuple[list[Record], list[str]]:
    where = f"scale {ctx.scale:g} {case.name}"
    if case.needs_pg and not ctx.pg_url:
        return [], [f"{where}: needs PostgreSQL; pass --pg-url (or ETL_BENCH_PG_URL)"]
    variants = list(case.variants)
    failures = []
    if case.classic_variants and not _has_pandas():
        failures.append(
            f"{where} {'/'.join(sorted(case.classic_variants))}: needs the bench extra; "
            "install it with .venv/bin/python -m pip install -e '.[bench]'"
        )
        variants = [v for v in variants if v not in case.classic_variants]
    records: list[Record] = []
    try:
        if variants:
            case.prepare(ctx)
        for variant in variants:
            try:
                found = _run_variant(ctx, case, variant, options, timestamp)
            except BenchError as exc:
                failures.append(f"{where}/{variant}: {exc}")
                _say(f"[{where}/{variant}] FAILED: {exc}")
                continue
            _append_csv(options.out / "benchmarks.csv", found)
            records += found
    except BenchError as exc:
        failures.append(f"{where}: {exc}")
    finally:
        case.finish(ctx)
    return records, failures


def _run_variant(
    ctx: CaseContext, case: Case, variant: str, options: Options, timestamp: str
) -> list[Record]:
    classic = variant in case.classic_variants
    repeat = options.baseline_repeat if classic else options.repeat
    dataset = ctx.dataset
    records = []
    days = ctx.days
    for index in range(0 if options.warmup else 1, repeat + 1):
        if classic:
            days = _classic_days(ctx, index, records_of_warmup=records)
        plan = RunPlan(
            case=case.name,
            variant=variant,
            index=index,
            days=days,
            workdir=ctx.workroot / f"{case.name}-{variant}-{index}",
            data_dir=dataset.view(days),
            reference=dataset.reference(days),
            rows=dataset.rows(days),
        )
        result, rss_mb = _one_run(ctx, case, plan, options)
        label = "warm-up" if plan.warmup else f"run {index}/{repeat}"
        seconds = ", ".join(
            f"{m['target']} {m['seconds']:.2f} s" for m in result["measurements"]
        )
        _say(
            f"[scale {ctx.scale:g} {case.name}/{variant}] {label} ({days} days): "
            f"{seconds}, peak RSS {rss_mb:.0f} MB, checked equal"
        )
        records += [
            Record(
                timestamp=timestamp,
                case=case.name,
                engine=m["engine"],
                target=m["target"],
                scale=ctx.scale,
                rows=int(m["rows"]),
                repeat=index,
                seconds=float(m["seconds"]),
                peak_rss_mb=rss_mb,
                days=days,
                full_days=ctx.days,
                input_rows=plan.rows,
                full_rows=dataset.rows(),
                memory_limit_mb=options.memory_limit_mb
                if case.takes_memory_limit
                else None,
            )
            for m in result["measurements"]
        ]
    return [r for r in records if r.repeat > 0]


def _classic_days(ctx: CaseContext, index: int, records_of_warmup: list[Record]) -> int:
    """Warm up on a week; then the full data if it fits the budget (always at scale <= 1)."""
    if index == 0:
        return min(WARMUP_DAYS, ctx.days)
    if ctx.scale <= 1 or not records_of_warmup:
        return ctx.days
    slowest = max(records_of_warmup, key=lambda r: r.seconds)
    rate = slowest.rows / max(slowest.seconds, 1e-9)
    rows_per_day = ctx.dataset.rows() / ctx.days
    fits = math.floor(ctx.options["baseline_budget"] * rate / rows_per_day)
    return max(min(WARMUP_DAYS, ctx.days), min(ctx.days, fits))


def _one_run(
    ctx: CaseContext, case: Case, plan: RunPlan, options: Options
) -> tuple[Result, float]:
    shutil.rmtree(plan.workdir, ignore_errors=True)
    plan.workdir.mkdir(parents=True)
    spec: dict[str, Any] = {
        "case": plan.case,
        "variant": plan.variant,
        "index": plan.index,
        "scale": ctx.scale,
        "seed": ctx.seed,
        "days": plan.days,
        "rows": plan.rows,
        "data_dir": str(plan.data_dir),
        "reference": str(plan.reference),
        "workdir": str(plan.workdir),
        "result_path": str(plan.workdir / "result.json"),
        "memory_limit": options.memory_limit,
    }
    try:
        spec |= case.before_run(ctx, plan)
        spec_path = plan.workdir / "spec.json"
        spec_path.write_text(json.dumps(spec))
        code, rss_mb = spawn(f"benchmarks.cases.{plan.case}", spec_path, plan.workdir)
        if code != 0:
            raise BenchError(_failure(plan.workdir / "run.log", code))
        result = json.loads((plan.workdir / "result.json").read_text())
        case.check(ctx, plan, spec, result)
    finally:
        case.after_run(ctx, plan, spec)
        if not options.keep_work:
            shutil.rmtree(plan.workdir, ignore_errors=True)
    return result, rss_mb


def spawn(module: str, spec_path: Path, workdir: Path) -> tuple[int, float]:
    """Run `python -m module spec` in its own process; (exit code, peak RSS in MB).

    The run is started by the small benchmarks.rss launcher, which reads its peak RSS
    with wait4: a child forked from this process would be charged with our peak too.
    """
    rss_path = workdir / "peak_rss_kib"
    command = [sys.executable, "-m", module, str(spec_path)]
    with (workdir / "run.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.rss", str(rss_path), "--", *command],
            cwd=REPO,
            env=clean_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            code = proc.wait()
        except BaseException:
            proc.terminate()
            proc.wait()
            raise
    peak = int(rss_path.read_text()) / 1024 if rss_path.exists() else float("nan")
    return code, peak


def _failure(log: Path, code: int) -> str:
    lines = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
    errors = [line for line in lines if line.startswith("Error: ")]
    if errors:
        return errors[-1].removeprefix("Error: ")
    tail = " | ".join(lines[-6:])
    return f"run process exited with {code}: {tail}"


def _append_csv(path: Path, records: list[Record]) -> None:
    if not records:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    info = versions()
    with path.open("a", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(CSV_HEADER)
        for r in records:
            writer.writerow(
                [
                    r.timestamp,
                    r.case,
                    r.engine,
                    r.target,
                    f"{r.scale:g}",
                    r.rows,
                    r.repeat,
                    f"{r.seconds:.4f}",
                    f"{r.rows / r.seconds:.0f}" if r.seconds > 0 else "",
                    f"{r.peak_rss_mb:.1f}",
                    info["polars"],
                    info["duckdb"],
                    info["pyarrow"],
                    info["adbc"],
                    info["python"],
                    info["cpus"],
                    r.days,
                    r.input_rows,
                    "" if r.memory_limit_mb is None else f"{r.memory_limit_mb:.0f}",
                ]
            )


def _upgrade_csv(path: Path) -> None:
    """Rewrite a CSV of an older harness under today's header, new columns empty."""
    if not path.exists():
        return
    with path.open(newline="") as handle:
        if tuple(next(csv.reader(handle), [])) == CSV_HEADER:
            return
        handle.seek(0)
        rows = list(csv.DictReader(handle))
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    with tmp.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, CSV_HEADER, restval="", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


def _has_pandas() -> bool:
    import importlib.util

    return all(
        importlib.util.find_spec(name) for name in ("pandas", "sqlalchemy", "psycopg")
    )


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
