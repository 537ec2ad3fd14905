-- Engine bookkeeping. The ledger makes raw ingestion exactly-once per file content;
-- the run log records what each run did, per layer and table.
CREATE TABLE IF NOT EXISTS meta.ingested_files (
    table_name TEXT NOT NULL,  -- Raw table the file was loaded into.
    source_file TEXT NOT NULL,  -- File path relative to the data directory.
    partition_date DATE NOT NULL,  -- Date of the file's partition folder.
    size_bytes BIGINT NOT NULL,  -- File size when ingested.
    content_hash TEXT NOT NULL,  -- SHA-256 of the file's bytes; a changed file is re-ingested.
    row_count BIGINT NOT NULL,  -- Rows the file held.
    run_id TEXT NOT NULL,  -- Run that ingested the file.
    ingested_at TIMESTAMPTZ NOT NULL,  -- When that run started (UTC).
    PRIMARY KEY (table_name, source_file)
);

CREATE TABLE IF NOT EXISTS meta.runs (
    run_id TEXT NOT NULL PRIMARY KEY,  -- Run id: UTC start time plus a random suffix (sortable).
    started_at TIMESTAMPTZ NOT NULL,  -- When the run started (UTC).
    finished_at TIMESTAMPTZ,  -- When it ended; null while running or if it was killed.
    status TEXT NOT NULL,  -- running, succeeded, failed or interrupted (killed).
    layers TEXT NOT NULL,  -- Layers the run was asked to build, comma-separated.
    as_of DATE,  -- Date prod's days_since_* columns count from.
    error TEXT  -- One-line error of a failed run.
);

CREATE TABLE IF NOT EXISTS meta.run_tables (
    run_id TEXT NOT NULL,  -- Run (meta.runs).
    layer TEXT NOT NULL,  -- raw, staging or prod.
    table_name TEXT NOT NULL,  -- Qualified table name.
    rows_in BIGINT NOT NULL,  -- Rows read: new raw rows ingested, or the raw rows a staging table was built from.
    rows_out BIGINT NOT NULL,  -- Rows the table holds after the run.
    rows_rejected BIGINT NOT NULL,  -- Rows moved to the *_rejects table.
    rows_duplicate BIGINT NOT NULL,  -- Exact duplicates and superseded product snapshots dropped.
    seconds DOUBLE PRECISION NOT NULL,  -- Time the table (or its layer) took.
    PRIMARY KEY (run_id, layer, table_name)
);

CREATE TABLE IF NOT EXISTS meta.layers (
    layer TEXT NOT NULL PRIMARY KEY,  -- staging or prod (primary key).
    run_id TEXT NOT NULL,  -- Run that built this copy of the layer.
    inputs TEXT NOT NULL,  -- Fingerprint of what the layer was built from: raw files, code, engine, as-of date.
    built_at TIMESTAMPTZ NOT NULL  -- When the layer was built (in a target: published) (UTC).
);

COMMENT ON TABLE meta.ingested_files IS 'Ingest ledger: one row per raw table and source file, with the content hash that makes ingestion exactly-once.';
COMMENT ON TABLE meta.runs IS 'One row per etl run: when, which layers, status and error.';
COMMENT ON TABLE meta.run_tables IS 'Per run, layer and table: rows in, out, rejected and duplicate, and seconds taken.';
COMMENT ON TABLE meta.layers IS 'The build each of staging and prod holds: the run that built it and a fingerprint of its inputs (raw files, code, engine, as-of date); a run skips a layer whose inputs are unchanged, a publish a layer the target already holds.';
