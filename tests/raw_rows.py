"""Hand-made raw.<entity> rows with lineage numbered the way the raw layer numbers it."""

from __future__ import annotations

import datetime as dt

import polars as pl

from engine import contracts


def raw_rows(
    entity: str,
    rows: list[dict],
    *,
    base: dict[str, dict],
    day: str,
    ingested: dt.datetime,
) -> pl.DataFrame:
    """raw.<entity> rows: base[entity] overridden by each dict, plus lineage.

    A row may set `_partition_date` ('YYYY-MM-DD', default `day`), `_source_file` and
    `_source_row`; by default rows count up within their day's file.
    """
    per_file: dict[str, int] = {}
    full = []
    for row in rows:
        values = {**base[entity], **row}
        partition = values.pop("_partition_date", day)
        source = values.pop("_source_file", f"{entity}/{partition}/data.parquet")
        position = per_file.get(source, 0)
        per_file[source] = position + 1
        values.setdefault("_source_row", position)
        full.append(
            {
                **values,
                "_source_file": source,
                "_partition_date": dt.date.fromisoformat(partition),
                "_ingested_at": ingested,
            }
        )
    return pl.DataFrame(full, schema=contracts.polars_schema(f"raw.{entity}"))
