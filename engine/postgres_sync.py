"""Incremental sync of one raw table: only files whose content or ingest run changed move.

The warehouse's ingest ledger is the truth; this database's raw.<table> and
meta.ingested_files are made to match it in one transaction per table.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import TYPE_CHECKING, Final

import pyarrow as pa
import pyarrow.compute as pc

from engine.errors import ContractError, SinkError
from engine.postgres_load import Tally, conform, ingest
from engine.postgres_session import execute, quote, translated

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Mapping, Sequence

    from adbc_driver_manager.dbapi import Connection

LEDGER: Final = "meta.ingested_files"

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class SyncResult:
    """What sync_raw changed in one raw table."""

    table: str
    added: tuple[str, ...] = ()
    """Source files loaded for the first time."""
    changed: tuple[str, ...] = ()
    """Source files whose content hash changed: their rows were replaced."""
    removed: tuple[str, ...] = ()
    """Source files no longer in the warehouse: their rows were deleted."""
    rows_loaded: int = 0
    rows_deleted: int = 0
    seconds: float = 0.0

    @property
    def current(self) -> bool:
        """True when the table was already up to date and nothing was sent."""
        return not (self.added or self.changed or self.removed)


def read_ledger(ledger: pa.Table, name: str, batch_rows: int) -> pa.Table:
    """The warehouse's ledger rows for raw.<name>, cast to meta.ingested_files."""
    stream, _ = conform(ledger.to_reader(), LEDGER, batch_rows)
    table = stream.read_all()
    names = set(pc.unique(table["table_name"]).to_pylist())
    if names - {name}:
        msg = f'raw.{name}: the ledger passed to sync_raw has rows for table_name {sorted(names - {name})}; pass only rows with table_name "{name}"'
        raise ContractError(msg, table=f"raw.{name}", column="table_name")
    if len(pc.unique(table["source_file"])) != table.num_rows:
        msg = f"raw.{name}: the ledger lists a source_file twice; fix meta.ingested_files in the warehouse"
        raise ContractError(msg, table=f"raw.{name}", column="source_file")
    return table


def sync_table(
    conn: Connection,
    url: str,
    name: str,
    ledger: pa.Table,
    fetch: Callable[[Sequence[str]], pa.RecordBatchReader],
    batch_rows: int,
    repair_dates: Sequence[dt.date] = (),
) -> SyncResult:
    """Make raw.<name> hold exactly the ledger's files, whatever this database holds.

    A file that is sent replaces every row of it here, listed in this ledger or
    not; when every file is sent, the table is emptied first. `repair_dates` are
    partitions found drifted: all their rows are deleted and their files re-sent.
    """
    started = time.perf_counter()
    table = f"raw.{name}"
    # A file moves when its content or the run that ingested it differs: a
    # re-ingest (--full-refresh, a new warehouse) changes _ingested_at, and the
    # target must hold the warehouse's rows exactly.
    wanted: dict[str, tuple[tuple[str, str], dt.date, int]] = {
        row["source_file"]: (
            (row["content_hash"], row["run_id"]),
            row["partition_date"],
            row["row_count"],
        )
        for row in ledger.select(
            ["source_file", "content_hash", "run_id", "partition_date", "row_count"]
        ).to_pylist()
    }
    with translated(url, LEDGER, "read the ledger"):
        here: dict[str, tuple[tuple[str, str], dt.date]] = {
            source: ((digest, run_id), day)
            for source, digest, run_id, day in execute(
                conn,
                f"SELECT source_file, content_hash, run_id, partition_date FROM {LEDGER} "
                "WHERE table_name = $1",
                [name],
            )
        }
    repaired = set(repair_dates)
    fetched = sorted(
        f
        for f in wanted
        if f not in here or here[f][0] != wanted[f][0] or wanted[f][1] in repaired
    )
    removed = tuple(sorted(set(here) - set(wanted)))
    stale = sorted(set(fetched) | set(removed))
    if not fetched and not removed and not repaired:
        return SyncResult(name, seconds=time.perf_counter() - started)
    dates = sorted(
        {here[f][1] for f in stale if f in here}
        | {wanted[f][1] for f in fetched}
        | repaired
    )
    with translated(url, table, "delete replaced files"):
        deleted = _delete_rows(
            conn,
            name,
            stale,
            dates,
            every=len(fetched) == len(wanted),
            repaired=sorted(repaired),
        )
        execute(
            conn,
            f"DELETE FROM {LEDGER} WHERE table_name = $1 AND source_file = ANY($2)",
            [name, stale],
        )
    tally = Tally(table=table, decimals=())
    if fetched:
        with fetch(fetched) as reader:
            stream, tally = conform(reader, table, batch_rows, by_partition=True)
            ingest(conn, url, stream, tally, ("raw", name))
        rows = ledger.filter(pc.is_in(ledger["source_file"], pa.array(fetched)))
        stream, ledger_tally = conform(rows.to_reader(), LEDGER, batch_rows)
        ingest(conn, url, stream, ledger_tally, ("meta", "ingested_files"))
    with translated(url, table, "verify the load"):
        _verify(conn, tally, wanted, fetched, dates)
        listed = execute(
            conn, f"SELECT count(*) FROM {LEDGER} WHERE table_name = $1", [name]
        )[0][0]
        if listed != len(wanted):
            msg = f"{table}: the ledger here lists {listed:,} files after the sync, the warehouse {len(wanted):,}; rolled back"
            raise SinkError(msg, table=table)
        conn.commit()
    seconds = time.perf_counter() - started
    logger.info(
        "loaded %s rows -> %s in %.2f s (%d files in, %d out)",
        f"{tally.rows:,}",
        table,
        seconds,
        len(fetched),
        len(removed),
    )
    return SyncResult(
        name,
        added=tuple(f for f in fetched if f not in here),
        changed=tuple(f for f in fetched if f in here),
        removed=removed,
        rows_loaded=tally.rows,
        rows_deleted=int(deleted),
        seconds=seconds,
    )


