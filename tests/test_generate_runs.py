from __future__ import annotations

import datetime as dt
import math

import pytest

from engine import contracts
from engine.errors import ConfigError, ContractError, SourceError
from engine.generate import SCHEMAS, TABLES, generate_dataset
from tests.generated_files import files

DAY1 = dt.date(2025, 1, 1)


# --- determinism --------------------------------------------------------------------


def test_same_seed_gives_the_same_bytes(tmp_path):
    options = {"start": DAY1, "end": dt.date(2025, 1, 6), "scale": 0.5, "seed": 11}
    generate_dataset(tmp_path / "a", **options)
    generate_dataset(tmp_path / "b", **options)
    assert files(tmp_path / "a") == files(tmp_path / "b")


def test_other_seed_gives_other_data(tmp_path):
    options = {"start": DAY1, "end": dt.date(2025, 1, 3), "scale": 0.5}
    generate_dataset(tmp_path / "a", seed=1, **options)
    generate_dataset(tmp_path / "b", seed=2, **options)
    a, b = files(tmp_path / "a"), files(tmp_path / "b")
    assert a.keys() == b.keys()
    assert all(a[name] != b[name] for name in a if "/2025-01-03/" in name)


def test_sub_range_writes_the_same_partitions(tmp_path):
    generate_dataset(tmp_path / "full", start=DAY1, end=dt.date(2025, 1, 20), scale=0.5)
    generate_dataset(
        tmp_path / "part",
        start=dt.date(2025, 1, 8),
        end=dt.date(2025, 1, 12),
        scale=0.5,
    )
    full, part = files(tmp_path / "full"), files(tmp_path / "part")
    assert len(part) == 20
    assert all(full[name] == data for name, data in part.items())


def test_the_world_held_for_a_run_is_a_few_bytes_per_customer_and_order():
    # Every day since the origin is held for the whole run (scale 300 is 33 M
    # orders and 3.3 M customers), so it must stay far below the 1 GB budget.
    from engine.generate.pools import people_pools
    from engine.generate.world import build_world

    origin = DAY1.toordinal()
    world = build_world(5, 10, origin, origin + 59, people_pools(5))
    customers, orders = world.customers_before[-1], world.orders_before[-1]
    per_day = world.customers_before, world.orders_before, world.items_before
    held = world.items_per_order.nbytes + world.people.nbytes
    assert held <= 10 * customers + 1 * orders
    assert sum(a.nbytes for a in per_day) == 3 * 8 * 61


def test_rerun_leaves_identical_files_alone(tmp_path):
    options = {"start": DAY1, "end": dt.date(2025, 1, 3), "scale": 0.2}
    generate_dataset(tmp_path, **options)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("data.parquet")}
    summary = generate_dataset(tmp_path, **options)
    assert summary.unchanged == summary.files == 12
    assert {p: p.stat().st_mtime_ns for p in before} == before


def test_rerun_with_other_data_replaces_files(tmp_path):
    options = {"start": DAY1, "end": dt.date(2025, 1, 3), "scale": 0.2}
    generate_dataset(tmp_path / "a", seed=1, **options)
    summary = generate_dataset(tmp_path / "a", seed=2, **options)
    generate_dataset(tmp_path / "b", seed=2, **options)
    assert summary.unchanged < summary.files
    assert files(tmp_path / "a") == files(tmp_path / "b")


# --- arguments, progress and table parts ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": DAY1, "end": dt.date(2024, 12, 31)}, "before start"),
        ({"scale": 0}, "scale 0"),
        ({"scale": -1.5}, "scale -1.5"),
        ({"scale": math.nan}, "scale nan"),
        ({"seed": -1}, "seed -1"),
    ],
)
def test_bad_arguments_raise_config_error(tmp_path, kwargs, message):
    options = {"start": DAY1, "end": DAY1} | kwargs
    with pytest.raises(ConfigError, match=message) as info:
        generate_dataset(tmp_path, **options)
    assert "\n" not in str(info.value)
    assert not any(tmp_path.iterdir())


def test_out_dir_that_is_a_file_raises_config_error(tmp_path):
    target = tmp_path / "taken"
    target.write_text("")
    with pytest.raises(ConfigError, match="not a folder"):
        generate_dataset(target, start=DAY1, end=DAY1)


def test_unwritable_out_dir_raises_source_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(SourceError, match="cannot write") as info:
        generate_dataset(tmp_path / "file" / "data", start=DAY1, end=DAY1)
    assert "\n" not in str(info.value)


class Recorder:
    def __init__(self):
        self.calls = []

    def start(self, task, total=None):
        self.calls.append(("start", task, total))

    def advance(self, n=1):
        self.calls.append(("advance", n))

    def done(self, summary=""):
        self.calls.append(("done", summary))


def test_progress_counts_every_day(tmp_path):
    progress = Recorder()
    generate_dataset(
        tmp_path, start=DAY1, end=dt.date(2025, 1, 12), scale=0.1, progress=progress
    )
    assert progress.calls[0] == ("start", "generate", 12)
    assert sum(c[1] for c in progress.calls if c[0] == "advance") == 12
    assert progress.calls[-1][0] == "done"
    assert progress.calls[-1][1].startswith("12 days, 48 files")


def test_tables_are_the_source_tables_of_sql_each_with_its_part():
    assert TABLES == contracts.ENTITIES
    assert list(SCHEMAS) == list(contracts.ENTITIES)


def test_a_source_table_without_a_generator_part_fails_before_writing(tmp_path):
    from tests.ddl_copy import REFUNDS_DDL, sql_copy

    out = tmp_path / "out"
    with sql_copy(tmp_path) as sql:
        with (sql / "20_staging.sql").open("a") as ddl:
            ddl.write(REFUNDS_DDL)
        with pytest.raises(ContractError) as info:
            generate_dataset(out, start=DAY1, end=DAY1, scale=0.1)
    assert str(info.value) == (
        "raw.refunds: no generator part; add engine/generate/refunds.py "
        "with SCHEMA, STREAM and build(chunk)"
    )
    assert not out.exists()


def test_two_parts_on_one_random_stream_are_refused(monkeypatch):
    from engine.generate import products, table_parts
    from engine.generate.world import WORLD_STREAM

    monkeypatch.setattr(products, "STREAM", WORLD_STREAM)
    with pytest.raises(ContractError, match=r"^engine/generate/products.py: STREAM"):
        table_parts()
