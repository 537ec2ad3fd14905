"""The Markdown summary: one line per (case, engine, target, scale) and the ratios."""

from __future__ import annotations

import itertools
import os
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks import answers
from benchmarks.cases import CASE_NAMES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from benchmarks.results import Record
    from benchmarks.runner import Options, Outcome

Key = tuple[float, str, str, str]
"""(scale, case, engine, target)."""


@dataclass(frozen=True)
class Group:
    """The K measured runs of one (scale, case, engine, target)."""

    records: tuple[Record, ...]

    @property
    def first(self) -> Record:
        return self.records[0]

    @property
    def rows(self) -> int:
        return self.first.rows

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.records)

    @property
    def rate(self) -> float:
        return self.rows / self.median if self.median > 0 else 0.0

    @property
    def peak_rss(self) -> float:
        return max(r.peak_rss_mb for r in self.records)


def machine_facts() -> dict[str, Any]:
    model, ram_gb = "", 0.0
    cpuinfo, meminfo = Path("/proc/cpuinfo"), Path("/proc/meminfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = int(line.split()[1]) / 1024**2
                break
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "ram_gb": ram_gb,
        "load": os.getloadavg()[0],
    }


def groups(records: Sequence[Record]) -> dict[Key, Group]:
    found: dict[Key, list[Record]] = {}
    for r in records:
        found.setdefault((r.scale, r.case, r.engine, r.target), []).append(r)
    return {key: Group(tuple(rs)) for key, rs in found.items()}


