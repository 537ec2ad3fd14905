"""`python -m engine` is the same as `etl`."""

from __future__ import annotations

from engine.cli import cli

cli(prog_name="etl")
