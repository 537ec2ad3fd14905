"""Running the real `etl` CLI inside a run process, timed, with its summary captured."""

from __future__ import annotations

import contextlib
import io
import re
from typing import Final

from benchmarks.cases import BenchError, Timer

_PHASE: Final = re.compile(r"([A-Za-z][\w:+-]*(?: [\w:+-]+)*?) (\d+(?:\.\d+)?) s\b")


def preload() -> None:
    """Import what `etl` imports lazily, so the timer measures work, not imports."""
    import engine.cli
    import engine.generate
    import engine.pipeline
    import engine.prod
    import engine.raw
    import engine.staging
    import engine.warehouse  # noqa: F401

    # pyarrow imports pandas, when it is installed, at the first array it builds
    # from Python objects: an import as well, 0.3-0.5 s of it.
    with contextlib.suppress(ImportError):
        import pandas  # noqa: F401


def etl(*args: str) -> tuple[float, str]:
    """Run `etl ARGS` in this process; (wall seconds, stdout)."""
    from engine.cli import cli

    out = io.StringIO()
    with Timer() as timer, contextlib.redirect_stdout(out):
        try:
            cli.main(list(args), prog_name="etl")
        except SystemExit as exc:
            if exc.code not in (0, None):
                msg = f"etl {' '.join(args)} exited with {exc.code} (its error is in the run log)"
                raise BenchError(msg) from exc
    return timer.seconds, out.getvalue()


_SENT: Final = re.compile(r"(\w+) ([\d,]+) rows (\d+(?:\.\d+)?) s\b")


def published(stdout: str) -> dict[str, tuple[int, float]]:
    """Layer -> (rows, seconds) from `etl run`'s 'published to URL: raw 1,234 rows 0.5 s, ...'."""
    lines = [line for line in stdout.splitlines() if line.startswith("published to ")]
    if not lines:
        return {}
    body = lines[-1].split(": ", 1)[-1]
    return {
        layer: (int(rows.replace(",", "")), float(seconds))
        for layer, rows, seconds in _SENT.findall(body)
    }


def phases(stdout: str) -> dict[str, float]:
    """Per-phase seconds from the last line of `etl run` ('... : raw 1.00 s, prod 0.2 s -> ...')."""
    last = [line for line in stdout.splitlines() if line.startswith("run ")]
    if not last:
        return {}
    body = last[-1].split(": ", 1)[-1].split(" -> ")[0]
    return {name: float(value) for name, value in _PHASE.findall(body)}
