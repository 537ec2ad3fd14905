"""`python -m benchmarks.cases SPEC`: one run in its own process; writes result.json."""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

from benchmarks.cases import BenchError, Run, load


def main(spec: Path) -> int:
    run = Run.from_json(spec.read_text())
    try:
        measured = load(run.case).measure(run)
    except BenchError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except Exception:  # noqa: BLE001 - the runner shows the traceback from the log
        traceback.print_exc()
        return 1
    (run.workdir / "result.json").write_text(json.dumps(measured))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
