"""The `etl` command line: a thin layer that parses options and calls the library.

Heavy libraries (polars, duckdb, pyarrow, adbc) are imported inside the commands, so
`etl --help` stays fast.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from engine import __version__
from engine.config import DEFAULT_DATA_DIR, DEFAULT_WAREHOUSE, Settings
from engine.errors import EtlError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from engine.quality import Report

F = TypeVar("F", bound="Callable[..., Any]")

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class EtlGroup(click.Group):
    """Turns engine errors into one `Error: ...` line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:  # noqa: ANN401 - click's signature
        try:
            return super().invoke(ctx)
        except (
            EtlError,
            KeyboardInterrupt,
            click.ClickException,
            click.exceptions.Exit,
        ):
            raise
        except Exception as exc:
            if _debug_enabled():
                raise
            first = str(exc).splitlines()[0] if str(exc) else ""
            msg = f"unexpected {type(exc).__name__}: {first} (rerun with --debug for the traceback)"
            raise click.ClickException(msg) from exc

    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - click's signature
        _DEBUG["on"] = os.environ.get("ETL_DEBUG", "") not in ("", "0")
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except EtlError as exc:
            if _debug_enabled():
                raise
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)


# Set per invocation (flag or ETL_DEBUG), read by the error boundary above.
_DEBUG = {"on": False}


def _debug_enabled() -> bool:
    return _DEBUG["on"]


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        _DEBUG["on"] = True
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    return value


def _set_verbose(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value and not _debug_enabled():
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    return value


def common_options(func: F) -> F:
    """--debug and -v, accepted by every command."""
    func = click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_debug,
        envvar="ETL_DEBUG",
        help="Show the full traceback on errors and debug logs.",
    )(func)
    return click.option(
        "-v",
        "--verbose",
        is_flag=True,
        expose_value=False,
        callback=_set_verbose,
        help="Log one line per table load.",
    )(func)


def warehouse_option(func: F) -> F:
    return click.option(
        "--warehouse",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_WAREHOUSE,
        show_default=True,
        envvar="ETL_WAREHOUSE",
        show_envvar=True,
        help="Embedded DuckDB warehouse file.",
    )(func)


def data_dir_option(func: F) -> F:
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=DEFAULT_DATA_DIR,
        show_default=True,
        envvar="ETL_DATA_DIR",
        show_envvar=True,
        help="Root of the partitioned Parquet files (<table>/<YYYY-MM-DD>/*.parquet).",
    )(func)


def pg_url_option(func: F) -> F:
    return click.option(
        "--pg-url",
        default=None,
        envvar="ETL_PG_URL",
        show_envvar=True,
        metavar="URL",
        help="PostgreSQL target as a libpq URL (postgresql://user:pass@host:5432/db). "
        "Without it everything stays in the DuckDB warehouse.",
    )(func)


