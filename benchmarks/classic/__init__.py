"""The classic pipeline this project replaces, rebuilt faithfully as the baseline.

pandas reads each partition file, SQLAlchemy ``to_sql`` appends it to Postgres, staging
is cleaned with pandas and row-wise Python functions, and prod is aggregated in SQL. It
implements our rules (docs/staging-rules.md, README "Prod") so its tables equal ours.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

SQL_DIR: Final = Path(__file__).parent / "sql"
PROD_TABLES: Final = tuple(
    sorted(path.stem for path in SQL_DIR.glob("*.sql") if path.stem != "schema")
)
"""The prod metrics the classic baseline has: one aggregation .sql file each."""
