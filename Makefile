# The classic course pipeline's make targets, over the `etl` CLI (see README, "make targets").
# PostgreSQL: set ETL_PG_URL (etl reads it); unset, everything stays in the DuckDB warehouse.
# Paths: ETL_DATA_DIR (default raw_data) and ETL_WAREHOUSE (default warehouse.duckdb).

ETL ?= $(if $(wildcard .venv/bin/etl),.venv/bin/etl,etl)
DATA_DIR ?= $(or $(ETL_DATA_DIR),raw_data)

.PHONY: help etl-setup-schema etl-generate-raw etl-generate-raw-test etl-run-all

help:
	@echo "make etl-setup-schema       etl setup: schemas and tables (PostgreSQL too when ETL_PG_URL is set)"
	@echo "make etl-generate-raw       etl generate: a year of dirty data in $(DATA_DIR)"
	@echo "make etl-generate-raw-test  etl generate --days 3: three days, for a quick try"
	@echo "make etl-run-all            etl run: raw, staging and prod (published when ETL_PG_URL is set)"

etl-setup-schema:
	$(ETL) setup

etl-generate-raw:
	$(ETL) generate --out $(DATA_DIR)

etl-generate-raw-test:
	$(ETL) generate --out $(DATA_DIR) --days 3

etl-run-all:
	$(ETL) run --data-dir $(DATA_DIR)
