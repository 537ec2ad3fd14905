"""The classic pipeline this project replaces, rebuilt faithfully as the baseline.

pandas reads each partition file, SQLAlchemy ``to_sql`` appends it to Postgres, staging
is cleaned with pandas and row-wise Python functions, and prod is aggregated in SQL. It
implements our rules (docs/staging-rules.md, README "Prod") so its tables equal ours.
"""
