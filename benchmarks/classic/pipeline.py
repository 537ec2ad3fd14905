"""The classic raw -> staging -> prod pipeline into Postgres: pandas + SQLAlchemy to_sql.

raw: ``pd.read_parquet`` per partition file, ``to_sql(if_exists="append",
chunksize=500)``; staging: ``pd.read_sql`` of raw, pandas cleaning (classic.staging),
TRUNCATE, ``to_sql``; prod: aggregation SQL run in Postgres, read back, TRUNCATE,
``to_sql``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import pandas as pd
import sqlalchemy as sa

from benchmarks.classic import PROD_TABLES, SQL_DIR
from benchmarks.classic.staging import build_staging
from engine.contracts import ENTITIES

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from benchmarks.classic.staging import Staged

CHUNKSIZE: Final = 500
_DAY: Final = re.compile(r"^(?:date=)?(\d{4}-\d{2}-\d{2})$")


def sqlalchemy_url(url: str) -> str:
    """A libpq URL as a SQLAlchemy URL for the psycopg (3) driver."""
    return re.sub(r"^postgres(?:ql)?://", "postgresql+psycopg://", url)


def create_engine(url: str) -> sa.Engine:
    return sa.create_engine(sqlalchemy_url(url))


def create_schema(engine: sa.Engine) -> None:
    """The classic DDL: schemas raw, staging, prod and their tables."""
    with engine.begin() as con:
        con.exec_driver_sql((SQL_DIR / "schema.sql").read_text())


def run_classic(engine: sa.Engine, data_dir: Path) -> int:
    """Build raw, staging and prod from the partition files (tables must exist); raw rows."""
    raw_rows = load_raw(engine, data_dir)
    load_staging(engine, build_staging(read_raw(engine)))
    load_prod(engine, as_of=last_partition_date(engine))
    return raw_rows


# -- raw -----------------------------------------------------------------------------


def partition_files(data_dir: Path, table: str) -> list[tuple[dt.date, Path]]:
    """(day, file) of one table, in day then file order."""
    found = []
    for folder in sorted((data_dir / table).iterdir()):
        match = _DAY.match(folder.name)
        if match and folder.is_dir():
            day = dt.date.fromisoformat(match.group(1))
            found.extend((day, path) for path in sorted(folder.glob("*.parquet")))
    found.sort(key=lambda item: (item[0], item[1].as_posix()))
    return found


def read_partition(
    data_dir: Path, day: dt.date, path: Path, ingested_at: pd.Timestamp
) -> pd.DataFrame:
    df = pd.read_parquet(path)
    df["_source_file"] = path.relative_to(data_dir).as_posix()
    df["_source_row"] = range(len(df))
    df["_partition_date"] = day
    df["_ingested_at"] = ingested_at
    return df


def load_raw(engine: sa.Engine, data_dir: Path) -> int:
    """Append every partition file to raw.<table>, one to_sql call per file."""
    ingested_at = pd.Timestamp.now(tz="UTC")
    rows = 0
    for table in ENTITIES:
        for day, path in partition_files(data_dir, table):
            df = read_partition(data_dir, day, path, ingested_at)
            df.to_sql(
                table,
                engine,
                schema="raw",
                if_exists="append",
                index=False,
                chunksize=CHUNKSIZE,
            )
            rows += len(df)
    return rows


# -- staging -------------------------------------------------------------------------


def read_raw(engine: sa.Engine) -> dict[str, pd.DataFrame]:
    return {
        table: pd.read_sql(f"SELECT * FROM raw.{table}", engine) for table in ENTITIES
    }


def load_staging(engine: sa.Engine, staged: Mapping[str, Staged]) -> None:
    frames = {}
    for entity, result in staged.items():
        frames[entity] = result.clean
        frames[f"{entity}_rejects"] = result.rejects
    _reload(engine, "staging", frames)


# -- prod ----------------------------------------------------------------------------


def last_partition_date(engine: sa.Engine) -> dt.date:
    union = " UNION ALL ".join(
        f"SELECT MAX(_partition_date) AS d FROM raw.{table}" for table in ENTITIES
    )
    with engine.connect() as con:
        return con.exec_driver_sql(f"SELECT MAX(d) FROM ({union}) AS days").scalar_one()


def load_prod(engine: sa.Engine, *, as_of: dt.date) -> None:
    frames = {
        table: pd.read_sql(
            (SQL_DIR / f"{table}.sql").read_text(), engine, params={"as_of": as_of}
        )
        for table in PROD_TABLES
    }
    _reload(engine, "prod", frames)


def _reload(engine: sa.Engine, schema: str, frames: Mapping[str, pd.DataFrame]) -> None:
    names = ", ".join(f"{schema}.{table}" for table in frames)
    with engine.begin() as con:
        con.exec_driver_sql(f"TRUNCATE {names}")
    for table, df in frames.items():
        df.to_sql(
            table,
            engine,
            schema=schema,
            if_exists="append",
            index=False,
            chunksize=CHUNKSIZE,
            dtype=_decimal_columns(df),
        )


def _decimal_columns(df: pd.DataFrame) -> dict[str, sa.types.TypeEngine]:
    # pandas maps Decimal objects to TEXT, which Postgres refuses for NUMERIC columns.
    return {
        column: sa.Numeric()
        for column in df.columns
        if df[column].dtype == object
        and any(isinstance(v, Decimal) for v in df[column].head(100))
    }