def _delete_rows(
    conn: Connection,
    name: str,
    files: Sequence[str],
    dates: Sequence[dt.date],
    *,
    every: bool,
    repaired: Sequence[dt.date],
) -> int:
    """Delete the rows of `files` (all rows when `every` file is re-sent) and of `repaired` dates.

    DELETE, not TRUNCATE: a reader's older snapshot keeps seeing the old rows.
    """
    target = quote("raw", name)
    if every:
        where, params = "true", []
    else:
        # The BRIN index on _partition_date finds a file's rows without a full scan.
        where = "_partition_date = ANY($1::date[]) AND (_source_file = ANY($2::text[]) OR _partition_date = ANY($3::date[]))"
        params = [list(dates), list(files), list(repaired)]
    return int(
        execute(
            conn,
            f"WITH gone AS (DELETE FROM {target} WHERE {where} RETURNING 1) "
            "SELECT count(*) FROM gone",
            params,
        )[0][0]
    )


def _verify(
    conn: Connection,
    tally: Tally,
    wanted: Mapping[str, tuple[tuple[str, str], dt.date, int]],
    fetched: Sequence[str],
    dates: Sequence[dt.date],
) -> None:
    """Rows sent and rows stored match the warehouse ledger.

    One count over the touched partitions (the whole table when every file moved)
    proves the sync exactly-once; the costlier per-file count runs only to name
    the file when the totals disagree.
    """
    target = quote("raw", tally.table.removeprefix("raw."))
    to_send = sum(wanted[source][2] for source in fetched)
    on_dates = set(dates)
    expected = sum(rows for _, day, rows in wanted.values() if day in on_dates)
    if len(fetched) == len(wanted):
        ((stored,),) = execute(conn, f"SELECT count(*) FROM {target}")
    else:
        ((stored,),) = execute(
            conn,
            f"SELECT count(*) FROM {target} WHERE _partition_date = ANY($1)",
            [list(dates)],
        )
    if stray := sorted(tally.partitions - set(dates)):
        msg = f"{tally.table}: fetch returned rows dated {stray[0]}, a partition of none of the files asked for; rolled back"
        raise SinkError(msg, table=tally.table)
    if tally.rows == to_send and stored == expected:
        return
    if tally.rows != to_send:
        _name_the_file(conn, tally.table, target, wanted, fetched, dates)
    held = stored - (expected - to_send)
    msg = f'{tally.table}: {tally.rows:,} rows were sent but PostgreSQL holds {held:,} on those partitions; rolled back: run again, or if rows were changed there by hand, "etl verify" shows where and "etl publish --repair" re-sends them'
    raise SinkError(msg, table=tally.table)


def _name_the_file(
    conn: Connection,
    table: str,
    target: str,
    wanted: Mapping[str, tuple[tuple[str, str], dt.date, int]],
    fetched: Sequence[str],
    dates: Sequence[dt.date],
) -> None:
    """Raise for the first fetched file whose rows disagree with the ledger."""
    loaded = execute(
        conn,
        f"SELECT _source_file, _partition_date, count(*) FROM {target} "
        "WHERE _partition_date = ANY($1) GROUP BY 1, 2 ORDER BY 1, 2",
        [list(dates)],
    )
    asked = set(fetched)
    per_file = {}
    for source, day, count in loaded:
        known = wanted.get(source)
        kept = known[2] if known and source not in asked and day == known[1] else 0
        if count != kept and (source not in asked or day != wanted[source][1]):
            msg = f"{table}: fetch returned {count - kept:,} rows of {source} dated {day}, which was not asked for with that date; rolled back"
            raise SinkError(msg, table=table)
        per_file[source] = count
    for source in fetched:
        if per_file.get(source, 0) != wanted[source][2]:
            msg = f"{table}: {source}: the warehouse ledger says {wanted[source][2]:,} rows but fetch returned {per_file.get(source, 0):,}; rolled back, rebuild raw in the warehouse"
            raise SinkError(msg, table=table)


def ingested_files(conn: Connection, url: str) -> dict[tuple[str, str], str]:
    """(table_name, source_file) -> content_hash, from this database's ledger."""
    with translated(url, LEDGER, "read the ledger"):
        rows = execute(
            conn, f"SELECT table_name, source_file, content_hash FROM {LEDGER}"
        )
        conn.rollback()
    return {(table, source): digest for table, source, digest in rows}
