"""`python -m benchmarks`: run the cases, append to the CSV, print a Markdown summary.

Example:
    python -m benchmarks --scale 1 --repeat 3 --pg-url postgresql://postgres@127.0.0.1/postgres
    python -m benchmarks --cases generator,rebuild_duckdb --scale 1 --scale 10
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.cases import CASE_NAMES, BenchError
from benchmarks.pg import admin_url, check_server

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
LOCAL_CASES = ("generator", "rebuild_duckdb", "transform_only")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "Benchmark the engine against the classic pipeline and the COPY floor. "
            "Each run is its own process; results are checked against a reference "
            "warehouse, appended to <out>/benchmarks.csv and summarized in Markdown."
        ),
    )
    parser.add_argument(
        "--cases",
        help=f"comma-separated, from {', '.join(CASE_NAMES)} "
        "[default: all; without --pg-url only the cases that need no PostgreSQL]",
    )
    parser.add_argument(
        "--scale",
        type=float,
        action="append",
        dest="scales",
        help="data volume multiplier, repeatable [default: 1]",
    )
    parser.add_argument("--repeat", type=int, default=3, help="measured runs K [3]")
    parser.add_argument(
        "--pg-url",
        help="admin libpq URL of a PostgreSQL server (a user that may CREATE "
        "DATABASE); databases etl_bench_* are created and dropped [env ETL_BENCH_PG_URL]",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    parser.add_argument("--days", type=int, default=365, help="days of data [365]")
    parser.add_argument("--seed", type=int, default=42, help="generator seed [42]")
    parser.add_argument(
        "--baseline-budget",
        type=float,
        default=120.0,
        help="seconds one classic (pandas) run may take above scale 1; it then "
        "loads only the first days that fit and the full time is extrapolated [120]",
    )
    parser.add_argument(
        "--baseline-repeat",
        type=int,
        default=1,
        help="measured runs of the classic (pandas) variants [1]",
    )
    parser.add_argument(
        "--no-warmup",
        dest="warmup",
        action="store_false",
        help="skip the warm-up run (quick smoke runs only; classic runs then use all days)",
    )
    parser.add_argument(
        "--keep-work", action="store_true", help="keep each run's work folder"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from benchmarks.runner import Options, run

    args = parse(argv)
    pg_url = admin_url(args.pg_url)
    if args.cases:
        cases = tuple(c.strip() for c in args.cases.split(",") if c.strip())
    else:
        cases = CASE_NAMES if pg_url else LOCAL_CASES
    unknown = [c for c in cases if c not in CASE_NAMES]
    problems = []
    if unknown:
        problems.append(
            f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASE_NAMES)}"
        )
    if args.repeat < 1 or args.baseline_repeat < 1:
        problems.append("--repeat and --baseline-repeat must be at least 1")
    if not 1 <= args.days <= 365:
        problems.append("--days must be between 1 and 365")
    if any(s <= 0 for s in args.scales or []):
        problems.append("--scale must be above 0")
    if problems:
        print(f"Error: {'; '.join(problems)}", file=sys.stderr)
        return 2
    try:
        if pg_url:
            check_server(pg_url)
        return run(
            Options(
                cases=cases,
                scales=tuple(args.scales or [1.0]),
                repeat=args.repeat,
                out=args.out,
                days=args.days,
                seed=args.seed,
                pg_url=pg_url,
                baseline_budget=args.baseline_budget,
                baseline_repeat=args.baseline_repeat,
                warmup=args.warmup,
                keep_work=args.keep_work,
            )
        )
    except BenchError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
