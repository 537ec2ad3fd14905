"""`etl generate`: the whole range of dirty data at the given scale, written to Parquet."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from benchmarks.cases import Case, CheckFailed, Timer, child_main, measurement

if TYPE_CHECKING:
    from benchmarks.cases import CaseContext, Result, RunPlan, Spec


class Generator(Case):
    name: ClassVar[str] = "generator"
    variants: ClassVar[tuple[str, ...]] = ("etl",)

    def check(
        self, ctx: CaseContext, plan: RunPlan, spec: Spec, result: Result
    ) -> None:
        from benchmarks.dataset import file_hashes

        written = file_hashes(Path(spec["workdir"]) / "data")
        expected = ctx.dataset.manifest()
        if written != expected:
            differ = sorted(
                k
                for k in written.keys() | expected.keys()
                if written.get(k) != expected.get(k)
            )
            msg = f"{len(differ)} file(s) differ from the cached data set with the same seed, e.g. {differ[0]}"
            raise CheckFailed(msg)

    def after_run(self, ctx: CaseContext, plan: RunPlan, spec: Spec) -> None:
        shutil.rmtree(plan.workdir / "data", ignore_errors=True)

    def measure(self, spec: Spec) -> Result:
        from benchmarks.build import generate, preload

        preload()
        out = Path(spec["workdir"]) / "data"
        with Timer() as timer:
            generate(out, scale=spec["scale"], seed=spec["seed"], days=spec["days"])
        return {
            "measurements": [measurement("etl", "parquet", spec["rows"], timer.seconds)]
        }


CASE = Generator()

if __name__ == "__main__":
    raise SystemExit(child_main(CASE))
