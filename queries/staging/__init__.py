"""The staging SQL twins: one DuckDB query per entity, rule for rule as engine.staging.

`<entity>.sql` returns the entity's verdicts (every raw row with `is_duplicate`,
`reject_reason` and the struct `staged`), as `engine.staging.clean_<entity>` does;
`_macros.sql` holds the value normalizations they share. `discover()` checks each
file when it is found, so a missing twin or a drifted priority fails before any data
is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import duckdb

import queries
from engine import contracts
from engine.errors import QueryError
from engine.staging_rules import REASONS

STAGING_DIR: Final[Path] = Path(__file__).parent
MACROS_PATH: Final[Path] = STAGING_DIR / "_macros.sql"

# A reason code is written as the result of a CASE branch; their order of first
# appearance is the order the query applies them in.
_CODE = re.compile(r"\b(?:THEN|ELSE)\s+'([a-z_]+)'")


@dataclass(frozen=True, slots=True)
class StagingQuery:
    """One entity's SQL verdicts and the `$name` values it needs."""

    entity: str
    """The raw table it judges (`raw.<entity>`) and the staging table it fills."""
    sql_path: Path
    """One SELECT over `raw.*` and the clean parents (`staging.<parent>`)."""
    params: tuple[str, ...]
    """Scalar parameters (`$name`): money limits and the order statuses."""

    def read_sql(self) -> str:
        """The query's text."""
        return self.sql_path.read_text(encoding="utf-8")


def discover() -> list[StagingQuery]:
    """One query per source table of sql/, parents before children, each checked."""
    entities = contracts.entities()
    found = {p.stem for p in STAGING_DIR.glob("*.sql") if not p.stem.startswith("_")}
    extra = sorted(found - set(entities))
    if extra:
        msg = (
            f"queries/staging/{extra[0]}.sql: not a staging entity; name the file "
            f"after one of {', '.join(entities)} or prefix it with '_'"
        )
        raise QueryError(msg)
    return [_load(entity) for entity in entities]


def read_macros() -> str:
    """The CREATE TEMP MACRO statements the queries use."""
    return MACROS_PATH.read_text(encoding="utf-8")


def macro_names() -> list[str]:
    """The macros `read_macros()` creates, so a runner can drop them afterwards."""
    return queries.macro_names(read_macros())


def _load(entity: str) -> StagingQuery:
    path = STAGING_DIR / f"{entity}.sql"
    if not path.is_file():
        msg = (
            f"queries/staging/{entity}.sql: missing; every staging entity needs a SQL "
            f"twin of engine.staging.clean_{entity}"
        )
        raise QueryError(msg)
    text = path.read_text(encoding="utf-8")
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as exc:
        msg = f"queries/staging/{entity}.sql: does not parse: {exc}"
        raise QueryError(msg) from exc
    if len(statements) != 1 or statements[0].type is not duckdb.StatementType.SELECT:
        msg = f"queries/staging/{entity}.sql: must hold exactly one SELECT statement"
        raise QueryError(msg)
    codes = list(dict.fromkeys(_CODE.findall(text)))
    expected = list(REASONS[entity])
    if codes != expected:
        msg = (
            f"queries/staging/{entity}.sql applies reason codes {codes} but REASONS "
            f"lists {expected}; write the CASE branches in REASONS order"
        )
        raise QueryError(msg)
    return StagingQuery(entity, path, tuple(sorted(statements[0].named_parameters)))
