"""A copy of sql/ that a test may extend: the contracts read it while the test runs."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from engine import contracts

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

REFUNDS_DDL = """
CREATE TABLE IF NOT EXISTS raw.refunds (
    refund_id BIGINT,
    order_id BIGINT,
    _source_file TEXT NOT NULL,
    _source_row BIGINT NOT NULL,
    _partition_date DATE NOT NULL,
    _ingested_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS staging.refunds (
    refund_id BIGINT NOT NULL PRIMARY KEY,
    order_id BIGINT NOT NULL,
    _source_file TEXT NOT NULL,
    _partition_date DATE NOT NULL
);
CREATE TABLE IF NOT EXISTS staging.refunds_rejects (
    refund_id BIGINT,
    order_id BIGINT,
    reject_reason TEXT NOT NULL,
    _source_file TEXT NOT NULL,
    _source_row BIGINT NOT NULL,
    _partition_date DATE NOT NULL
);
"""
REFUNDS_REFERENCE = (
    "-- reference: staging.refunds (order_id) REFERENCES staging.orders (order_id)\n"
)

CACHED = (
    "column_comments",
    "_arrow_schemas",
    "_primary_keys",
    "_read_ddl",
    "declared_tables",
    "references",
    "entities",
)


@contextlib.contextmanager
def sql_copy(tmp_path: Path) -> Iterator[Path]:
    """Point the contracts at a copy of sql/ under tmp_path while the block runs."""
    folder = tmp_path / "sql"
    folder.mkdir()
    for path in contracts.ddl_files():
        (folder / path.name).write_text(path.read_text())
    original = contracts.sql_dir
    contracts.sql_dir = lambda: folder
    _clear()
    try:
        yield folder
    finally:
        contracts.sql_dir = original
        _clear()


def _clear() -> None:
    for name in CACHED:
        getattr(contracts, name).cache_clear()
