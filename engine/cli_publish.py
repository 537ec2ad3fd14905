"""The `etl` commands about the PostgreSQL copy: publish it and verify it.

Registered on the `etl` group by cli.py; like cli.py, no heavy import at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from engine.cli_options import (
    debug_option,
    layers_option,
    memory_limit_option,
    pg_options,
    pg_url_option,
    quiet_option,
    verbose_option,
    warehouse_option,
)
from engine.cli_output import echo_published, progress
from engine.config import Settings

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


@click.command()
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
@verbose_option
@debug_option
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
    are replaced whole, just as `etl run --pg-url` does after a build, unless the
    target already holds that build (its meta.layers says which). Missing
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
    from engine.publish import publish_warehouse

    settings = Settings(
        warehouse=warehouse, pg_url=pg_url, memory_limit=memory_limit, **pg_options
    )
    published = publish_warehouse(
        settings,
        layers=layers,  # type: ignore[arg-type]
        progress=progress(quiet),
        repair=repair,
    )
    if not quiet:
        echo_published(pg_url, published)


@click.command()
@layers_option("compare")
@warehouse_option
@pg_url_option
@pg_options(publish_mode=False)
@debug_option
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
    from engine.publish import verify_target

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
