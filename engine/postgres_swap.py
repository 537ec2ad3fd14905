"""Replace a whole layer without readers ever seeing it empty or half-loaded.

Load `<table>__new` copies, give them the live tables' keys, indexes, grants and
comment, then rename them in, all tables in one short transaction.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import re
import threading
import time
from typing import TYPE_CHECKING

from engine.errors import ContractError, SinkError
from engine.postgres_load import conform, ingest, verify
from engine.postgres_parallel import run_parallel
from engine.postgres_session import DriverError, execute, quote, translated

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    import pyarrow as pa
    from adbc_driver_manager.dbapi import Connection

    from engine.postgres_pool import ConnectionPool

logger = logging.getLogger(__name__)

NEW, OLD = "__new", "__old"
_MAX_NAME = 63  # PostgreSQL's NAMEDATALEN - 1; longer names are cut silently
_SORT_MEMORY = "512MB"
# The index name may be quoted and hold spaces ("weird idx"); the table is ours.
_INDEX_DEF = re.compile(
    r'^CREATE (UNIQUE )?INDEX (?:"(?:[^"]|"")+"|\S+) ON (?:ONLY )?\S+ USING (.+)$'
)


@dataclasses.dataclass(frozen=True, slots=True)
class Shape:
    """What a live table has beyond its columns, to be rebuilt on its replacement."""

    name: str
    constraints: tuple[tuple[str, str], ...] = ()
    """(name, definition) of primary keys, unique and check constraints."""
    indexes: tuple[tuple[str, str], ...] = ()
    """(name, `[UNIQUE ]INDEX ... USING ...` tail) of indexes no constraint owns."""
    comment: str | None = None
    grants: tuple[tuple[str, str, bool], ...] = ()
    """(grantee, privilege, grantable); 'PUBLIC' for everyone."""
    rows: float = 0.0
    """The planner's row estimate, to start the biggest loads first."""


def temp_name(name: str) -> str:
    """`name__new`, shortened so PostgreSQL does not truncate it into a clash."""
    return name[: _MAX_NAME - len(NEW)] + NEW


def read_shapes(conn: Connection, layer: str, names: Sequence[str]) -> list[Shape]:
    """Keys, indexes, comment and grants of the layer's live tables, biggest first."""
    args = [layer, list(names)]
    scope = "n.nspname = $1 AND c.relname = ANY($2)"
    # A view would follow the old table through the rename and block its DROP.
    for table, view in execute(
        conn,
        "SELECT DISTINCT c.relname, v.oid::regclass::text FROM pg_depend d "
        "JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class "
        "JOIN pg_class c ON c.oid = d.refobjid "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {scope} "
        "AND d.classid = 'pg_rewrite'::regclass AND v.oid <> c.oid ORDER BY 1, 2 LIMIT 1",
        args,
    ):
        msg = f"{layer}.{table}: view {view} depends on it, and a publish swaps the table; drop the view before the run and recreate it after"
        raise SinkError(msg, table=f"{layer}.{table}")
    constraints: dict[str, list[tuple[str, str]]] = {name: [] for name in names}
    for table, con, kind, definition in execute(
        conn,
        "SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid) "
        "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {scope} ORDER BY 1, 2",
        args,
    ):
        if kind == "f":
            # A foreign key would follow the old table through the rename.
            msg = f'{layer}.{table}: foreign key "{con}" cannot survive a layer swap; drop it (ALTER TABLE {layer}.{table} DROP CONSTRAINT {con})'
            raise ContractError(msg, table=f"{layer}.{table}")
        if kind in {"p", "u", "c", "x"}:
            constraints[table].append((con, definition))
    indexes: dict[str, list[tuple[str, str]]] = {name: [] for name in names}
    for table, index, definition in execute(
        conn,
        "SELECT c.relname, i.relname, pg_get_indexdef(x.indexrelid) "
        "FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {scope} "
        "AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = x.indexrelid) "
        "ORDER BY 1, 2",
        args,
    ):
        match = _INDEX_DEF.match(definition)
        if match is None:
            msg = f'{layer}.{table}: cannot rebuild index "{index}" on the swapped-in table ({definition}); drop it, or publish with --publish-mode replace, which keeps every index'
            raise SinkError(msg, table=f"{layer}.{table}")
        indexes[table].append((index, f"{match[1] or ''}INDEX|{match[2]}"))
    grants: dict[str, list[tuple[str, str, bool]]] = {name: [] for name in names}
    for table, grantee, privilege, grantable in execute(
        conn,
        "SELECT c.relname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' "
        "ELSE quote_ident(pg_get_userbyid(a.grantee)) END, a.privilege_type, "
        "a.is_grantable FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, "
        f"aclexplode(c.relacl) a WHERE {scope} AND a.grantee <> c.relowner ORDER BY 1, 2, 3",
        args,
    ):
        grants[table].append((grantee, privilege, grantable))
    rows = execute(
        conn,
        "SELECT c.relname, obj_description(c.oid, 'pg_class'), c.reltuples "
        f"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {scope}",
        args,
    )
    shapes = [
        Shape(
            name=table,
            constraints=tuple(constraints[table]),
            indexes=tuple(indexes[table]),
            comment=comment,
            grants=tuple(grants[table]),
            rows=float(estimate),
        )
        for table, comment, estimate in rows
    ]
    return sorted(shapes, key=lambda shape: -shape.rows)


