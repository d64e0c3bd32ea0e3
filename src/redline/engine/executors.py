"""Where chunks run: in this process, or on a Dask cluster (local or remote).

An executor takes the engine's chunk function (``redline.engine.run.run_chunk``),
the compiled scenario and the list of chunk tasks, and yields the finished
chunks *in task order*, whatever order they complete in; the engine absorbs
them in that order, so a result does not depend on the executor, the number
of workers or the scheduling (see :mod:`redline.engine.seeding` and
``_Accumulator.absorb``). The engine hands its chunk function over, so that
this module needs nothing from it.

Dask (distributed) is the scale-out engine: ``DaskExecutor(workers=N)``
starts a local cluster of N single-threaded worker processes (the compiled
kernel's threads included: ``NUMBA_NUM_THREADS=1``);
``DaskExecutor(scheduler="tcp://host:8786")`` uses an existing cluster,
whose workers must have the same redline version installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Protocol

from redline.arrays.scenario_arrays import ScenarioArrays

#: The engine's function that simulates one chunk: ``run_chunk(compiled, task)``.
ChunkRunner = Callable[[ScenarioArrays, Any], Any]


class Executor(Protocol):
    """Runs chunk tasks and yields their results in task order."""

    def run_chunks(self, run_chunk: ChunkRunner, compiled: ScenarioArrays,
                   tasks: Sequence[Any], chunk_done: Callable[[int], None]) -> Iterator[Any]:
        """Yield ``run_chunk(compiled, task)`` for each task, in order."""
        ...


class DaskExecutor:
    """Run chunks on a Dask cluster: a local one of ``workers`` processes, or ``scheduler``.

    Use as a context manager so that a local cluster is shut down afterwards.
    """

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        if (workers is None) == (scheduler is None):
            raise ValueError("give either a number of workers or a scheduler address")
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.scheduler = scheduler
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskExecutor:
        from distributed import Client, LocalCluster

        if self.scheduler is not None:
            self._client = Client(self.scheduler, timeout="20s")
        else:
            # one thread per worker process, the compiled kernel's included
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                         processes=True, dashboard_address=":0",
                                         host="127.0.0.1",
                                         # a worker is a process of ours: one arena, as the
                                         # command line sets (redline.allocation)
                                         env={"NUMBA_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "1"})
            self._client = Client(self._cluster)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def run_chunks(self, run_chunk: ChunkRunner, compiled: ScenarioArrays,
                   tasks: Sequence[Any], chunk_done: Callable[[int], None]) -> Iterator[Any]:
        """Submit every chunk, then yield the results in task order as they complete."""
        from distributed import as_completed

        if self._client is None:
            raise RuntimeError("use DaskExecutor as a context manager (with ...:)")
        shared = self._client.scatter(compiled, broadcast=True)
        futures = [self._client.submit(run_chunk, shared, task, pure=False) for task in tasks]
        index = {future.key: i for i, future in enumerate(futures)}
        ready: dict[int, Any] = {}
        following = 0
        for future in as_completed(futures):
            i = index[future.key]
            ready[i] = future.result()
            chunk_done(i)
            future.release()
            while following in ready:
                yield ready.pop(following)
                following += 1
