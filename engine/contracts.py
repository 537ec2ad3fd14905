"""Table contracts derived from the DDL in sql/, the single source of truth for shapes.

Python never restates a schema: the DDL runs in an in-memory DuckDB and the table
shapes are read back as Arrow and Polars schemas.

The source tables (entities) are declared here too: every `raw.<entity>` table, each
with `staging.<entity>` (whose one-column PRIMARY KEY is the entity's key) and
`staging.<entity>_rejects`. References between them are comment lines of the form

    -- reference: staging.orders (customer_id) REFERENCES staging.customers (customer_id)

in sql/20_staging.sql: read here, not enforced by the databases (staging rejects
orphans itself; a FOREIGN KEY would slow every load and delete). They order the
entities parents first. The list and references are read from the DDL text, so
`etl generate` gets them without starting DuckDB.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable

    import polars as pl
    import pyarrow as pa

Layer = Literal["raw", "staging", "prod"]
LAYERS: Final[tuple[Layer, ...]] = ("raw", "staging", "prod")
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


# --- source tables (entities): list, keys and references -----------------------------

_REFERENCE = re.compile(
    r"^-- reference: (\w+)\.(\w+) \((\w+)\) REFERENCES (\w+)\.(\w+) \((\w+)\)\s*$",
    re.MULTILINE,
)


@dataclass(frozen=True, slots=True)
class Reference:
    """A child entity's column that holds a key of its parent entity."""

    entity: str
    column: str
    parent: str
    parent_column: str


def __getattr__(name: str) -> tuple[str, ...]:
    # ENTITIES is read lazily, so a broken DDL fails where it is used, not on import.
    if name == "ENTITIES":
        return entities()
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


@functools.cache
def declared_tables() -> tuple[str, ...]:
    """Qualified names of the tables sql/ creates, in declaration order."""
    return tuple(
        match[1] for path in ddl_files() for match in _CREATE.finditer(path.read_text())
    )


@functools.cache
def references() -> tuple[Reference, ...]:
    """The `-- reference:` lines of sql/, checked to join two entities' staging tables."""
    return tuple(
        _reference(match)
        for path in ddl_files()
        for match in _REFERENCE.finditer(path.read_text())
    )


def _reference(match: re.Match[str]) -> Reference:
    layer, entity, column, parent_layer, parent, parent_column = match.groups()
    if layer != "staging" or parent_layer != "staging":
        msg = f"sql/: {match[0].strip()}: references join staging tables; write staging.<entity> on both sides"
        raise _contract_error(msg, f"{layer}.{entity}")
    return Reference(entity, column, parent, parent_column)


@functools.cache
def entities() -> tuple[str, ...]:
    """The source tables, parents before their children (then by name).

    An entity is a `raw.<name>` table; its depth is one more than its deepest
    parent's, so the order only changes when the references do.
    """
    declared = declared_tables()
    names = [t.removeprefix("raw.") for t in declared if t.startswith("raw.")]
    for name in names:
        for needed in (f"staging.{name}", f"staging.{name}_rejects"):
            if needed not in declared:
                msg = f"raw.{name}: source table without {needed} in sql/; declare it in sql/20_staging.sql"
                raise _contract_error(msg, needed)
    parents: dict[str, set[str]] = {name: set() for name in names}
    for ref in references():
        for side in (ref.entity, ref.parent):
            if side not in parents:
                msg = f"staging.{ref.entity} ({ref.column}): reference to or from staging.{side}, which is not a source table (no raw.{side} in sql/)"
                raise _contract_error(msg, f"staging.{side}")
        parents[ref.entity].add(ref.parent)
    return tuple(sorted(names, key=lambda name: (_depth(name, parents, ()), name)))


def _depth(name: str, parents: dict[str, set[str]], path: tuple[str, ...]) -> int:
    if name in path:
        cycle = " -> ".join([*path[path.index(name) :], name])
        msg = (
            f"staging.{name}: the references in sql/ form a cycle ({cycle}); remove one"
        )
        raise _contract_error(msg, f"staging.{name}")
    return max(
        (1 + _depth(parent, parents, (*path, name)) for parent in parents[name]),
        default=0,
    )


def entity_key(entity: str) -> str:
    """The key column of a source table: the one column of its staging PRIMARY KEY."""
    key = primary_key(f"staging.{entity}")
    if len(key) != 1:
        msg = f"staging.{entity}: declare a PRIMARY KEY of exactly one column in sql/20_staging.sql (found {len(key)})"
        raise _contract_error(msg, f"staging.{entity}")
    return key[0]


def parent_references(entity: str) -> tuple[Reference, ...]:
    """The references a source table holds to its parents, checked against the DDL."""
    found = tuple(ref for ref in references() if ref.entity == entity)
    for ref in found:
        if ref.column not in arrow_schema(f"staging.{entity}").names:
            msg = f"staging.{entity}: the reference in sql/ names column {ref.column}, which staging.{entity} lacks"
            raise _contract_error(msg, f"staging.{entity}")
        if ref.parent_column != entity_key(ref.parent):
            msg = f"staging.{entity} ({ref.column}): the reference in sql/ must name the key of staging.{ref.parent}, {entity_key(ref.parent)}, not {ref.parent_column}"
            raise _contract_error(msg, f"staging.{entity}")
    return found


def _contract_error(msg: str, table: str) -> Exception:
    from engine.errors import ContractError

    return ContractError(msg, table=table)
