"""The benchmark options, declared once in click: `etl bench` and `python -m benchmarks`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import click

from benchmarks.cases import CASE_NAMES, BenchError

DEFAULT_OUT: Final = Path(__file__).resolve().parent / "results"
LOCAL_CASES: Final = ("generator", "rebuild_duckdb", "transform_only")


@click.command(
    "bench",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--cases",
    metavar="A,B",
    help=f"Comma-separated, from {', '.join(CASE_NAMES)} "
    "[default: all; without --pg-url only the cases that need no PostgreSQL].",
)
@click.option(
    "--scale",
    "scales",
    type=float,
    multiple=True,
    help="Data volume multiplier, repeatable: one sweep point each [default: 1].",
)
@click.option(
    "--repeat", type=int, default=3, show_default=True, help="Measured runs K."
)
@click.option(
    "--pg-url",
    envvar="ETL_BENCH_PG_URL",
    show_envvar=True,
    help="Admin libpq URL of a PostgreSQL server (a user that may CREATE DATABASE); "
    "databases etl_bench_* are created and dropped.",
)
@click.option(
    "--memory-limit",
    metavar="SIZE",
    help="Budget given to every etl run and etl publish, e.g. 3GiB; recorded in the "
    "CSV [default: the engine's default].",
)
@click.option(
    "--data-root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Pre-generated data: DIR/s<scale> (etl generate --scale N --out DIR/sN) is "
    "used when it exists, else the data is generated into the cache.",
)
@click.option(
    "--in-memory-max-scale",
    type=float,
    default=10.0,
    show_default=True,
    help="Largest scale for the cases that hold whole tables in memory by design "
    "(classic_baseline, transform_only, copy_floor); skipped above it.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    help="Results folder (benchmarks.csv, cache, work) [default: benchmarks/results].",
)
@click.option("--days", type=int, default=365, show_default=True, help="Days of data.")
@click.option("--seed", type=int, default=42, show_default=True, help="Generator seed.")
@click.option(
    "--baseline-budget",
    type=float,
    default=120.0,
    show_default=True,
    help="Seconds one classic (pandas) run may take above scale 1; it then loads only "
    "the first days that fit and the full time is extrapolated.",
)
@click.option(
    "--baseline-repeat",
    type=int,
    default=1,
    show_default=True,
    help="Measured runs of the classic (pandas) variants.",
)
@click.option(
    "--no-warmup",
    "warmup",
    is_flag=True,
    flag_value=False,
    default=True,
    help="Skip the warm-up run (quick smoke runs only; classic runs then use all days).",
)
@click.option("--keep-work", is_flag=True, help="Keep each run's work folder.")
def bench(
    cases: str | None,
    scales: tuple[float, ...],
    pg_url: str | None,
    **options: Any,  # noqa: ANN401 - the remaining fields of runner.Options
) -> None:
    """Benchmark the engine against the classic pandas pipeline and the COPY floor.

    Each case runs in its own process, one warm-up then K runs; every output is
    checked equal to a reference warehouse before its time counts; results are
    appended to OUT/benchmarks.csv and summarized as a Markdown table. Needs a
    source checkout and, for the classic baseline, the `bench` extra
    (pip install -e '.[bench]'). See benchmarks/README.md.

    \b
    Example:
        etl bench --cases generator,rebuild_duckdb --scale 1 --repeat 3
        etl bench --scale 1 --scale 10 --pg-url postgresql://postgres@localhost/postgres
    """
    from benchmarks.pg import check_server
    from benchmarks.runner import Options, run

    chosen = _cases(cases, pg_url)
    _check(options, scales)
    try:
        if pg_url:
            check_server(pg_url)
        code = run(
            Options(cases=chosen, scales=scales or (1.0,), pg_url=pg_url, **options)
        )
    except BenchError as exc:
        raise click.ClickException(str(exc)) from exc
    if code:
        raise click.exceptions.Exit(code)


def _cases(cases: str | None, pg_url: str | None) -> tuple[str, ...]:
    if not cases:
        return CASE_NAMES if pg_url else LOCAL_CASES
    chosen = tuple(c.strip() for c in cases.split(",") if c.strip())
    unknown = [c for c in chosen if c not in CASE_NAMES]
    if unknown:
        msg = (
            f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASE_NAMES)}"
        )
        raise click.UsageError(msg)
    return chosen


def _check(options: dict[str, Any], scales: tuple[float, ...]) -> None:
    problems = []
    if options["repeat"] < 1 or options["baseline_repeat"] < 1:
        problems.append("--repeat and --baseline-repeat must be at least 1")
    if not 1 <= options["days"] <= 365:
        problems.append("--days must be between 1 and 365")
    if any(s <= 0 for s in scales):
        problems.append("--scale must be above 0")
    if options["memory_limit"]:
        from engine.errors import ConfigError
        from engine.memory import parse_size

        try:
            parse_size(options["memory_limit"])
        except ConfigError as exc:
            problems.append(f"--memory-limit: {exc}")
    if problems:
        raise click.UsageError("; ".join(problems))
