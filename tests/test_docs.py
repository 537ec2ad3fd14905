from __future__ import annotations

import shutil

import pytest

from engine import docs
from engine.staging_rules import REASONS


@pytest.fixture
def repo_copy(tmp_path):
    for block in docs.BLOCKS:
        target = tmp_path / block.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(docs.ROOT / block.path, target)
    return tmp_path


def test_generated_tables_match_the_code():
    stale = docs.stale_blocks()
    assert stale == [], (
        f"{', '.join(stale)} drifted from the code; regenerate with {docs.REGENERATE}"
    )


def test_every_reason_code_has_a_why_and_no_other_code_does():
    assert {e: list(codes) for e, codes in docs.REASON_WHY.items()} == {
        e: list(codes) for e, codes in REASONS.items()
    }


def test_a_hand_edited_table_is_stale_until_regenerated(repo_copy):
    doc = repo_copy / "docs" / "staging-rules.md"
    text = doc.read_text()
    edited = text.replace("| `null_price` |", "| `null_prize` |")
    assert edited != text
    doc.write_text(edited)
    readme = repo_copy / "README.md"
    readme.write_text(readme.read_text().replace("`ETL_WAIT`", "`ETL_WAITING`"))

    stale = ["docs/staging-rules.md: reasons:products", "README.md: options"]
    assert docs.stale_blocks(repo_copy) == stale
    assert docs.regenerate(repo_copy) == stale
    assert docs.stale_blocks(repo_copy) == []
    assert doc.read_text() == text


def test_a_table_without_markers_is_named_with_its_file(repo_copy):
    readme = repo_copy / "README.md"
    readme.write_text(readme.read_text().replace("<!-- end generated options -->", ""))
    with pytest.raises(
        ValueError, match=r"^README\.md: no markers for the options table"
    ):
        docs.stale_blocks(repo_copy)


def test_the_option_table_lists_every_env_var_as_help_shows_it():
    table = docs.option_table()
    assert (
        "| `--warehouse` | `ETL_WAREHOUSE` | warehouse.duckdb | dq, publish, query, "
        "run, setup, status, verify | Embedded DuckDB warehouse file. |"
    ) in table
    assert (
        "| `--threads` | `ETL_THREADS` | all cores | run | Worker threads. |" in table
    )
    assert "| `--debug` | `ETL_DEBUG` | off |" in table
    assert "| `--pg-url` | `ETL_PG_URL` | none |" in table
    assert table.count("`ETL_MEMORY_LIMIT`") == 1


def test_check_lists_nothing_and_exits_zero_when_the_docs_are_current(runner):
    result = runner.invoke(docs.main, ["--check"])
    assert (result.exit_code, result.output) == (0, "")
