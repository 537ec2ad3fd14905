from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import cli

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = sorted(cli.commands)


def test_cli_module_imports_no_heavy_library():
    code = (
        "import sys, engine.cli\n"
        "heavy = [m for m in ('polars', 'duckdb', 'pyarrow', 'adbc_driver_manager', 'numpy') if m in sys.modules]\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(runner, command):
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    assert "-h, --help" in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented_in_the_readme(command):
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"`etl {command}\b", readme), f"etl {command} is not in README.md"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    match = re.search(
        r"<!-- test-command -->\s*```(?:bash|sh)?\n(.+?)\n```", readme, re.S
    )
    assert match, "README.md lacks the marked test command"
    command = match.group(1).strip()
    assert command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_python_dash_m_engine_is_the_cli():
    out = subprocess.run(
        [sys.executable, "-m", "engine", "--version"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out.startswith("etl, version ")