def drop_leftovers(conn: Connection, layer: str, names: Sequence[str]) -> None:
    """Drop `__new`/`__old` tables a killed run left behind (under the run lock)."""
    leftovers = [quote(layer, temp_name(n)) for n in names]
    leftovers += [quote(layer, n + OLD) for n in names]
    execute(conn, f"DROP TABLE IF EXISTS {', '.join(leftovers)}")
    conn.commit()


def build(
    conn: Connection,
    url: str,
    layer: str,
    shape: Shape,
    source: Callable[[], pa.RecordBatchReader],
    batch_rows: int,
    abort: threading.Event,
) -> int:
    """Create, load, verify and key `<table>__new`, committed; returns its rows."""
    table = f"{layer}.{shape.name}"
    new = (layer, temp_name(shape.name))
    started = time.perf_counter()
    try:
        with translated(url, table, "create its replacement"):
            execute(
                conn,
                # Column comments travel with the table; its own comment is in shape.
                f"CREATE TABLE {quote(*new)} (LIKE {quote(layer, shape.name)} INCLUDING COMMENTS)",
            )
        with source() as reader:
            stream, tally = conform(reader, table, batch_rows, abort=abort)
            ingest(conn, url, stream, tally, new)
        with translated(url, table, "verify the load"):
            verify(conn, tally, new)
        # Keys and indexes after the load: building them once is ~2x faster
        # than maintaining them row by row.
        with translated(url, table, "add keys and indexes"):
            for statement in _finish(shape, new):
                execute(conn, statement)
            conn.commit()
    except BaseException:
        # A lost connection cannot roll back (the server already has): keep the
        # error that says what happened.
        with contextlib.suppress(DriverError):
            conn.rollback()
        raise
    seconds = time.perf_counter() - started
    logger.info("loaded %s rows -> %s in %.2f s", f"{tally.rows:,}", table, seconds)
    return tally.rows


def _finish(shape: Shape, new: tuple[str, str]) -> list[str]:
    target = quote(*new)
    # Sorting a scale-10 key in memory instead of on disk: 1.24 s -> 0.69 s. The
    # server only takes what the sort needs, and only for this transaction.
    statements = [f"SET LOCAL maintenance_work_mem = '{_SORT_MEMORY}'"]
    statements += [
        f"ALTER TABLE {target} ADD CONSTRAINT {quote(temp_name(name))} {definition}"
        for name, definition in shape.constraints
    ]
    for name, definition in shape.indexes:
        kind, using = definition.split("|", 1)
        statements.append(
            f"CREATE {kind} {quote(temp_name(name))} ON {target} USING {using}"
        )
    if shape.comment is not None:
        comment = shape.comment.replace("'", "''")
        statements.append(f"COMMENT ON TABLE {target} IS '{comment}'")
    for grantee, privilege, grantable in shape.grants:
        option = " WITH GRANT OPTION" if grantable else ""
        statements.append(f"GRANT {privilege} ON {target} TO {grantee}{option}")
    return statements


def swap(conn: Connection, url: str, layer: str, shapes: Sequence[Shape]) -> None:
    """Rename every `__new` table in and drop the old ones, in one transaction.

    The session's lock_timeout bounds the wait for readers' locks.
    """
    statements = []
    for shape in shapes:
        live, old = quote(layer, shape.name), quote(layer, shape.name + OLD)
        statements += [
            f"ALTER TABLE {live} RENAME TO {quote(shape.name + OLD)}",
            f"ALTER TABLE {quote(layer, temp_name(shape.name))} RENAME TO {quote(shape.name)}",
            f"DROP TABLE {old}",
        ]
        statements += [
            f"ALTER TABLE {live} RENAME CONSTRAINT {quote(temp_name(n))} TO {quote(n)}"
            for n, _ in shape.constraints
        ]
        statements += [
            f"ALTER INDEX {quote(layer, temp_name(n))} RENAME TO {quote(n)}"
            for n, _ in shape.indexes
        ]
    try:
        with translated(url, f"{layer} layer", "swap in the new tables"):
            for statement in statements:
                execute(conn, statement)
            conn.commit()
    except BaseException:
        # A lost connection cannot roll back (the server already has): keep the
        # error that says what happened.
        with contextlib.suppress(DriverError):
            conn.rollback()
        raise


def swap_layer(
    pool: ConnectionPool,
    main: tuple[Connection, threading.RLock],
    url: str,
    layer: str,
    sources: Mapping[str, Callable[[], pa.RecordBatchReader]],
    batch_rows: int,
    workers: int,
) -> dict[str, int]:
    """Load every table's `__new` copy in parallel, then swap them all in; rows per table.

    `main` is the target's own connection and the guard its users share; on any
    failure the `__new` tables are dropped again.
    """
    names = list(sources)
    conn, guard = main
    with guard, translated(url, f"{layer} layer", "prepare"):
        shapes = read_shapes(conn, layer, names)
        conn.rollback()
    abort = threading.Event()

    def job(shape: Shape) -> int:
        with pool.worker() as worker:
            return build(
                worker, url, layer, shape, sources[shape.name], batch_rows, abort
            )

    try:
        # Biggest tables first (shapes are sorted) so the pool ends together.
        rows = run_parallel(
            {s.name: functools.partial(job, s) for s in shapes}, workers, abort
        )
        with guard:
            swap(conn, url, layer, shapes)
    except BaseException:
        with guard, contextlib.suppress(DriverError):
            drop_leftovers(conn, layer, names)
        raise
    return {name: rows[name] for name in names}
