"""`python -m benchmarks.rss FILE -- CMD...`: run CMD, write its peak RSS (KiB) to FILE.

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


def main(argv: list[str]) -> int:
    out, separator, *command = argv
    if separator != "--" or not command:
        print("usage: python -m benchmarks.rss FILE -- CMD...", file=sys.stderr)
        return 2
    proc = subprocess.Popen(command)
    signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    Path(out).write_text(str(usage.ru_maxrss))
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
