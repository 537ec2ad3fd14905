from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from engine import sources
from engine.errors import ContractError, SourceError
from tests.parquet_files import SOURCE_SCHEMAS, sample_rows, write_partition

DAY = dt.date(2025, 3, 1)


def test_scan_finds_both_layouts_sorted(tmp_path):
    for table in SOURCE_SCHEMAS:
        write_partition(tmp_path, table, DAY, sample_rows(table, DAY))
        write_partition(
            tmp_path,
            table,
            DAY.replace(day=2),
            sample_rows(table, DAY),
            folder="date=2025-03-02",
            name="part-0.parquet",
        )
    found = sources.scan_partitions(tmp_path)
    orders = found["orders"]
    assert [f.relative for f in orders] == [
        "orders/2025-03-01/data.parquet",
        "orders/date=2025-03-02/part-0.parquet",
    ]
    assert [f.partition_date for f in orders] == [DAY, dt.date(2025, 3, 2)]
    assert all(f.size > 0 and f.path.is_absolute() for f in orders)


def test_missing_data_dir(tmp_path):
    with pytest.raises(
        SourceError, match=r"data directory not found; create it with \"etl generate"
    ):
        sources.scan_partitions(tmp_path / "nope")


def test_empty_data_dir(tmp_path):
    with pytest.raises(
        SourceError,
        match="no Parquet files under customers, products, orders, order_items",
    ):
        sources.scan_partitions(tmp_path)


def test_table_without_partitions(tmp_path):
    write_partition(tmp_path, "customers", DAY, sample_rows("customers", DAY))
    with pytest.raises(SourceError, match=r"/products: no partitions found"):
        sources.scan_partitions(tmp_path)


@pytest.mark.parametrize(
    "folder", ["2025-13-01", "latest", "date=yesterday", "2025-1-1"]
)
def test_folder_that_is_not_a_date(tmp_path, folder):
    write_partition(tmp_path, "orders", DAY, sample_rows("orders", DAY), folder=folder)
    with pytest.raises(
        SourceError, match=rf"^orders/{folder}: partition folder name is not a date"
    ):
        sources.scan_partitions(tmp_path)


def test_hidden_temp_files_are_ignored(tmp_path):
    for table in SOURCE_SCHEMAS:
        write_partition(tmp_path, table, DAY, sample_rows(table, DAY))
    (tmp_path / "orders" / DAY.isoformat() / ".data.parquet.tmp.parquet").write_bytes(
        b"partial"
    )
    assert len(sources.scan_partitions(tmp_path)["orders"]) == 1


def _one_file(tmp_path, table, rows, schema=None):
    path = write_partition(tmp_path, table, DAY, rows, schema=schema)
    return sources.SourceFile(
        table, path, path.relative_to(tmp_path).as_posix(), DAY, path.stat().st_size
    )


def test_check_accepts_large_strings_and_extra_columns(tmp_path):
    schema = pa.schema(
        [
            f.with_type(pa.large_string()) if f.type == pa.string() else f
            for f in SOURCE_SCHEMAS["customers"]
        ]
    ).append(pa.field("__index_level_0__", pa.int64()))
    rows = [dict(r, __index_level_0__=0) for r in sample_rows("customers", DAY, 1)]
    sources.check_files([_one_file(tmp_path, "customers", rows, schema)])


def test_check_names_file_and_missing_column(tmp_path):
    schema = pa.schema(
        [f for f in SOURCE_SCHEMAS["orders"] if f.name != "total_amount"]
    )
    rows = [
        {k: v for k, v in r.items() if k != "total_amount"}
        for r in sample_rows("orders", DAY)
    ]
    with pytest.raises(
        ContractError,
        match=r'^orders/2025-03-01/data.parquet: column "total_amount" missing',
    ) as info:
        sources.check_files([_one_file(tmp_path, "orders", rows, schema)])
    assert info.value.column == "total_amount"


def test_check_names_retyped_column(tmp_path):
    schema = pa.schema(
        [
            f.with_type(pa.string()) if f.name == "quantity" else f
            for f in SOURCE_SCHEMAS["order_items"]
        ]
    )
    rows = [
        dict(r, quantity=str(r["quantity"])) for r in sample_rows("order_items", DAY)
    ]
    with pytest.raises(
        ContractError, match=r'column "quantity" is string, expected int64'
    ):
        sources.check_files([_one_file(tmp_path, "order_items", rows, schema)])


def test_check_names_corrupt_file(tmp_path):
    path = tmp_path / "orders" / "2025-03-01" / "data.parquet"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PAR1 this is not parquet")
    file = sources.SourceFile(
        "orders", path, "orders/2025-03-01/data.parquet", DAY, path.stat().st_size
    )
    with pytest.raises(
        SourceError,
        match=r"^orders/2025-03-01/data.parquet: not a readable Parquet file",
    ):
        sources.check_files([file])


def test_hashes_follow_content(tmp_path):
    file = _one_file(tmp_path, "orders", sample_rows("orders", DAY))
    before = sources.hash_files([file])
    write_partition(tmp_path, "orders", DAY, sample_rows("orders", DAY, n=3))
    after = sources.hash_files([file])
    assert before.keys() == after.keys() == {file.relative}
    assert before != after
