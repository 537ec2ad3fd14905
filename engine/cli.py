"""The `etl` command line: a thin layer that parses options and calls the library.

Heavy libraries (polars, duckdb, pyarrow, adbc) are imported inside the commands, so
`etl --help` stays fast. Shared options live in cli_options, printing in cli_output.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from engine import __version__
from engine.cli_options import (
    CONTEXT_SETTINGS,
    EtlGroup,
    data_dir_option,
    debug_option,
    dirt_rates,
    format_option,
    layers_option,
    memory_limit_option,
    pg_options,
    pg_url_option,
    quiet_option,
    verbose_option,
    wait_option,
    warehouse_option,
)
from engine.cli_output import (
    DEFAULT_TABLE_ROWS,
    notice,
    print_query_result,
    print_reports,
    print_run_summary,
    progress,
)
from engine.config import DEFAULT_DATA_DIR, Settings

if TYPE_CHECKING:
    from collections.abc import Mapping


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
@verbose_option
@debug_option
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
        dirt=dirt_rates(dirt, clean=clean),
        progress=progress(quiet),
    )
    if not quiet:
        from engine.render import render

        rows = [(table, count) for table, count in summary.rows.items()]
        click.echo(render(["table", "rows"], rows))
        click.echo(f"{summary.files:,} files in {out}")


@cli.command()
@warehouse_option
@pg_url_option
@quiet_option
@debug_option
def setup(warehouse: Path, pg_url: str | None, quiet: bool) -> None:
    """Create the raw, staging, prod and meta schemas and their tables.

    Applies the DDL in sql/ to the DuckDB warehouse and, with --pg-url, to
    PostgreSQL (plus its indexes and table comments). Safe to run twice. `etl run`
    sets up the DuckDB warehouse by itself; a Postgres target needs setup once.

    \b
    Example:
        etl setup --warehouse /data/shop.duckdb
        etl setup --pg-url postgresql://etl@localhost:5432/shop
    """
    from engine.config import redact
    from engine.warehouse import open_warehouse

    ready = "schemas raw, staging, prod and meta are ready"
    # PostgreSQL first: a bad URL or a server that is down stops setup before
    # anything is created locally.
    if pg_url:
        from engine.sink import connect_target

        target = connect_target(Settings(warehouse=warehouse, pg_url=pg_url))
        assert target is not None
        try:
            target.setup()
        finally:
            target.close()
    open_warehouse(warehouse).close()
    if not quiet:
        click.echo(f"{warehouse}: {ready}", err=True)
        if pg_url:
            click.echo(f"{redact(pg_url)}: {ready}", err=True)


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
@verbose_option
@debug_option
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
    meta.ingested_files); staging and prod are rebuilt from all of raw when raw, the
    code, the engine or (for prod) the as-of date changed, and are otherwise "up to
    date" (--full-refresh rebuilds everything). Each layer is published atomically:
    a failed run leaves the previous tables intact, and a failed first run leaves no
    warehouse. With --pg-url every layer is also published to PostgreSQL (missing
    schemas and tables are created): raw partitions incrementally, staging and prod
    atomically, skipped when the target already holds them. If a publish fails, the
    warehouse still completes the run and the error says what reached PostgreSQL;
    `etl publish` catches up.

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
    summary = run_pipeline(settings, layers=layers, progress=progress(quiet))  # type: ignore[arg-type]
    if not quiet:
        print_run_summary(summary, pg_url, str(warehouse))


@cli.command()
@warehouse_option
@pg_url_option
@format_option
@wait_option
@quiet_option
@debug_option
def status(
    warehouse: Path, pg_url: str | None, fmt: str, wait: float, quiet: bool
) -> None:
    """Show partitions and rows per table, and the last runs.

    \b
    Example:
        etl status
        etl status --format json
    """
    from engine.quality import status_reports
    from engine.sink import open_reader

    with open_reader(warehouse, pg_url, wait=wait, on_wait=notice(quiet)) as reader:
        print_reports(status_reports(reader.read), fmt)


@cli.command()
@warehouse_option
@pg_url_option
@click.option(
    "--by-partition", is_flag=True, help="Break rejects down by partition date."
)
@format_option
@wait_option
@quiet_option
@debug_option
def dq(
    warehouse: Path,
    pg_url: str | None,
    by_partition: bool,
    fmt: str,
    wait: float,
    quiet: bool,
) -> None:
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
    from engine.sink import open_reader

    with open_reader(warehouse, pg_url, wait=wait, on_wait=notice(quiet)) as reader:
        print_reports(dq_reports(reader.read, by_partition=by_partition), fmt)


@cli.command()
@click.argument("sql", required=False)
@click.option(
    "--list", "list_names", is_flag=True, help="List the named queries and exit."
)
@warehouse_option
@pg_url_option
@format_option
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help=f"Print at most N rows, in any format [default: {DEFAULT_TABLE_ROWS} "
    "for a table, every row for csv and json].",
)
@click.option(
    "--all", "all_rows", is_flag=True, help="Print every row, also as a table."
)
@wait_option
@quiet_option
@debug_option
def query(
    sql: str | None,
    list_names: bool,
    warehouse: Path,
    pg_url: str | None,
    fmt: str,
    limit: int | None,
    all_rows: bool,
    wait: float,
    quiet: bool,
) -> None:
    """Run SQL, or a named query, against the warehouse and print the result.

    SQL is either one read statement (SELECT, WITH, VALUES, TABLE; on DuckDB also
    FROM, DESCRIBE, SHOW, SUMMARIZE) or the name of a query in queries/analytics
    (see --list). Nothing else runs: no second statement, no writes, no files,
    ATTACH or COPY, and on PostgreSQL no file, program, large-object or admin
    functions, in a READ ONLY transaction cancelled after 10 minutes. Tables are
    raw.*, staging.*, prod.* and meta.*. A table shows the first 40 rows and says
    how many there are; csv and json print every row.

    \b
    Example:
        etl query --list
        etl query top_products
        etl query daily_sales_latest --pg-url postgresql://etl@localhost/shop
        etl query "SELECT * FROM staging.customers_rejects" --format csv
        etl query "SELECT * FROM raw.orders" --limit 100
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
    if all_rows and limit is not None:
        msg = "give --limit N or --all, not both"
        raise click.UsageError(msg)
    if limit is None and fmt == "table" and not all_rows:
        limit = DEFAULT_TABLE_ROWS
    from engine.queryrun import named_or_sql
    from engine.sink import open_reader

    sql = named_or_sql(sql, named)
    with open_reader(warehouse, pg_url, wait=wait, on_wait=notice(quiet)) as reader:
        result = reader.read(sql, limit)
    print_query_result(result, fmt, quiet)


def _bench_command() -> click.Command:
    """`etl bench`: the harness's own click command, declared in benchmarks/cli.py."""
    try:
        from benchmarks.cli import bench
    except ModuleNotFoundError as exc:
        missing = str(exc)

        @click.command(
            "bench",
            context_settings={"ignore_unknown_options": True},
            add_help_option=False,
        )
        @click.argument("args", nargs=-1, type=click.UNPROCESSED)
        def bench(args: tuple[str, ...]) -> None:
            """Benchmarks (needs a source checkout with the bench extra)."""
            msg = f"the benchmarks need a source checkout and the bench extra ({missing}); run pip install -e '.[bench]' in the repository"
            raise click.ClickException(msg)

    return bench


cli.add_command(_bench_command())


# Commands about the PostgreSQL copy live in their own module.
from engine.cli_publish import publish, verify  # noqa: E402 - needs the group above

cli.add_command(publish)
cli.add_command(verify)
