"""`etl generate`: the whole range of dirty data at the given scale, written to Parquet."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, ClassVar

from benchmarks.cases import Case, CheckFailed, Timer

if TYPE_CHECKING:
    from benchmarks.cases import CaseContext, Measurements, Run


class Generator(Case):
    variants: ClassVar[tuple[str, ...]] = ("etl",)

    def check(self, ctx: CaseContext, run: Run) -> None:
        from benchmarks.dataset import file_hashes

        written = file_hashes(run.workdir / "data")
        expected = ctx.dataset.manifest()
        if written != expected:
            differ = sorted(
                k
                for k in written.keys() | expected.keys()
                if written.get(k) != expected.get(k)
            )
            msg = f"{len(differ)} file(s) differ from the cached data set with the same seed, e.g. {differ[0]}"
            raise CheckFailed(msg)

    def after_run(self, ctx: CaseContext, run: Run) -> None:
        shutil.rmtree(run.workdir / "data", ignore_errors=True)

    def measure(self, run: Run) -> Measurements:
        from benchmarks.build import generate, preload

        preload()
        with Timer() as timer:
            generate(
                run.workdir / "data", scale=run.scale, seed=run.seed, days=run.days
            )
        return {"parquet": (run.rows, timer.seconds)}


CASE = Generator()
