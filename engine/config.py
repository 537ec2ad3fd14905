"""Run settings: one frozen object, resolved once by the CLI and passed down explicitly."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from engine.memory import DEFAULT_MEMORY_LIMIT
from engine.redact import redact

if TYPE_CHECKING:
    import datetime as dt

Engine = Literal["polars", "duckdb"]
PublishMode = Literal["replace", "swap"]

DEFAULT_WAREHOUSE = Path("warehouse.duckdb")
DEFAULT_DATA_DIR = Path("raw_data")


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = DEFAULT_DATA_DIR
    """Root of the partitioned Parquet files: <data_dir>/<table>/<YYYY-MM-DD>/*.parquet."""
    warehouse: Path = DEFAULT_WAREHOUSE
    """The embedded DuckDB warehouse file, the engine's working store."""
    pg_url: str | None = None
    """libpq URL of a PostgreSQL target; None builds the warehouse only."""
    full_refresh: bool = False
    """Rebuild raw from every file instead of only new or changed ones."""
    as_of: dt.date | None = None
    """Date the prod `days_since_*` columns count from; None means the last partition."""
    engine: Engine = "polars"
    """Which implementation builds staging and prod."""
    batch_rows: int = 65_536
    """Rows per Arrow record batch when streaming to a target."""
    threads: int | None = None
    """Worker threads for DuckDB and Polars; None lets them use every core."""
    memory_limit: int = DEFAULT_MEMORY_LIMIT
    """Bytes the whole run may use; DuckDB and the Polars pieces are sized from it."""
    pg_connect_timeout: float = 10.0
    """Seconds to wait for PostgreSQL to accept a connection and answer."""
    pg_lock_timeout: float = 30.0
    """Seconds a PostgreSQL statement waits for another session's lock."""
    publish_mode: PublishMode = "replace"
    """replace: swap rows in one transaction (snapshot-safe); swap: rename new tables in."""

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{f.name}={redact(getattr(self, f.name))!r}"
            if f.name == "pg_url"
            else f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
        )
        return f"Settings({fields})"