def markdown(
    records: Sequence[Record],
    start: dict[str, Any],
    end: dict[str, Any],
    versions: dict[str, str],
    options: Options,
) -> str:
    found = groups(records)
    lines = [
        "",
        "### Benchmark results",
        "",
        f"Machine: {start['nproc']} cores ({start['cpu'] or 'unknown CPU'}), "
        f"{start['ram_gb']:.0f} GB RAM; 1-min load average {start['load']:.2f} at start, "
        f"{end['load']:.2f} at end. polars {versions['polars']}, duckdb {versions['duckdb']}, "
        f"pyarrow {versions['pyarrow']}, adbc-driver-postgresql {versions['adbc']}, "
        f"Python {versions['python']}.",
        "",
        f"Each run in its own process{' after one warm-up' if options.warmup else ', NO warm-up'}; K = {options.repeat} measured "
        f"runs (classic pandas variants: {options.baseline_repeat}); every run's output "
        "was checked equal to the reference warehouse before its time was kept. "
        f"Seed {options.seed}, {options.days} days from 2025-01-01.",
        "",
        "| case | engine | target | scale | rows | K | median s | min s | max s | rows/s | peak RSS MB |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for key in sorted(found, key=_order):
        g = found[key]
        seconds = [r.seconds for r in g.records]
        mark = " ¹" if g.first.capped else ""
        lines.append(
            f"| {g.first.case}{mark} | {g.first.engine} | {g.first.target} | "
            f"{g.first.scale:g} | {g.rows:,} | {len(seconds)} | {g.median:.2f} | "
            f"{min(seconds):.2f} | {max(seconds):.2f} | {g.rate:,.0f} | {g.peak_rss:,.0f} |"
        )
        if g.first.capped:
            # Linear in the raw rows read: the median scaled up to the full data.
            full = g.median * g.first.full_rows / max(g.first.input_rows, 1)
            notes.append(
                f"¹ {g.first.case}/{g.first.engine} {g.first.target} at scale "
                f"{g.first.scale:g} ran on the first {g.first.days} of {g.first.full_days} "
                f"days ({g.first.input_rows:,} of {g.first.full_rows:,} raw rows) to stay within the time "
                f"budget. EXTRAPOLATED, not measured: about {full:,.0f} s "
                "for the full data at the measured rate."
            )
    if notes:
        lines += ["", *notes]
    lines += sweep(found, options)
    ratio_lines = ratios(found)
    if ratio_lines:
        lines += ["", "**Ratios** (medians):", "", *ratio_lines]
    return "\n".join(lines)


SWEEP_COLUMNS = (
    ("rebuild_duckdb", "polars", "duckdb"),
    ("rebuild_duckdb", "duckdb", "duckdb"),
    ("rebuild_postgres", "polars", "postgres"),
    ("rebuild_postgres", "duckdb", "postgres"),
)
"""The full rebuilds of the scale sweep: (case, engine, target)."""


def sweep(found: dict[Key, Group], options: Options) -> list[str]:
    """Time and peak RSS of each full rebuild per scale, and the growth between scales."""
    scales = sorted({key[0] for key in found})
    columns = [c for c in SWEEP_COLUMNS if any((s, *c) in found for s in scales)]
    if len(scales) < 2 or not columns:
        return []
    lines = [
        "",
        f"**Scale sweep** (median s / peak RSS MB of the run process; memory budget "
        f"{options.memory_limit_mb:,.0f} MB):",
        "",
        "| scale | raw rows | "
        + " | ".join(f"{engine} → {target}" for _, engine, target in columns)
        + " |",
        "|---:|---:|" + "---:|" * len(columns),
    ]
    for scale in scales:
        cells = []
        rows = 0
        for column in columns:
            g = found.get((scale, *column))
            rows = rows or (g.first.input_rows if g else 0)
            cells.append(f"{g.median:.2f} s / {g.peak_rss:,.0f} MB" if g else "")
        lines.append(f"| {scale:g} | {rows:,} | " + " | ".join(cells) + " |")
    lines.append("")
    for case, engine, target in columns:
        points = [
            found[s, case, engine, target]
            for s in scales
            if (s, case, engine, target) in found
        ]
        steps = [
            f"{a.first.scale:g}→{b.first.scale:g} **{b.median / a.median:.1f}x** the time "
            f"for {b.first.input_rows / max(a.first.input_rows, 1):.1f}x the rows"
            for a, b in itertools.pairwise(points)
        ]
        if steps:
            lines.append(f"- {engine} → {target}: {'; '.join(steps)}")
    return lines


def _order(key: Key) -> tuple[Any, ...]:
    scale, case, engine, target = key
    rank = CASE_NAMES.index(case) if case in CASE_NAMES else len(CASE_NAMES)
    return (scale, rank, engine, target)


def ratios(found: dict[Key, Group]) -> list[str]:
    lines = []
    for scale in sorted({key[0] for key in found}):

        def get(case: str, engine: str, target: str, s: float = scale) -> Group | None:
            return found.get((s, case, engine, target))

        head = f"- scale {scale:g}:"
        classic = get("classic_baseline", "pandas", "postgres")
        for engine in ("polars", "duckdb"):
            pg = get("rebuild_postgres", engine, "postgres")
            if pg and classic:
                how = (
                    f"; classic ran {classic.first.days} of {classic.first.full_days} days, "
                    "so its full-data time is EXTRAPOLATED"
                    if classic.first.capped
                    else ""
                )
                lines.append(
                    f"{head} full rebuild into Postgres, engine ({engine}) vs classic "
                    f"baseline: **{pg.rate / classic.rate:.1f}x** the rows/s "
                    f"({pg.rate:,.0f} vs {classic.rate:,.0f} rows/s){how}"
                )
        for engine in ("polars", "duckdb"):
            lines += _load_vs_copy(head, engine, get)
        for case, target in (
            ("rebuild_duckdb", "duckdb"),
            ("rebuild_postgres", "postgres"),
            ("transform_only", "mem:staging"),
            ("transform_only", "mem:prod"),
            ("transform_only", "mem:staging+prod"),
        ):
            polars, duckdb = get(case, "polars", target), get(case, "duckdb", target)
            if polars and duckdb:
                lines.append(
                    f"{head} {case} {target}: DuckDB engine / Polars engine time = "
                    f"**{duckdb.median / polars.median:.2f}** "
                    f"({duckdb.median:.2f} s vs {polars.median:.2f} s)"
                )
            pandas = get(case, "pandas", target)
            if polars and pandas:
                capped = (
                    " (pandas on fewer days: rates compared)"
                    if pandas.first.capped
                    else ""
                )
                lines.append(
                    f"{head} {case} {target}: Polars engine rows/s / pandas rows/s = "
                    f"**{polars.rate / pandas.rate:.1f}x**{capped}"
                )
    return lines


def _load_vs_copy(head: str, engine: str, get: Any) -> list[str]:  # noqa: ANN401
    alone = get("publish_postgres", "engine", "postgres")
    pg = get("rebuild_postgres", engine, "postgres")
    reported = get("rebuild_postgres", engine, "postgres:load")
    duck = get("rebuild_duckdb", engine, "duckdb")
    loads = []
    if engine == "polars" and alone:
        loads.append(("load phase alone (etl publish)", alone.median, alone.rows))
    if reported:
        what = f"engine ({engine}) load phase during etl run (overlaps building)"
        loads.append((what, reported.median, reported.rows))
    if pg and duck:
        what = f"engine ({engine}) load phase DERIVED as Postgres rebuild minus DuckDB rebuild"
        loads.append((what, pg.median - duck.median, None))
    lines = []
    for variant in ("copy-serial", "copy-parallel"):
        floor = get("copy_floor", variant, "postgres")
        if not floor:
            continue
        for what, seconds, rows in loads:
            same = "" if rows in (None, floor.rows) else f"; {rows:,} rows loaded"
            lines.append(
                f"{head} {what} vs COPY floor ({variant}): "
                f"**{floor.median / seconds:.2f}x** the floor's rate ({seconds:.2f} s vs "
                f"{floor.median:.2f} s for {floor.rows:,} rows{same})"
            )
    return lines


def tail(outcome: Outcome, *, answers_failed: bool, changed: bool) -> str:
    """What vouches for the reference, then what was skipped, not compared or failed."""
    lines = [_answers_line(failed=answers_failed)]
    lines += _section("**Skipped:**", outcome.skipped)
    lines += _section(
        "**Not compared** (the variant does not build these):", outcome.uncompared
    )
    if changed:
        # Runs are checked against a reference from the same code, but their times
        # then come from different engine versions.
        lines.append(
            "\n**Warning:** engine/, queries/ or sql/ changed during this session; "
            "the timings span more than one engine version. Rerun for a clean table."
        )
    lines += _section("**Failed (no timings reported for these):**", outcome.failures)
    return "\n".join(lines)


def _section(heading: str, lines: list[str]) -> list[str]:
    """A Markdown list under its heading, when there is anything to list."""
    return [f"\n{heading}\n", *(f"- {line}" for line in lines)] if lines else []


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
