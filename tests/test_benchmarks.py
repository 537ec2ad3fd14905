from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import re
import uuid

import pytest

from benchmarks.__main__ import main
from benchmarks.compare import classic_tables
from benchmarks.results import CSV_HEADER

TINY = ["--scale", "0.05", "--days", "3", "--repeat", "1", "--no-warmup"]


def read_csv(path):
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def test_harness_smoke_generator_and_rebuild_duckdb(tmp_path, capsys):
    code = main(["--cases", "generator,rebuild_duckdb", *TINY, "--out", str(tmp_path)])

    out = capsys.readouterr().out
    assert code == 0
    header, *rows = read_csv(tmp_path / "benchmarks.csv")
    assert tuple(header) == CSV_HEADER
    assert sorted((r[1], r[2], r[3]) for r in rows) == [
        ("generator", "etl", "parquet"),
        ("rebuild_duckdb", "duckdb", "duckdb"),
        ("rebuild_duckdb", "polars", "duckdb"),
    ]
    assert all(float(r[7]) > 0 and float(r[9]) > 0 and int(r[5]) > 0 for r in rows)
    assert "| case | engine | target | scale | rows | K | median s |" in out
    assert "| generator | etl | parquet | 0.05 |" in out
    assert "DuckDB engine / Polars engine time" in out
    assert (
        "tests/oracle.py's answers in benchmarks/reference/answers.json: equal" in out
    )

    # A second session appends rows under the same single header.
    assert main(["--cases", "generator", *TINY, "--out", str(tmp_path)]) == 0
    lines = read_csv(tmp_path / "benchmarks.csv")
    assert [line[0] for line in lines].count("timestamp") == 1
    assert len(lines) == 1 + 4