def pg_options(*, publish_mode: bool) -> Callable[[F], F]:
    """PostgreSQL waits (and how to replace staging and prod), passed on as `pg_options`."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - click's signature
            names = ("pg_connect_timeout", "pg_lock_timeout", "publish_mode")
            chosen = {n: kwargs.pop(n) for n in names if n in kwargs}
            return func(*args, pg_options=chosen, **kwargs)

        options = [
            click.option(
                "--pg-connect-timeout",
                type=click.FloatRange(min=1),
                default=10.0,
                show_default=True,
                envvar="ETL_PG_CONNECT_TIMEOUT",
                show_envvar=True,
                metavar="SECONDS",
                help="Give up on a PostgreSQL server that does not answer.",
            ),
            click.option(
                "--pg-lock-timeout",
                type=click.FloatRange(min=0.1),
                default=30.0,
                show_default=True,
                envvar="ETL_PG_LOCK_TIMEOUT",
                show_envvar=True,
                metavar="SECONDS",
                help="Give up when another session locks a table this long (set on the "
                "server, so no backend waits on after the client is gone).",
            ),
        ]
        if publish_mode:
            options.append(
                click.option(
                    "--publish-mode",
                    type=click.Choice(["replace", "swap"]),
                    default="replace",
                    show_default=True,
                    envvar="ETL_PUBLISH_MODE",
                    show_envvar=True,
                    help="How staging and prod reach PostgreSQL: replace the rows in one "
                    "transaction (safe for snapshot readers), or load new tables in "
                    "parallel and rename them in (see README: PostgreSQL target).",
                )
            )
        for option in reversed(options):
            wrapper = option(wrapper)
        return wrapper  # type: ignore[return-value]

    return decorate


def quiet_option(func: F) -> F:
    return click.option(
        "-q", "--quiet", is_flag=True, help="No progress and no summary; errors only."
    )(func)


class MemorySize(click.ParamType):
    """A size such as 4GB or 500MB, in bytes."""

    name = "size"

    def convert(
        self,
        value: str | int,
        param: click.Parameter | None,
        ctx: click.Context | None,
    ) -> int:
        from engine.errors import ConfigError
        from engine.memory import parse_size

        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except ConfigError as exc:
            self.fail(str(exc), param, ctx)


def memory_limit_option(func: F) -> F:
    from engine.memory import DEFAULT_MEMORY_LIMIT

    return click.option(
        "--memory-limit",
        type=MemorySize(),
        default=DEFAULT_MEMORY_LIMIT,
        envvar="ETL_MEMORY_LIMIT",
        show_envvar=True,
        help="Memory the whole run may use, e.g. 4GB or 500MB; work is split into "
        "pieces that fit [default: 3GiB].",
    )(func)


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "csv", "json"]),
        default="table",
        show_default=True,
        help="Output format on stdout.",
    )(func)


def _progress(quiet: bool) -> Any:  # noqa: ANN401 - a Progress implementation
    from engine.progress import NullProgress, StderrProgress

    return NullProgress() if quiet else StderrProgress()


def _print_reports(reports: Sequence[Report], fmt: str) -> None:
    from engine.render import render

    if fmt == "json":
        import json

        payload = {
            r.title: json.loads(render(r.columns, r.rows, "json")) for r in reports
        }
        click.echo(json.dumps(payload, indent=2))
        return
    for i, report in enumerate(reports):
        if fmt == "table":
            click.echo(("\n" if i else "") + report.title)
        click.echo(render(report.columns, report.rows, fmt))  # type: ignore[arg-type]


@click.group(cls=EtlGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="etl")
def cli() -> None:
    """Build a raw -> staging -> prod e-commerce warehouse from partitioned Parquet files.

    The warehouse is an embedded DuckDB file by default (no server needed).

    \b
    Example:
        etl generate                 # a year of dirty data in ./raw_data
        etl run                      # ingest, clean, aggregate into ./warehouse.duckdb
        etl dq                       # what was rejected, and why
        etl query "SELECT * FROM prod.monthly_sales"
    """


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DATA_DIR,
    show_default=True,
    help="Folder to write <table>/<YYYY-MM-DD>/data.parquet into.",
)
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    default="2025-01-01",
    show_default=True,
    help="First day.",
)
@click.option(
    "--end",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Last day [default: 2025-12-31].",
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Number of days from --start (instead of --end).",
)
@click.option(
    "--scale",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Volume multiplier.",
)
@click.option(
    "--seed",
    type=int,
    default=42,
    show_default=True,
    help="Random seed: same seed, same files.",
)
@click.option(
    "--dirt",
    "dirt",
    multiple=True,
    metavar="KIND=RATE",
    help="Override one dirt rate, e.g. --dirt invalid_email=0.05 (repeatable; see README).",
)
@click.option("--clean", is_flag=True, help="Set every dirt rate to 0.")
@quiet_option
@common_options
def generate(
    out: Path,
    start: dt.datetime,
    end: dt.datetime | None,
    days: int | None,
    scale: float,
    seed: int,
    dirt: tuple[str, ...],
    clean: bool,
    quiet: bool,
) -> None:
    """Generate dirty e-commerce data as date-partitioned Parquet files.

    Writes customers, products, orders and order_items, one file per table per day,
    with duplicates, nulls, casing noise, invalid emails, negative amounts and orphan
    keys at documented rates. Deterministic: the same options and seed give the same
    files, and any sub-range of days gives the same partitions as the full run.

    \b
    Example:
        etl generate                              # 2025, scale 1, seed 42
        etl generate --days 7 --scale 10 --out /tmp/week
        etl generate --dirt invalid_email=0.1 --dirt null_name=0
    """
    from engine.generate import generate_dataset

    first = start.date()
    if days is not None and end is not None:
        msg = "give --end or --days, not both"
        raise click.UsageError(msg)
    last = (
        first + dt.timedelta(days=days - 1)
        if days
        else (end.date() if end else dt.date(2025, 12, 31))
    )
    summary = generate_dataset(
        out,
        start=first,
        end=last,
        scale=scale,
        seed=seed,
        dirt=_dirt_rates(dirt, clean=clean),
        progress=_progress(quiet),
    )
    if not quiet:
        from engine.render import render

        rows = [(table, count) for table, count in summary.rows.items()]
        click.echo(render(["table", "rows"], rows))
        click.echo(f"{summary.files:,} files in {out}")


def _dirt_rates(pairs: Sequence[str], *, clean: bool) -> Any:  # noqa: ANN401 - DirtRates
    import dataclasses

    from engine.generate import DirtRates

    names = [f.name for f in dataclasses.fields(DirtRates)]
    rates: dict[str, float] = dict.fromkeys(names, 0.0) if clean else {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or name not in names:
            msg = (
                f"--dirt {pair}: expected KIND=RATE with KIND one of {', '.join(names)}"
            )
            raise click.BadParameter(msg)
        try:
            rates[name] = float(value)
        except ValueError:
            msg = f"--dirt {pair}: rate must be a number between 0 and 1"
            raise click.BadParameter(msg) from None
    return DirtRates(**rates)


@cli.command()
@warehouse_option
@pg_url_option
@common_options
def setup(warehouse: Path, pg_url: str | None) -> None:
    """Create the raw, staging, prod and meta schemas and their tables.

    Applies the DDL in sql/ to the DuckDB warehouse and, with --pg-url, to
    PostgreSQL (plus its indexes and table comments). Safe to run twice. `etl run`
    sets up the DuckDB warehouse by itself; a Postgres target needs setup once.

    \b
    Example:
        etl setup --warehouse /data/shop.duckdb
        etl setup --pg-url postgresql://etl@localhost:5432/shop
    """
    from engine.warehouse import open_warehouse

    open_warehouse(warehouse).close()
    click.echo(f"{warehouse}: schemas raw, staging, prod and meta are ready", err=True)
    if pg_url:
        from engine.config import redact
        from engine.postgres import PostgresTarget

        with PostgresTarget(pg_url) as target:
            target.setup()
        click.echo(
            f"{redact(pg_url)}: schemas raw, staging, prod and meta are ready", err=True
        )


def _parse_layers(
    ctx: click.Context, param: click.Parameter, value: str
) -> tuple[str, ...]:
    from engine.contracts import LAYERS

    names = tuple(v.strip() for v in value.split(",") if v.strip())
    if "all" in names:
        return LAYERS
    unknown = [n for n in names if n not in LAYERS]
    if unknown or not names:
        msg = f"{value!r}: choose from raw, staging, prod (comma-separated) or all"
        raise click.BadParameter(msg)
    return names


def layers_option(verb: str) -> Callable[[F], F]:
    """--layers: which layers a command builds or publishes (they go raw -> staging -> prod)."""
    return click.option(
        "--layers",
        default="raw,staging,prod",
        show_default=True,
        callback=_parse_layers,
        help=f"Layers to {verb}, comma-separated, in any order (they go raw -> staging -> prod).",
    )


@cli.command()
@layers_option("build")
@data_dir_option
@warehouse_option
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Re-ingest every file instead of only new or changed ones.",
)
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date prod's days_since_* columns count from [default: the last partition date].",
)
@click.option(
    "--engine",
    type=click.Choice(["polars", "duckdb"]),
    default="polars",
    show_default=True,
    envvar="ETL_ENGINE",
    show_envvar=True,
    help="Which implementation builds staging and prod: Polars, or the DuckDB SQL twins.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    envvar="ETL_THREADS",
    help="Worker threads [default: all cores].",
)
@memory_limit_option
@pg_url_option
@pg_options(publish_mode=True)
@quiet_option
@common_options
def run(
    layers: tuple[str, ...],
    data_dir: Path,
    warehouse: Path,
    full_refresh: bool,
    as_of: dt.datetime | None,
    engine: str,
    threads: int | None,
    memory_limit: int,
    pg_url: str | None,
    pg_options: Mapping[str, Any],
    quiet: bool,
) -> None:
    """Build the warehouse: ingest raw files, clean into staging, aggregate into prod.

    Raw ingests only new or changed files (tracked by content hash in
    meta.ingested_files); staging and prod are rebuilt from all of raw. Each layer is
    published atomically: a failed run leaves the previous tables intact. With
    --pg-url every layer built is also published to PostgreSQL (missing schemas and
    tables are created): raw partitions incrementally, staging and prod atomically.
    If a publish fails, the warehouse still completes the run and the error says
    what reached PostgreSQL; `etl publish` catches up.

    \b
    Example:
        etl run                               # all layers from ./raw_data
        etl run --layers raw                  # only ingest new files
        etl run --full-refresh --as-of 2025-12-31
        etl run --pg-url postgresql://etl@localhost:5432/shop
    """
    from engine.pipeline import run_pipeline

    settings = Settings(
        data_dir=data_dir,
        warehouse=warehouse,
        full_refresh=full_refresh,
        as_of=as_of.date() if as_of else None,
        engine=engine,  # type: ignore[arg-type]
        threads=threads,
        memory_limit=memory_limit,
        pg_url=pg_url,
        **pg_options,
    )
    summary = run_pipeline(settings, layers=layers, progress=_progress(quiet))  # type: ignore[arg-type]
    if quiet:
        return
    from engine.render import render

    rows = [
        (
            s.table,
            s.rows_in,
            s.rows_out,
            s.rows_rejected,
            s.rows_duplicate,
            round(s.seconds, 2),
        )
        for s in summary.tables
    ]
    click.echo(
        render(
            ["table", "rows_in", "rows_out", "rejected", "duplicates", "seconds"], rows
        )
    )
    layer_times = ", ".join(f"{k} {v:.2f} s" for k, v in summary.layer_seconds.items())
    if summary.published:
        _echo_published(pg_url, summary.published)
    as_of_text = f", as of {summary.as_of}" if summary.as_of else ""
    click.echo(
        f"run {summary.run_id} {summary.status}{as_of_text}: {layer_times} -> {warehouse}"
    )


def _echo_published(pg_url: str | None, published: Mapping[str, Any]) -> None:
    """The 'published to URL: raw N rows S s, ...' line (the benchmarks parse it)."""
    from engine.config import redact

    sent = ", ".join(
        f"{p.layer} {p.rows:,} rows {p.seconds:.2f} s" for p in published.values()
    )
    click.echo(f"published to {redact(pg_url)}: {sent}")


@cli.command()
@layers_option("publish")
@warehouse_option
@memory_limit_option
@pg_url_option
@pg_options(publish_mode=True)
@click.option(
    "--repair",
    is_flag=True,
    help="Re-send only what `etl verify` finds drifted: raw partitions and whole "
    "staging or prod tables.",
)
@quiet_option
@common_options
def publish(
    layers: tuple[str, ...],
    warehouse: Path,
    memory_limit: int,
    pg_url: str | None,
    pg_options: Mapping[str, Any],
    repair: bool,
    quiet: bool,
) -> None:
    """Copy the warehouse's layers to PostgreSQL as they are, without rebuilding.

    For a Postgres database that is new or behind, or to repeat a publish that
    failed: raw moves only the files the target's ledger lacks, staging and prod
    are replaced whole, just as `etl run --pg-url` does after a build. Missing
    schemas and tables are created. --repair re-sends what `etl verify` finds
    drifted (rows changed by hand in PostgreSQL).

    \b
    Example:
        etl publish --pg-url postgresql://etl@localhost:5432/shop
        etl publish --layers prod --pg-url postgresql://etl@localhost:5432/bi
    """
    if not pg_url:
        msg = "--pg-url (or ETL_PG_URL) is required: where should the layers go?"
        raise click.UsageError(msg)
    from engine.pipeline import publish_warehouse

    settings = Settings(
        warehouse=warehouse, pg_url=pg_url, memory_limit=memory_limit, **pg_options
    )
    published = publish_warehouse(
        settings,
        layers=layers,  # type: ignore[arg-type]
        progress=_progress(quiet),
        repair=repair,
    )
    if not quiet:
        _echo_published(pg_url, published)


@cli.command()
@layers_option("compare")
@warehouse_option
@pg_url_option
@pg_options(publish_mode=False)
@common_options
def verify(
    layers: tuple[str, ...],
    warehouse: Path,
    pg_url: str | None,
    pg_options: Mapping[str, Any],
) -> None:
    """Check that PostgreSQL holds what the warehouse holds; exit 1 on any drift.

    Compares, per partition (raw and staging by _partition_date, prod by date or
    month), the row count and the exact sum of every money column, and names each
    table and partition that differs. `etl publish --repair` re-sends exactly those.

    \b
    Example:
        etl verify --pg-url postgresql://etl@localhost:5432/shop
    """
    if not pg_url:
        msg = "--pg-url (or ETL_PG_URL) is required: which PostgreSQL copy should be checked?"
        raise click.UsageError(msg)
    from engine.config import redact
    from engine.errors import SinkError
    from engine.pipeline import verify_target

    settings = Settings(warehouse=warehouse, pg_url=pg_url, **pg_options)
    drifts, tables = verify_target(settings, layers=layers)  # type: ignore[arg-type]
    for drift in drifts:
        click.echo(drift.describe())
    where = redact(pg_url)
    if drifts:
        names = sorted({d.table for d in drifts}, key=tables.index)
        msg = f"{where} differs from {warehouse} in {len(drifts)} partitions of {len(names)} tables ({', '.join(names)}); re-send them with: etl publish --repair --pg-url {where}"
        raise SinkError(msg, table=names[0])
    click.echo(f"{where} matches {warehouse}: {len(tables)} tables checked")


@cli.command()
@warehouse_option
@pg_url_option
@format_option
@common_options
def status(warehouse: Path, pg_url: str | None, fmt: str) -> None:
    """Show partitions and rows per table, and the last runs.

    \b
    Example:
        etl status
        etl status --format json
    """
    from engine.quality import status_reports
    from engine.queryrun import open_reader

    with open_reader(warehouse, pg_url) as fetch:
        _print_reports(status_reports(fetch), fmt)


@cli.command()
@warehouse_option
@pg_url_option
@click.option(
    "--by-partition", is_flag=True, help="Break rejects down by partition date."
)
@format_option
@common_options
def dq(warehouse: Path, pg_url: str | None, by_partition: bool, fmt: str) -> None:
    """Report data quality: rejects per entity and reason, and their business impact.

    Every row staging removed is in staging.<entity>_rejects with a reason code;
    exact duplicates are counted. The impact section shows completed orders and
    revenue that prod does not see because of a reject upstream.

    \b
    Example:
        etl dq
        etl dq --by-partition --format csv > rejects.csv
    """
    from engine.quality import dq_reports
    from engine.queryrun import open_reader

    with open_reader(warehouse, pg_url) as fetch:
        _print_reports(dq_reports(fetch, by_partition=by_partition), fmt)


@cli.command()
@click.argument("sql", required=False)
@click.option(
    "--list", "list_names", is_flag=True, help="List the named queries and exit."
)
@warehouse_option
@pg_url_option
@format_option
@common_options
def query(
    sql: str | None, list_names: bool, warehouse: Path, pg_url: str | None, fmt: str
) -> None:
    """Run SQL, or a named query, against the warehouse and print the result.

    SQL is either a statement or the name of a query in queries/analytics (see
    --list). The warehouse (or, with --pg-url, the PostgreSQL target) is read-only
    here; tables are raw.*, staging.*, prod.* and meta.*.

    \b
    Example:
        etl query --list
        etl query top_products
        etl query daily_sales_latest --pg-url postgresql://etl@localhost/shop
        etl query "SELECT * FROM staging.customers_rejects" --format csv
    """
    from queries.analytics import describe, named_queries

    named = named_queries()
    if list_names:
        from engine.render import render

        rows = [(name, describe(path)) for name, path in named.items()]
        click.echo(render(["name", "description"], rows, fmt))  # type: ignore[arg-type]
        return
    if not sql:
        msg = "give a SQL statement or a query name (etl query --list shows the names)"
        raise click.UsageError(msg)
    if sql in named:
        sql = named[sql].read_text()
    from engine.queryrun import open_reader
    from engine.render import render

    with open_reader(warehouse, pg_url) as fetch:
        columns, rows = fetch(sql)
    click.echo(render(columns, rows, fmt))  # type: ignore[arg-type]


@cli.command(
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False}
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args: tuple[str, ...]) -> None:
    """Benchmark the engine against the classic pandas pipeline and the COPY floor.

    Runs `python -m benchmarks` with the same arguments (see `etl bench -- --help`):
    each case in its own process, one warm-up then K runs, results appended to
    benchmarks/results/benchmarks.csv and summarized as a Markdown table. Needs a
    source checkout and, for the classic baseline, the `bench` extra
    (pip install -e '.[bench]').

    \b
    Example:
        etl bench --cases generator,rebuild_duckdb --scale 1 --repeat 3
        etl bench --scale 1 --scale 10 --pg-url postgresql://postgres@localhost/postgres
    """
    try:
        from benchmarks.__main__ import main
    except ModuleNotFoundError as exc:
        msg = f"the benchmarks need a source checkout and the bench extra ({exc}); run pip install -e '.[bench]' in the repository"
        raise click.ClickException(msg) from exc
    code = main(list(args))
    if code:
        raise click.exceptions.Exit(code)
