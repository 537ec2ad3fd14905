-- Engine bookkeeping. The ledger makes raw ingestion exactly-once per file content;
-- the run log records what each run did, per layer and table.
CREATE TABLE IF NOT EXISTS meta.ingested_files (
    table_name TEXT NOT NULL,
    source_file TEXT NOT NULL,
    partition_date DATE NOT NULL,
    size_bytes BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    run_id TEXT NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (table_name, source_file)
);

CREATE TABLE IF NOT EXISTS meta.runs (
    run_id TEXT NOT NULL PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status TEXT NOT NULL,
    layers TEXT NOT NULL,
    as_of DATE,
    error TEXT
);

CREATE TABLE IF NOT EXISTS meta.run_tables (
    run_id TEXT NOT NULL,
    layer TEXT NOT NULL,
    table_name TEXT NOT NULL,
    rows_in BIGINT NOT NULL,
    rows_out BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    rows_duplicate BIGINT NOT NULL,
    seconds DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_id, layer, table_name)
);

COMMENT ON TABLE meta.ingested_files IS 'Ingest ledger: one row per raw table and source file, with the content hash that makes ingestion exactly-once.';
COMMENT ON TABLE meta.runs IS 'One row per etl run: when, which layers, status and error.';
COMMENT ON TABLE meta.run_tables IS 'Per run, layer and table: rows in, out, rejected and duplicate, and seconds taken.';
