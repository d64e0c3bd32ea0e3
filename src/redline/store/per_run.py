"""Per-run records streamed to a Parquet file, one chunk at a time.

An ensemble's result is aggregated as its chunks finish, so its memory is
bounded by the chunk; a user who wants every run's record (to fit their own
model, or to join runs across scenarios) asks for a Parquet file, written as
the chunks finish. Each chunk becomes one row group, in run order; the file is
written under a temporary name and renamed into place only when the ensemble
has finished, so an interrupted run leaves no file, never half of one. The
path is followed to what it names (:mod:`redline.destinations`): through a
symbolic link to its target; a FIFO or a device is streamed to in place. A
temporary file left by a writer killed outright (SIGKILL) is named after it
and removed by the next writer to the same file.

Columns: ``run`` (index in the ensemble), ``outcome`` (its name, dictionary
encoded), ``end_week`` (null while the run is still going at the horizon), and
one ``week:<event id>`` column per question and observation: the first week it
held, null if not by the horizon.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from redline.arrays.state import NEVER
from redline.destinations import (
    held_signals,
    install,
    open_in_place,
    remove_stale,
    replacement_mode,
    resolve,
    temporary_file,
)
from redline.scenario.models import OUTCOMES, Scenario


def event_ids(scenario: Scenario) -> list[str]:
    """The events recorded per run: the questions, then the observations."""
    return ([question.id for question in scenario.questions]
            + [observation.id for observation in scenario.observations])


class PerRunWriter:
    """Write per-run records of one ensemble to ``path`` (Parquet), chunk by chunk.

    Use as a context manager; pass :meth:`write` as ``simulate(per_run_sink=...)``.
    """

    def __init__(self, path: str | Path, scenario: Scenario) -> None:
        self.path = Path(path)
        self.events = event_ids(scenario)
        if len(set(self.events)) != len(self.events):  # a question and an observation
            self.events = [f"{i}:{name}" for i, name in enumerate(self.events)]
        self.schema = pa.schema(
            [("run", pa.int64()), ("outcome", pa.dictionary(pa.int8(), pa.string())),
             ("end_week", pa.int32())]
            + [(f"week:{name}", pa.int32()) for name in self.events])
        self._writer: pq.ParquetWriter | None = None
        self._temporary: Path | None = None
        self._target: Path | None = None
        self._mode = 0o644
        self._files = ExitStack()
        self.rows = 0

    def __enter__(self) -> PerRunWriter:
        destination = resolve(self.path)
        if destination.in_place:  # a FIFO or a device: streamed to, nothing to rename
            sink = self._files.enter_context(open_in_place(destination))
            self._writer = pq.ParquetWriter(sink, self.schema)
            return self
        self._target = destination.target
        self._target.parent.mkdir(parents=True, exist_ok=True)
        self._mode = replacement_mode(self._target)
        remove_stale(self._target)
        try:  # __exit__ runs only once this returns: until then, clean up here
            with held_signals():  # an interrupt is raised at its end, once the file is known
                handle, self._temporary = temporary_file(self._target)
                os.close(handle)
            self._writer = pq.ParquetWriter(str(self._temporary), self.schema)
        except BaseException:
            if self._temporary is not None:
                self._temporary.unlink(missing_ok=True)
            raise
        return self

    def write(self, first_run: int, records: dict[str, NDArray[np.int64]]) -> None:
        """Append one chunk's records (runs ``first_run`` on, in order)."""
        if self._writer is None:
            raise RuntimeError("PerRunWriter.write outside its with-block")
        if first_run != self.rows:
            raise ValueError(f"chunks must arrive in run order: expected run {self.rows},"
                             f" got {first_run}")
        size = len(records["outcome"])
        columns: list[Any] = [
            pa.array(np.arange(first_run, first_run + size, dtype=np.int64)),
            pa.DictionaryArray.from_arrays(pa.array(records["outcome"].astype(np.int8)),
                                           pa.array(list(OUTCOMES))),
            _weeks(records["end_week"]),
        ]
        columns += [_weeks(records["event_week"][:, q]) for q in range(len(self.events))]
        self._writer.write_table(pa.Table.from_arrays(columns, schema=self.schema))
        self.rows += size

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        assert self._writer is not None
        try:
            self._writer.close()
            if kind is None and self._temporary is not None and self._target is not None:
                install(self._temporary, self._target, self._mode)
        finally:
            self._files.close()
            if self._temporary is not None:
                self._temporary.unlink(missing_ok=True)


def _weeks(values: NDArray[np.int64]) -> pa.Array:
    """Weeks as int32, with NEVER (not by the horizon) as null."""
    return pa.array(values.astype(np.int32), mask=values == NEVER)
