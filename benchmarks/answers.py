"""Stored answers: what tests/oracle.py says a build of one small fixed data set holds.

The oracle is an independent, row-by-row implementation of the staging rules and prod
figures. Its answers for `etl generate --scale 0.5 --days 45 --seed 42` are committed in
benchmarks/reference/answers.json; every session builds that data set with each engine
and checks the build against them, so the reference warehouse the timed runs are
compared with is not the Polars engine vouching for itself. Regenerate the file with
`python -m benchmarks.answers` (a test fails while it disagrees with the oracle).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Final

from benchmarks.cases import BenchError, CheckFailed
from engine.contracts import ENTITIES

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

ANSWERS: Final = Path(__file__).resolve().parent / "reference" / "answers.json"
DATASET: Final = {"scale": 0.5, "seed": 42, "days": 45}
"""The fixed data set: arguments of benchmarks.build.generate."""
ENGINES: Final = ("polars", "duckdb")

Answers = dict[str, dict[str, object]]
"""Table -> its fingerprint: rows, rejects by reason, or exact sums and a row hash."""


def oracle_answers(data_dir: Path) -> Answers:
    """The oracle's answers for the data set in data_dir (plain Python, minutes at most)."""
    from tests import oracle

    staged = oracle.stage(oracle.read_raw(data_dir))
    answers: Answers = {}
    for entity in ENTITIES:
        rejects = staged[entity].rejects
        answers[f"staging.{entity}"] = {"rows": len(staged[entity].clean)}
        answers[f"staging.{entity}_rejects"] = {
            "rows": sum(rejects.values()),
            "by_reason": dict(sorted(rejects.items())),
        }
    for name in ("daily_sales", "monthly_sales"):
        table = f"prod.{name}"
        answers[table] = fingerprint(table, getattr(oracle, name)(staged))
    return answers


def warehouse_answers(warehouse: Path, tables: Iterable[str]) -> Answers:
    """The same fingerprints, read from a built warehouse file."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        answers: Answers = {}
        for table in tables:
            ((rows,),) = con.sql(f"SELECT count(*) FROM {table}").fetchall()
            if table.endswith("_rejects"):
                reasons = con.sql(
                    f"SELECT reject_reason, count(*) FROM {table} GROUP BY ALL ORDER BY 1"
                ).fetchall()
                answers[table] = {"rows": rows, "by_reason": dict(reasons)}
            elif table.startswith("staging."):
                answers[table] = {"rows": rows}
            else:
                answers[table] = fingerprint(table, con.sql(f"FROM {table}").fetchall())
        return answers
    finally:
        con.close()


def fingerprint(table: str, rows: Sequence[tuple]) -> dict[str, object]:
    """Row count, exact sum of each number column, sha256 of the sorted rows as text."""
    from engine.contracts import arrow_schema

    texts = sorted("|".join(str(value) for value in row) for row in rows)
    sums = {}
    for index, name in enumerate(arrow_schema(table).names):
        values = [row[index] for row in rows]
        if all(
            isinstance(v, int | Decimal) and not isinstance(v, bool) for v in values
        ):
            sums[name] = str(sum(values))
    return {
        "rows": len(rows),
        "sums": sums,
        "sha256": hashlib.sha256("\n".join(texts).encode()).hexdigest(),
    }


def stored() -> dict[str, object]:
    """The committed file: the data set, its digest, and the answers."""
    return json.loads(ANSWERS.read_text())


def data_digest(data_dir: Path) -> str:
    """sha256 over every file's sha256: tells whether the data set is the stored one."""
    from benchmarks.dataset import file_hashes

    text = json.dumps(file_hashes(data_dir), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def unanswered() -> list[str]:
    """Built tables the oracle has no answer for: listed in the summary."""
    from benchmarks.compare import built_tables

    answers = stored()["answers"]
    return [table for table in built_tables() if table not in answers]  # type: ignore[operator]


def check_build(warehouse: Path, what: str) -> None:
    """Raise CheckFailed naming every table whose fingerprint differs from the answers."""
    want: Answers = stored()["answers"]  # type: ignore[assignment]
    got = warehouse_answers(warehouse, want)
    problems = [
        f"{table}: {_differ(got[table], answer)}"
        for table, answer in want.items()
        if got[table] != answer
    ]
    if problems:
        msg = f"{what}: differs from the oracle's stored answers ({ANSWERS.name}): {'; '.join(problems)}"
        raise CheckFailed(msg)


def check_engines(cache: Path) -> list[str]:
    """Build the fixed data set with each engine and check it; the failures, if any.

    A pass is remembered in the cache per engine code and answers file.
    """
    from benchmarks.dataset import engine_hash

    data = _fixed_data(cache)
    if data_digest(data) != stored()["data_sha256"]:
        return [
            f"the fixed data set no longer matches {ANSWERS.name}; "
            "regenerate it with python -m benchmarks.answers"
        ]
    key = hashlib.sha256(ANSWERS.read_bytes()).hexdigest()[:10]
    failures = []
    for engine in ENGINES:
        passed = cache / f"answers-passed-{engine}-{engine_hash()}-{key}"
        if passed.exists():
            continue
        try:
            _check_engine(
                engine, data, cache / f".answers-{engine}-{os.getpid()}.duckdb"
            )
        except BenchError as exc:
            failures.append(str(exc))
        else:
            passed.touch()
    return failures


def _fixed_data(cache: Path) -> Path:
    """The fixed data set, generated into the cache once per generator code."""
    from benchmarks.build import in_own_process
    from benchmarks.dataset import generator_hash

    data = cache / f"answers-data-gen-{generator_hash()}"
    if not data.is_dir():
        tmp = data.with_name(f".{data.name}-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        in_own_process("generate", out=str(tmp), **DATASET)
        tmp.rename(data)
    return data


def _check_engine(engine: str, data: Path, warehouse: Path) -> None:
    from benchmarks.build import in_own_process

    try:
        in_own_process(
            "run", data_dir=str(data), warehouse=str(warehouse), engine=engine
        )
        check_build(warehouse, f"etl run --engine {engine}")
    finally:
        warehouse.unlink(missing_ok=True)


def _differ(got: dict[str, object], want: dict[str, object]) -> str:
    keys = [k for k in want if got.get(k) != want[k]]
    return ", ".join(f"{k} {got.get(k)} vs {want[k]}" for k in keys)


def main() -> int:
    """Write ANSWERS from the oracle on a freshly generated fixed data set."""
    import tempfile

    from benchmarks.build import generate

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        generate(data, **DATASET)  # type: ignore[arg-type]
        content = {
            "dataset": DATASET,
            "data_sha256": data_digest(data),
            "answers": oracle_answers(data),
        }
    ANSWERS.parent.mkdir(exist_ok=True)
    ANSWERS.write_text(json.dumps(content, indent=1, default=str) + "\n")
    print(f"wrote {ANSWERS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
