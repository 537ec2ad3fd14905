"""Run a target's table loads on a few threads; the first real failure stops the rest."""

from __future__ import annotations

import concurrent.futures
from typing import TYPE_CHECKING, TypeVar

from engine.postgres_load import LoadAborted

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Mapping

T = TypeVar("T")


def run_parallel(
    jobs: Mapping[str, Callable[[], T]],
    workers: int,
    abort: threading.Event | None = None,
) -> dict[str, T]:
    """Each job's result by name; raises the first failure that is not an abort.

    A failure sets `abort`, so loads that watch it stop early; the error they then
    raise (LoadAborted) is only reported when nothing else failed.
    """
    results: dict[str, T] = {}
    failure: BaseException | None = None
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = {pool.submit(fn): name for name, fn in jobs.items()}
        for future in concurrent.futures.as_completed(futures):
            error = future.exception()
            if error is None:
                results[futures[future]] = future.result()
                continue
            if abort is not None:
                abort.set()
            if failure is None or isinstance(failure, LoadAborted):
                failure = error
    if failure is not None:
        raise failure
    return results
