"""Run independent tasks in parallel: local worker processes, or a Dask cluster.

Annealing chains and scheduling sweeps both hand their tasks here. Results come back in the
order of the tasks and are identical either way for the same inputs (each task is seeded and
independent).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import TypeVar

from ala.errors import AlaError

Task = TypeVar("Task")
Result = TypeVar("Result")

_THREAD_LIMIT: object = None  # kept alive for the worker's lifetime


def _one_thread() -> None:
    """In a worker: one OpenMP thread, since the workers already share the cores.

    The variable alone is too late where the fork server already loaded OpenMP, so the
    running pool is limited too (threadpoolctl, installed with scikit-learn).
    """
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    global _THREAD_LIMIT
    _THREAD_LIMIT = threadpool_limits(limits=1)


def worker_context(preload: Sequence[str] = ()) -> multiprocessing.context.BaseContext:
    """Processes forked from a clean server process (POSIX), else spawned.

    A child forked from a process that already ran XGBoost's OpenMP threads can deadlock, so
    workers never fork from the caller. The fork server imports ``preload`` once (before any
    thread starts), which keeps each new worker cheap.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))
        return context
    return multiprocessing.get_context("spawn")


def map_tasks(
    function: Callable[[Task], Result],
    tasks: Sequence[Task],
    *,
    processes: int | None = None,
    scheduler: str | None = None,
    preload: Sequence[str] = (),
    on_done: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """``[function(t) for t in tasks]``, on a Dask cluster at ``scheduler`` or in processes.

    ``function`` must be importable by name (a module-level function) and ``tasks`` picklable.
    ``on_done(done, total)`` is called in the caller's process as tasks complete (for progress
    bars); an exception it raises stops the work.

    Raises
    ------
    AlaError
        If Dask is missing or the scheduler cannot be reached.
    """
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise AlaError("--scheduler needs Dask: pip install 'ala[dask]'") from None
        try:
            # distributed's Client API is unannotated: these three calls are untyped.
            client = Client(scheduler, timeout="10s")  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise AlaError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        try:
            from distributed import as_completed as dask_completed

            futures = client.map(function, list(tasks), pure=False)
            for done, _ in enumerate(dask_completed(futures), 1):  # type: ignore[no-untyped-call]
                if on_done is not None:
                    on_done(done, len(tasks))
            results: list[Result] = client.gather(futures)  # type: ignore[no-untyped-call]
        finally:
            client.close()  # type: ignore[no-untyped-call]
        return list(results)
    if len(tasks) <= 1 or processes == 1:
        out = []
        for task in tasks:
            out.append(function(task))
            if on_done is not None:
                on_done(len(out), len(tasks))
        return out
    workers = min(len(tasks), processes or os.cpu_count() or 1)
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=worker_context(preload), initializer=_one_thread
    ) as pool:
        pending = [pool.submit(function, task) for task in tasks]
        try:
            for done, _ in enumerate(as_completed(pending), 1):
                if on_done is not None:
                    on_done(done, len(tasks))
        except BaseException:
            for future in pending:
                future.cancel()
            raise
        return [future.result() for future in pending]
