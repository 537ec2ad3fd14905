"""Table contracts derived from the DDL in sql/, the single source of truth for shapes.

Python never restates a schema: the DDL runs in an in-memory DuckDB and the table
shapes are read back as Arrow and Polars schemas.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable

    import polars as pl
    import pyarrow as pa

Layer = Literal["raw", "staging", "prod"]
LAYERS: Final[tuple[Layer, ...]] = ("raw", "staging", "prod")
ENTITIES: Final[tuple[str, ...]] = ("customers", "products", "orders", "order_items")
LINEAGE_COLUMNS: Final[tuple[str, ...]] = (
    "_source_file",
    "_source_row",
    "_partition_date",
    "_ingested_at",
)


def sql_dir() -> Path:
    """Where the DDL lives: inside the installed package, else the repository's sql/."""
    packaged = Path(__file__).parent / "sql"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[1] / "sql"


def ddl_files() -> list[Path]:
    """The DDL files in the order they must run."""
    return sorted(sql_dir().glob("*.sql"))


_CREATE = re.compile(r"^CREATE TABLE IF NOT EXISTS (\w+\.\w+) \(", re.MULTILINE)
_COMMENTED_COLUMN = re.compile(r"^\s+(\w+) [^\n]*?--\s*(.+?)\s*$")


@functools.cache
def column_comments() -> dict[str, dict[str, str]]:
    """Qualified table -> column -> the `--` comment on its line in sql/.

    The DDL's comments are the one description of each column; setup turns them
    into COMMENT ON COLUMN, shown by psql and duckdb_columns().
    """
    found: dict[str, dict[str, str]] = {}
    for path in ddl_files():
        text = path.read_text()
        for match in _CREATE.finditer(text):
            body = text[match.end() : text.index("\n)", match.end())]
            columns = found.setdefault(match[1], {})
            for line in body.splitlines():
                if commented := _COMMENTED_COLUMN.match(line):
                    columns[commented[1]] = commented[2]
    return found


def comment_statements(tables: Iterable[str] | None = None) -> list[str]:
    """COMMENT ON COLUMN statements for the given qualified tables (default: all)."""
    comments = column_comments()
    return [
        f"COMMENT ON COLUMN {table}.{column} IS '{text.replace(chr(39), chr(39) * 2)}'"
        for table in (comments if tables is None else tables)
        for column, text in comments.get(table, {}).items()
    ]


@functools.cache
def _arrow_schemas() -> dict[str, pa.Schema]:
    return _read_ddl()[0]


@functools.cache
def _primary_keys() -> dict[str, tuple[str, ...]]:
    return _read_ddl()[1]


@functools.cache
def _read_ddl() -> tuple[dict[str, pa.Schema], dict[str, tuple[str, ...]]]:
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        for path in ddl_files():
            con.execute(path.read_text())
        names = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE database_name = current_database() ORDER BY ALL"
        ).fetchall()
        schemas = {}
        for schema, table in names:
            arrow = con.sql(
                f'SELECT * FROM "{schema}"."{table}" LIMIT 0'
            ).to_arrow_table()
            schemas[f"{schema}.{table}"] = pa.schema(
                [_normalize(field) for field in arrow.schema]
            )
        keys = con.execute(
            "SELECT schema_name || '.' || table_name, constraint_column_names "
            "FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
        ).fetchall()
        return schemas, {table: tuple(columns) for table, columns in keys}
    finally:
        con.close()


def _normalize(field: pa.Field) -> pa.Field:
    """Spell time zones as 'UTC' (DuckDB says 'Etc/UTC'); that is what ADBC sends."""
    import pyarrow as pa

    if pa.types.is_timestamp(field.type) and field.type.tz is not None:
        return field.with_type(pa.timestamp(field.type.unit, tz="UTC"))
    return field


def tables(layer: str) -> list[str]:
    """Table names (without schema) of one layer, sorted."""
    prefix = f"{layer}."
    return [
        name.removeprefix(prefix)
        for name in _arrow_schemas()
        if name.startswith(prefix)
    ]


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a qualified table such as 'staging.orders'."""
    try:
        return _arrow_schemas()[table]
    except KeyError:
        from engine.errors import ContractError

        msg = f"{table}: no such table in sql/; known tables: {', '.join(_arrow_schemas())}"
        raise ContractError(msg, table=table) from None


def primary_key(table: str) -> tuple[str, ...]:
    """The primary key columns sql/ declares for a qualified table; () for none."""
    arrow_schema(table)  # an unknown table is an error, not a table without a key
    return _primary_keys().get(table, ())


def polars_schema(table: str) -> pl.Schema:
    """The Polars schema of a qualified table such as 'prod.daily_sales'."""
    import polars as pl
    import pyarrow as pa

    # from_batches, not empty_table(): that one imports pandas (0.7 s) on first use.
    return pl.from_arrow(pa.Table.from_batches([], arrow_schema(table))).schema


def conform(frame: pl.LazyFrame, table: str) -> pl.LazyFrame:
    """Select the table's columns in contract order, cast to the contract's dtypes."""
    import polars as pl

    schema = polars_schema(table)
    missing = [name for name in schema if name not in frame.collect_schema()]
    if missing:
        from engine.errors import ContractError

        msg = f"{table}: output lacks column(s) {', '.join(missing)}"
        raise ContractError(msg, table=table, column=missing[0])
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())
