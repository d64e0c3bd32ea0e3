"""Reading ICB's forecast targets off the simulated runs of a generated scenario.

Per run (``simulate(..., keep_runs=True)``), with ``CA`` the crisis actor:

- violence: the highest ICB class whose rung either actor reached by the
  horizon: none (below ``clashes``), minor clashes, serious clashes,
  full-scale war (``war``, or nuclear use);
- agreement: the run ends in ``settlement`` (a deal holds at the horizon);
- the intensity of the crisis actor's own violence (``actor_violence``): the
  highest violence class whose rung it reached (``ca_clashes``,
  ``ca_serious_clashes``, ``ca_war``);
- the crisis actor's major response (``majres``), its timing and the
  duration of its crisis, in the classes of :mod:`redline.history.targets`:
  the highest of its response rungs it reached (``ca_pressure``,
  ``ca_show_of_force``, ``ca_clashes``), the week it first reached that rung,
  and the first week in which the run ended in a terminal outcome, a deal
  was in force or the adversary stood below the rung it started on
  (``crisis_abates``);
- the crisis actor's outcome: a run that settles is a compromise (an
  agreed outcome: ICB's modal content for crises that end in agreement); a
  run that does not settle is a victory for ``CA`` if it retook the
  contested ground (question ``ca_gains``) or the adversary backed down below
  the rung it started on (``adv_backs_down``) without taking ground, a
  defeat if the adversary took 40% of the ground or more (``adv_gains``; the
  later of the ground events when both happen) and otherwise a stalemate.

The frequencies are returned raw; :func:`smooth` mixes them with the
training base rates (the calibrated model-error weight), so that no class
has probability zero and a weight of one says the mechanisms add nothing to
the base rates.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np
from numpy.typing import NDArray

from redline.arrays.state import NEVER
from redline.engine.run import simulate
from redline.history.mapping import (
    RESPONSE_RUNGS,
    VIOLENCE_RUNGS,
    CrisisType,
    MappingParameters,
    build_scenario,
)
from redline.history.targets import CLASSES, DURATION_DAYS, LABELS, TIMING_DAYS, weeks_class
from redline.scenario.models import OUTCOMES

#: ICB violence classes (VIOL 1-4), in order.
VIOLENCE = LABELS["violence"]
#: ICB actor outcomes (OUTCOM 1-4), in order.
OUTCOME = LABELS["outcome"]


@dataclass(frozen=True)
class TypeForecast:
    """Simulated frequencies for one crisis type, one array per target (agreement: P(yes))."""

    violence: NDArray[np.float64]
    outcome: NDArray[np.float64]
    agreement: float
    majres: NDArray[np.float64]
    actor_violence: NDArray[np.float64]
    timing: NDArray[np.float64]
    duration: NDArray[np.float64]
    runs: int

    def classes(self, target: str) -> NDArray[np.float64]:
        """The simulated class frequencies of ``target`` (agreement: [no, yes])."""
        if target == "agreement":
            return np.array([1.0 - self.agreement, self.agreement])
        values: NDArray[np.float64] = getattr(self, target)
        return values


def forecast_type(kind: CrisisType, params: MappingParameters, runs: int,
                  seed: int) -> TypeForecast:
    """Simulate the generated scenario of ``kind`` and read the targets off its runs."""
    scenario = build_scenario(kind, params)
    result = simulate(scenario, runs=runs, seed=seed, keep_runs=True)
    ids = [question.id for question in scenario.questions]
    weeks = result.per_run["event_week"]
    happened = weeks != NEVER
    violence = _violence_classes(happened, ids, "violence_{}") / runs
    actor_violence = _violence_classes(happened, ids, "ca_{}") / runs
    outcome_index = result.per_run["outcome"]
    settled = outcome_index == OUTCOMES.index("settlement")
    agreement = float(settled.mean())
    gains, losses = ids.index("ca_gains"), ids.index("adv_gains")
    backed = happened[:, ids.index("adv_backs_down")]
    won_ground = happened[:, gains] & (~happened[:, losses]
                                       | (weeks[:, gains] > weeks[:, losses]))
    lost = happened[:, losses] & ~won_ground
    won = won_ground | (backed & ~lost)
    open_runs = ~settled
    victory = (open_runs & won).mean()
    defeat = (open_runs & lost).mean()
    compromise = agreement
    stalemate = (open_runs & ~won & ~lost).mean()
    outcome = np.array([victory, compromise, stalemate, defeat], dtype=np.float64)
    majres, timing = _response(happened, weeks, ids)
    duration = np.bincount(
        _duration(outcome_index, result.per_run["end_week"], weeks[:, ids.index("crisis_abates")]),
        minlength=CLASSES["duration"])
    return TypeForecast(violence=violence, outcome=outcome / outcome.sum(), agreement=agreement,
                        majres=np.bincount(majres, minlength=CLASSES["majres"]) / runs,
                        actor_violence=actor_violence,
                        timing=np.bincount(timing, minlength=CLASSES["timing"]) / runs,
                        duration=duration / runs, runs=runs)


#: How often a pool worker checks that its parent is still there (seconds).
PARENT_POLL_SECONDS = 1.0


def forecast_types(kinds: Iterable[CrisisType], params: MappingParameters, runs: int,
                   seed: int, executor: Executor | None = None) -> dict[CrisisType, TypeForecast]:
    """:func:`forecast_type` for every kind, with the same seed (common random numbers).

    ``executor`` (e.g. :func:`type_pool`) spreads the kinds over processes;
    each kind's forecast depends only on the kind, the parameters, the runs
    and the seed, so the result is the same for any executor.
    """
    kinds = list(kinds)
    if executor is None or len(kinds) < 2:
        return {kind: forecast_type(kind, params, runs, seed) for kind in kinds}
    workers = max(1, getattr(executor, "_max_workers", 1))
    chunk = max(1, len(kinds) // (4 * workers))
    found = executor.map(_forecast_one, [(kind, params, runs, seed) for kind in kinds],
                         chunksize=chunk)
    return dict(zip(kinds, found, strict=True))


def _forecast_one(job: tuple[CrisisType, MappingParameters, int, int]) -> TypeForecast:
    return forecast_type(*job)


def _start_worker(parent: int) -> None:
    """Worker start-up: one kernel thread (the processes share the cores), and a watch.

    The watch ends the worker when its parent is gone: a pool's workers
    otherwise go on with the queued crisis types after the parent is killed
    (seen: kill -9 of a backtest left two workers running for minutes).
    """
    import numba
    numba.set_num_threads(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def type_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A pool of ``workers`` (default: every available core) processes for :func:`forecast_types`.

    Processes are spawned, not forked: a fork would copy the parent's kernel
    threads' locks.
    """
    return ProcessPoolExecutor(max_workers=workers or available_cores(),
                               mp_context=get_context("spawn"), initializer=_start_worker,
                               initargs=(os.getpid(),))


