"""Background jobs: a bounded pool of workers and a bounded queue.

A job is one long computation asked for over HTTP (a run, a comparison, a
forecast, a score, a hypotheses or sensitivity analysis). It gets an id at
once and runs on one of ``max_jobs`` worker threads (the compiled kernel
releases the GIL); at most ``max_queued`` more wait for their turn. Its
progress is the engine's ``progress(done, total)`` callback in run-weeks, and
cancelling it makes the next progress call raise :class:`JobCancelled`, so
the engine stops between chunks and nothing is stored.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

#: The states of a job, in the order they happen.
QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = frozenset({DONE, FAILED, CANCELLED})

Progress = Callable[[int, int], None]
Work = Callable[[Progress], dict[str, Any]]


def json_ready(value: Any) -> Any:
    """A copy of ``value`` that strict JSON can carry: NaN and infinities become None."""
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # a NumPy scalar
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class JobCancelled(Exception):
    """Raised inside a job's progress callback once the job was cancelled."""


class ShuttingDown(Exception):
    """The server is stopping and takes no new job."""


class QueueFull(Exception):
    """No room in the queue: too many jobs are waiting."""


class NotCancellable(Exception):
    """The job has already finished."""


@dataclass
class Job:
    """One background computation and what is known of it so far."""

    id: str
    kind: str
    label: str
    status: str = QUEUED
    done: int = 0
    total: int = 0
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    result: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    future: Future[None] | None = None

    @property
    def fraction(self) -> float:
        """Share of the work done, in [0, 1] (1 once done)."""
        if self.status == DONE:
            return 1.0
        return min(1.0, self.done / self.total) if self.total else 0.0

    def to_dict(self, *, with_result: bool = False) -> dict[str, Any]:
        """JSON-ready state: id, kind, label, status, done, total, progress, error..."""
        document: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "label": self.label, "status": self.status,
            "done": self.done, "total": self.total, "progress": round(self.fraction, 4),
            "error": self.error, "created": self.created, "started": self.started,
            "finished": self.finished,
        }
        if with_result:
            document["result"] = self.result
        return document


class JobManager:
    """Run jobs on ``max_jobs`` threads with at most ``max_queued`` waiting."""

    def __init__(self, max_jobs: int, max_queued: int, keep_finished: int = 64) -> None:
        self.max_jobs = max_jobs
        self.max_queued = max_queued
        self.keep_finished = keep_finished
        self._pool = ThreadPoolExecutor(max_workers=max_jobs, thread_name_prefix="redline-job")
        self._closed = False
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def start(self) -> None:
        """Take jobs again after :meth:`shutdown` (a server started anew in one process)."""
        with self._lock:
            if self._closed:
                self._pool = ThreadPoolExecutor(max_workers=self.max_jobs,
                                                thread_name_prefix="redline-job")
                self._closed = False

    def submit(self, kind: str, label: str, work: Work, *, job_id: str | None = None,
               extra: dict[str, Any] | None = None, join: bool = False) -> Job:
        """Queue ``work(progress)``; its returned dict becomes the job's result.

        With ``join``, a queued or running job of the same ``job_id`` is
        returned instead of queueing the same work twice; a finished job of
        that id is replaced by the new one.

        Raises
        ------
        QueueFull
            When ``max_queued`` jobs are already waiting.
        ShuttingDown
            When the server is stopping.

        """
        with self._lock:
            if self._closed:
                raise ShuttingDown("the server is shutting down; no new jobs")
            current = self._jobs.get(job_id) if job_id else None
            if join and current is not None and current.status not in FINISHED:
                return current
            waiting = sum(job.status == QUEUED for job in self._jobs.values())
            if waiting >= self.max_queued:
                raise QueueFull(f"{waiting} jobs are already waiting (the limit is "
                                f"{self.max_queued}); try again when one has finished")
            job = Job(id=job_id or uuid.uuid4().hex[:12], kind=kind, label=label,
                      extra=dict(extra or {}))
            self._jobs.pop(job.id, None)  # a replaced job: the new one goes last
            self._jobs[job.id] = job
            self._forget_old()
            job.future = self._pool.submit(self._run, job, work)
        return job

    def _forget_old(self) -> None:
        finished = [job_id for job_id, job in self._jobs.items() if job.status in FINISHED]
        for job_id in finished[: max(0, len(finished) - self.keep_finished)]:
            del self._jobs[job_id]

    def _run(self, job: Job, work: Work) -> None:
        if job.cancel_requested.is_set():
            self._finish(job, CANCELLED)
            return
        job.status, job.started = RUNNING, time.time()

        def progress(done: int, total: int) -> None:
            if job.cancel_requested.is_set():
                raise JobCancelled(job.id)
            job.done, job.total = int(done), int(total)

        try:
            result = work(progress)
        except JobCancelled:
            self._finish(job, CANCELLED)
        except Exception as error:  # reported to the client as the job's error
            job.error = str(error) or type(error).__name__
            self._finish(job, FAILED)
        else:
            job.result = json_ready(result)
            if job.total:
                job.done = job.total
            self._finish(job, DONE)

    @staticmethod
    def _finish(job: Job, status: str) -> None:
        job.finished = time.time()
        job.status = status

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None (unknown or forgotten)."""
        with self._lock:
            return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        """Every job still remembered, newest first."""
        with self._lock:
            return list(reversed(self._jobs.values()))

    def cancel(self, job_id: str) -> Job | None:
        """Ask a queued or running job to stop; None if unknown.

        Raises
        ------
        NotCancellable
            The job has already finished.

        """
        job = self.get(job_id)
        if job is None:
            return None
        if job.status in FINISHED:
            raise NotCancellable(f"job {job_id} has already finished ({job.status})")
        job.cancel_requested.set()
        if job.future is not None and job.future.cancel():
            self._finish(job, CANCELLED)
        return job

    def busy(self, job_id: str) -> bool:
        """Whether a job with this id is queued or running."""
        job = self.get(job_id)
        return job is not None and job.status not in FINISHED

    def shutdown(self) -> None:
        """Cancel every job and stop the workers."""
        for job in self.all():
            job.cancel_requested.set()
        with self._lock:
            self._closed = True
            self._pool.shutdown(wait=False, cancel_futures=True)