def test_harness_rejects_unknown_cases(tmp_path, capsys):
    assert main(["--cases", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown case(s) nope" in capsys.readouterr().err


@pytest.mark.postgres
def test_harness_postgres_cases_check_equal(
    tmp_path, capsys, monkeypatch, postgres_server
):
    pytest.importorskip("pandas", reason="the classic baseline needs the bench extra")
    from benchmarks.pg import PREFIX, PREFIX_ENV, run_sql

    # Other clients create and drop databases on the same server: look only at
    # the databases this harness run makes, all named with a prefix of its own.
    prefix = f"{PREFIX}{uuid.uuid4().hex[:8]}_"
    monkeypatch.setenv(PREFIX_ENV, prefix)
    ours = f"SELECT datname FROM pg_database WHERE starts_with(datname, '{prefix}')"

    code = main(
        [
            "--cases",
            "rebuild_postgres,publish_postgres,classic_baseline,copy_floor",
            *TINY,
            "--out",
            str(tmp_path),
            "--pg-url",
            postgres_server,
        ]
    )

    out = capsys.readouterr().out
    assert code == 0, out
    _header, *rows = read_csv(tmp_path / "benchmarks.csv")
    assert {(r[1], r[2], r[3]) for r in rows} >= {
        ("rebuild_postgres", "polars", "postgres"),
        ("rebuild_postgres", "duckdb", "postgres"),
        ("publish_postgres", "engine", "postgres"),
        ("classic_baseline", "pandas", "postgres"),
        ("copy_floor", "copy-serial", "postgres"),
        ("copy_floor", "copy-parallel", "postgres"),
    }
    assert "vs classic baseline" in out
    assert "load phase alone (etl publish) vs COPY floor (copy-serial)" in out
    assert "load phase during etl run (overlaps building) vs COPY floor" in out
    assert run_sql(postgres_server, ours) == [], "the harness left databases behind"


def test_harness_refuses_a_database_prefix_it_could_not_own(monkeypatch):
    from benchmarks.cases import BenchError
    from benchmarks.pg import PREFIX_ENV, create_database

    monkeypatch.setenv(PREFIX_ENV, "postgres")
    with pytest.raises(BenchError, match="must start with 'etl_bench_'"):
        create_database("postgresql://unused", "x")


def test_classic_days_cap_follows_the_budget(tmp_path):
    from benchmarks.cases import CaseContext
    from benchmarks.results import Record
    from benchmarks.runner import Options, _classic_days

    class FakeDataset:
        def rows(self, days=None):
            return 365_000 if days is None else days * 1_000

    options = Options(cases=(), scales=(10,), repeat=1, out=tmp_path)
    ctx = CaseContext(
        options=dataclasses.replace(options, baseline_budget=100.0),
        scale=10,
        dataset=FakeDataset(),  # type: ignore[arg-type]
    )
    warmup = Record(
        timestamp="",
        case="classic_baseline",
        engine="pandas",
        target="postgres",
        scale=10,
        rows=7_000,
        repeat=0,
        seconds=7.0,
        peak_rss_mb=1.0,
        days=7,
        full_days=365,
        input_rows=7_000,
        full_rows=365_000,
    )
    assert _classic_days(ctx, 0, []) == 7
    # 1,000 rows/s for 100 s is 100 days of 1,000 rows.
    assert _classic_days(ctx, 1, [warmup]) == 100
    assert _classic_days(dataclasses.replace(ctx, scale=1), 1, [warmup]) == 365
    assert _classic_days(ctx, 1, []) == 365  # no warm-up: nothing to size the cap with


def test_summary_labels_a_capped_run_as_extrapolated(tmp_path):
    from benchmarks.report import markdown
    from benchmarks.results import Record
    from benchmarks.runner import Options

    def record(case, target, rows, input_rows, seconds, days):
        return Record(
            timestamp="t",
            case=case,
            engine="pandas",
            target=target,
            scale=10,
            rows=rows,
            repeat=1,
            seconds=seconds,
            peak_rss_mb=100.0,
            days=days,
            full_days=365,
            input_rows=input_rows,
            full_rows=3_650_000,
        )

    facts = {"nproc": 2, "cpu": "x", "ram_gb": 8, "load": 0.5}
    text = markdown(
        [
            record("classic_baseline", "postgres", 730_000, 730_000, 73.0, 73),
            # prod counts staging rows, but extrapolates by the raw rows it read
            record("transform_only", "mem:prod", 500_000, 730_000, 10.0, 73),
        ],
        facts,
        facts,
        {"polars": "1", "duckdb": "1", "pyarrow": "1", "adbc": "1", "python": "3"},
        Options(cases=(), scales=(10,), repeat=3, out=tmp_path),
    )
    assert (
        "| classic_baseline ¹ | pandas | postgres | 10 | 730,000 | 1 | 73.00 |" in text
    )
    assert "first 73 of 365 days (730,000 of 3,650,000 raw rows)" in text
    assert "EXTRAPOLATED, not measured: about 365 s" in text
    assert "EXTRAPOLATED, not measured: about 50 s" in text


def test_etl_bench_help_lists_the_benchmark_options(runner):
    from engine.cli import cli

    result = runner.invoke(cli, ["bench", "--help"])

    assert result.exit_code == 0, result.output
    options = set(re.findall(r"^  (--[a-z-]+|-h, --help)", result.output, re.M))
    assert options == {
        "--cases",
        "--scale",
        "--repeat",
        "--pg-url",
        "--memory-limit",
        "--data-root",
        "--in-memory-max-scale",
        "--out",
        "--days",
        "--seed",
        "--baseline-budget",
        "--baseline-repeat",
        "--no-warmup",
        "--keep-work",
        "-h, --help",
    }
    assert "ETL_BENCH_PG_URL" in result.output


def test_etl_bench_refuses_a_bad_memory_limit(runner, tmp_path):
    from engine.cli import cli

    result = runner.invoke(
        cli, ["bench", "--memory-limit", "lots", "--out", str(tmp_path)]
    )

    assert result.exit_code == 2
    assert "--memory-limit: memory limit 'lots' is not a size" in result.output


def test_sweep_reuses_given_data_and_records_days_rows_and_budget(tmp_path, capsys):
    from engine.generate import generate_dataset

    data_root, out = tmp_path / "data", tmp_path / "out"
    for scale in (0.05, 0.1):
        generate_dataset(
            data_root / f"s{scale:g}",
            start=dt.date(2025, 1, 1),
            end=dt.date(2025, 1, 3),
            scale=scale,
        )
    code = main(
        [
            "--cases",
            "generator,rebuild_duckdb,transform_only",
            *TINY,
            "--scale",
            "0.1",
            "--data-root",
            str(data_root),
            "--memory-limit",
            "500MB",
            "--in-memory-max-scale",
            "0.01",
            "--out",
            str(out),
        ]
    )

    summary = capsys.readouterr().out
    assert code == 0, summary
    # The given data was used (and is what the generator writes), none generated.
    assert not list((out / "cache").glob("scale-*"))
    with (out / "benchmarks.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((r["case"], r["engine"], r["scale"]) for r in rows) == [
        ("generator", "etl", "0.05"),
        ("generator", "etl", "0.1"),
        ("rebuild_duckdb", "duckdb", "0.05"),
        ("rebuild_duckdb", "duckdb", "0.1"),
        ("rebuild_duckdb", "polars", "0.05"),
        ("rebuild_duckdb", "polars", "0.1"),
    ]
    for r in rows:
        assert r["days"] == "3"
        assert int(r["input_rows"]) == int(r["rows"]) > 0
        budget = "500" if r["case"] == "rebuild_duckdb" else ""
        assert r["memory_limit_mb"] == budget
    assert (
        "**Scale sweep** (median s / peak RSS MB of the run process; memory budget 500 MB)"
        in summary
    )
    assert "- polars → duckdb: 0.05→0.1 **" in summary
    assert (
        "- scale 0.1 transform_only: holds whole tables in memory by design" in summary
    )

    pytest.importorskip("matplotlib", reason="the chart needs the bench extra")
    from benchmarks.chart import draw

    png = draw(out / "benchmarks.csv", tmp_path / "sweep.png", sweep=True)
    assert png.read_bytes().startswith(b"\x89PNG")


def test_given_data_must_hold_the_days_asked_for(tmp_path):
    from benchmarks.cases import BenchError
    from benchmarks.dataset import ensure_dataset
    from engine.generate import generate_dataset

    generate_dataset(
        tmp_path / "data" / "s1",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 1, 2),
        scale=0.05,
    )
    with pytest.raises(
        BenchError, match=r"s1/customers: expected day folders 2025-01-01\.\.2025-01-03"
    ):
        ensure_dataset(
            tmp_path / "cache", scale=1, seed=42, days=3, data_root=tmp_path / "data"
        )


def test_a_csv_of_an_older_harness_gets_the_new_columns(tmp_path):
    from benchmarks.results import upgrade_csv

    path = tmp_path / "benchmarks.csv"
    old_header = CSV_HEADER[:-3]
    path.write_text(
        ",".join(old_header) + "\n" + ",".join(["x"] * len(old_header)) + "\n"
    )

    upgrade_csv(path)

    header, row = read_csv(path)
    assert tuple(header) == CSV_HEADER
    assert row == ["x"] * len(old_header) + ["", "", ""]


def test_a_prod_metric_the_classic_baseline_lacks_is_reported(
    tmp_path, capsys, monkeypatch
):
    import benchmarks.classic

    monkeypatch.setattr(
        benchmarks.classic,
        "PROD_TABLES",
        tuple(t for t in benchmarks.classic.PROD_TABLES if t != "monthly_sales"),
    )
    compared, lacking = classic_tables()
    assert "prod.monthly_sales" in lacking
    assert "prod.monthly_sales" not in compared

    code = main(["--cases", "transform_only", *TINY, "--out", str(tmp_path)])

    out = capsys.readouterr().out
    assert code == 0, out
    assert (
        "- scale 0.05 transform_only/pandas: prod.monthly_sales: not in classic baseline"
        in out
    )


def test_the_run_processes_call_the_library_not_the_cli():
    from benchmarks.process import REPO

    harness = sorted((REPO / "benchmarks").rglob("*.py"))
    assert harness
    printed = [
        path.relative_to(REPO).as_posix()
        for path in harness
        if "engine.cli" in path.read_text() or "redirect_stdout" in path.read_text()
    ]
    assert printed == []
