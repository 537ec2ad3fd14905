"""The warehouse in the read role of the sink protocol: `etl query`, `status` and `dq`.

Opened read-only and sandboxed (engine/readonly.py decides what may run), so a
reader can neither change the warehouse nor reach files beside it.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from engine.errors import QueryError
from engine.readonly import ALLOWED, check_duckdb, duckdb_error, sandbox_duckdb
from engine.sink import Rows
from engine.warehouse import open_for_reading

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import duckdb


class WarehouseReader:
    """The warehouse file, read-only: waits up to `wait` seconds for a running build."""

    def __init__(
        self,
        path: Path,
        *,
        wait: float = 0.0,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.where = str(path)
        self._con = open_for_reading(path, wait=wait, on_wait=on_wait)
        sandbox_duckdb(self._con)

    def read(self, sql: str, limit: int | None = None) -> Rows:
        """Run one read-only statement; with `limit`, keep that many rows but count all."""
        import duckdb

        check_duckdb(self._con, sql)
        try:
            if limit is not None:
                return _head(self._con, sql, limit)
            relation = self._con.sql(sql)
            if relation is None:
                msg = f"{ALLOWED}; this one returned no result set"
                raise QueryError(msg)
            rows = relation.fetchall()
            return Rows(list(relation.columns), rows, len(rows))
        except duckdb.Error as exc:
            raise duckdb_error(exc) from exc

    def close(self) -> None:
        """Close the connection, letting a build open the file again."""
        self._con.close()


def _head(con: duckdb.DuckDBPyConnection, sql: str, limit: int) -> Rows:
    """The first `limit` rows as Python values; the rest are only counted, as Arrow."""
    result = con.execute(sql)
    if result.description is None:
        msg = f"{ALLOWED}; this one returned no result set"
        raise QueryError(msg)
    columns = [d[0] for d in result.description]
    rows = result.fetchmany(limit)
    with warnings.catch_warnings():
        # DuckDB warns that Arrow output copies rows; here they are only counted.
        warnings.simplefilter("ignore", UserWarning)
        rest = sum(batch.num_rows for batch in result.to_arrow_reader(65_536))
    return Rows(columns, rows, len(rows) + rest)
