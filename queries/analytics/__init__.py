"""Named analytics queries: plain SQL that runs unchanged on DuckDB and PostgreSQL.

`etl query NAME` runs `queries/analytics/NAME.sql`; the first comment line is its
description in `etl query --list`.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent


def named_queries() -> dict[str, Path]:
    """Query name -> SQL file, sorted by name."""
    return {path.stem: path for path in sorted(HERE.glob("*.sql"))}


def describe(path: Path) -> str:
    """The query's first comment line, without the dashes."""
    first = path.read_text().splitlines()[0] if path.stat().st_size else ""
    return first.removeprefix("--").strip()
