"""One process per run: `spawn` starts `python -m MODULE ARGS` through this module's
launcher, `python -m benchmarks.process FILE -- CMD...`, which writes CMD's peak RSS.

Linux charges a child, at its exec, with the peak RSS of the memory it was forked
from, so a run started straight from the harness (hundreds of MB after its checks)
would report at least the harness's peak. Started from this small launcher instead,
it reports its own peak plus at most the launcher's few MB.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Final

REPO: Final = Path(__file__).resolve().parents[1]


def spawn(module: str, *args: str, log: Path) -> tuple[int, float]:
    """Run `python -m module args` from the repository, output to log; (exit code,
    peak RSS in MB). ETL_* settings are left out: a stray ETL_PG_URL must not
    redirect a run.
    """
    rss_path = log.with_name(f"{log.stem}.peak_rss_kib")
    command = [sys.executable, "-m", module, *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETL_")}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.process", str(rss_path), "--", *command],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            code = proc.wait()
        except BaseException:
            proc.terminate()
            proc.wait()
            raise
    peak = int(rss_path.read_text()) / 1024 if rss_path.exists() else float("nan")
    return code, peak


def failure(log: Path, code: int) -> str:
    """Why a process failed: its last `Error: ` line, else the tail of its output."""
    lines = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
    errors = [line for line in lines if line.startswith("Error: ")]
    if errors:
        return errors[-1].removeprefix("Error: ")
    tail = " | ".join(lines[-6:])
    return f"process exited with {code}: {tail}"


def main(argv: list[str]) -> int:
    out, separator, *command = argv
    if separator != "--" or not command:
        print("usage: python -m benchmarks.process FILE -- CMD...", file=sys.stderr)
        return 2
    proc = subprocess.Popen(command)
    signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    _, status, usage = os.wait4(proc.pid, 0)
    Path(out).write_text(str(usage.ru_maxrss))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