def _violence_classes(happened: NDArray[np.bool_], ids: list[str],
                      question: str) -> NDArray[np.float64]:
    """Runs per violence class.

    A run's class is the highest of :data:`VIOLENCE_RUNGS` whose question
    (``question`` formatted with the rung) happened; none below the first.
    """
    level = np.zeros(happened.shape[0], dtype=np.int64)
    for k, rung in enumerate(VIOLENCE_RUNGS, start=1):
        level[happened[:, ids.index(question.format(rung))]] = k
    return np.bincount(level, minlength=len(VIOLENCE_RUNGS) + 1).astype(np.float64)


def _duration(outcome_index: NDArray[np.int64], end_week: NDArray[np.int64],
              abates_week: NDArray[np.int64]) -> NDArray[np.int64]:
    """Per run: the class of the crisis's duration.

    The crisis ends at the first of: the week a terminal outcome ended the run
    (not a deal, a broken deal or an open crisis, whose runs go on to the
    horizon) and the week it abated (``crisis_abates``); a run with neither is
    still open at the horizon, the last class.
    """
    open_outcomes = [OUTCOMES.index(name) for name in ("settlement", "settlement_broken",
                                                      "ongoing")]
    ended = np.where(np.isin(outcome_index, open_outcomes), NEVER, end_week)
    return weeks_class(np.minimum(ended, abates_week), DURATION_DAYS)


def _response(happened: NDArray[np.bool_], weeks: NDArray[np.int64],
              ids: list[str]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per run: the class of the crisis actor's major response and of its timing.

    The response is the highest of :data:`RESPONSE_RUNGS` reached (class 0
    also when none was: no response is non-military); its week is the first
    week that rung was reached (never, the last timing class, without one).
    """
    columns = [ids.index(f"ca_{rung}") for rung in RESPONSE_RUNGS]
    reached = happened[:, columns]
    highest = np.where(reached.any(axis=1),
                       len(columns) - 1 - np.argmax(reached[:, ::-1], axis=1), -1)
    majres = np.maximum(highest, 0)
    week = np.where(highest >= 0, weeks[np.arange(len(highest)), np.take(columns, majres)],
                    NEVER)
    return majres.astype(np.int64), weeks_class(week, TIMING_DAYS)


def smooth(frequencies: NDArray[np.float64], weight: float,
           base_rates: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mix simulated class frequencies with the base rates: (1 - w) f + w b."""
    frequencies = np.asarray(frequencies, dtype=np.float64)
    return (1.0 - weight) * frequencies + weight * np.asarray(base_rates, dtype=np.float64)
