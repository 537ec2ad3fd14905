-- The three medallion layers plus `meta` for the engine's own bookkeeping
-- (ingest ledger, run log). Runs unchanged on DuckDB and PostgreSQL.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS prod;
CREATE SCHEMA IF NOT EXISTS meta;
