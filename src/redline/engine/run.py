"""The ensemble engine: the weekly step loop over chunks of runs.

Each chunk holds the state of many runs as arrays (first axis: the run) and
advances them one week at a time through the mechanisms, in the order of the
registry (:data:`redline.mechanisms.registry.MECHANISMS`; docs/model.md
tabulates it): events and conditional policies, decisions, red lines, fronts,
power, bargaining, trust and stability, termination.

Two engines run this loop. The vectorised engine (``engine="numpy"``, the
reference) applies each mechanism's reference step to a whole chunk at once,
with no Python loop over runs (:func:`step`). The compiled engine
(``engine="compiled"``, the default; :mod:`redline.engine.kernel`) runs each
mechanism's compiled step, one run at a time, compiled with Numba and spread
over threads. They draw the same counter-based random numbers (the registry's
:class:`~redline.mechanisms.registry.StreamLayout`, :mod:`redline.engine.seeding`)
and give the same runs (the tests compare them). Chunks are aggregated into
sums as they finish, so memory is bounded by the chunk size, and the result
does not depend on the chunk size, the executor or the number of threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays, compile_scenario
from redline.arrays.state import NEVER, TERMINAL_CODES, State, initial_state
from redline.engine.executors import Executor
from redline.engine.kernel import run_kernel  # Numba compiles (or loads) it on first use
from redline.engine.memory import check_memory
from redline.engine.seeding import BLOCK_SIZE, ChunkStreams, normalise_chunk_size
from redline.engine.tallies import counts_by_column
from redline.mechanisms.conditions import Predicate, compile_conditions
from redline.mechanisms.mechanism import Week
from redline.mechanisms.programs import compile_programs
from redline.mechanisms.registry import MECHANISMS, StreamLayout
from redline.mechanisms.termination import final_outcomes
from redline.mechanisms.trust import leader_trust
from redline.results import EnsembleResult, Estimate
from redline.scenario.distributions import is_distribution
from redline.scenario.models import MAX_HORIZON, OUTCOMES, Scenario

Progress = Callable[[int, int], None]
PerRunSink = Callable[[int, dict[str, NDArray[np.int64]]], None]

#: Largest run count accepted by one call (larger ensembles: run several seeds).
MAX_RUNS = 100_000_000
#: The engines that can run an ensemble (see the module docstring).
ENGINES = ("compiled", "numpy")


class _Accumulator:
    """Sums over runs of everything the result reports."""

    def __init__(self, compiled: ScenarioArrays, horizon: int, blocks: int = 0) -> None:
        self.compiled = compiled
        self.horizon = horizon
        self.blocks = blocks  # a chunk's accumulator keeps its float sums block by block
        weeks = horizon + 1
        n_actors, n_rungs = compiled.n_actors, compiled.n_rungs
        self.outcomes = np.zeros(len(OUTCOMES), dtype=np.int64)
        scenario = compiled.scenario
        #: questions, then observations: events whose first week is recorded
        self.event_ids = [q.id for q in scenario.questions] + [o.id for o in scenario.observations]
        self.event_by_week = [q.by_week for q in scenario.questions] + [
            o.by_week for o in scenario.observations]
        self.question_first = np.zeros((len(self.event_ids), weeks + 1), dtype=np.int64)
        self.end_weeks = np.zeros((len(TERMINAL_CODES) + 1, weeks + 1), dtype=np.int64)
        self.reached = np.zeros((n_actors, n_rungs), dtype=np.int64)
        #: runs whose highest rung so far is r, by week and actor (for fan charts)
        self.rung_counts = np.zeros((weeks, n_actors, n_rungs), dtype=np.int64)
        self.terms = np.zeros(3)  # count, sum and sum of squares of the terms of deals in force
        self.labels = {
            "posture": compiled.actor_ids,
            "max_posture": compiled.actor_ids,
            "control": compiled.front_ids,
            "front_open": compiled.front_ids,
            "knowledge_low": compiled.red_line_ids,
            "knowledge_high": compiled.red_line_ids,
            "trust": [f"{compiled.side_leader_ids[0]}->{compiled.side_leader_ids[1]}",
                      f"{compiled.side_leader_ids[1]}->{compiled.side_leader_ids[0]}"],
            "stability": compiled.actor_ids,
            "win_probability": [compiled.side_leader_ids[0]],
            "status": ["fighting", "settled", "ended"],
            "ever_settled": [compiled.side_leader_ids[0]],
        }
        self.widths = [len(labels) for labels in self.labels.values()]
        self.flat_sums = np.zeros((weeks, sum(self.widths)))
        self.block_sums = np.zeros((blocks, weeks, sum(self.widths)))
        self.block_terms = np.zeros((blocks, 3))
        top = float(compiled.severity.max())
        self.shown_severity = np.clip(np.nan_to_num(compiled.extended_severity, neginf=0.0,
                                                    posinf=top), 0.0, top)

    def record_week(self, state: State) -> None:
        compiled = self.compiled
        severity = compiled.severity
        alive = state.alive
        per_run = np.hstack([
            severity[state.posture],
            severity[state.max_posture],
            state.control,
            state.front_open,
            self.shown_severity[state.low],
            self.shown_severity[state.high],
            leader_trust(compiled, state),
            state.stability,
            state.win_probability[:, None],
            np.stack([alive & ~state.settled, alive & state.settled, ~alive], axis=1),
            state.settled_ever[:, None],
        ])
        self.block_sums[:, state.week] = _block_sums(per_run)
        n_actors, n_rungs = compiled.n_actors, compiled.n_rungs
        cells = (state.max_posture + n_rungs * np.arange(n_actors)).ravel()
        self.rung_counts[state.week] += np.bincount(
            cells, minlength=n_actors * n_rungs).reshape(n_actors, n_rungs)

    @property
    def sums(self) -> dict[str, NDArray[np.float64]]:
        """Per-week sums over runs of each trajectory, by name."""
        edges = np.cumsum([0, *self.widths])
        return {name: self.flat_sums[:, start:stop]
                for name, start, stop in zip(self.labels, edges[:-1], edges[1:], strict=True)}

    def record_chunk(self, state: State, question_week: NDArray[np.int64]) -> None:
        self.outcomes += np.bincount(final_outcomes(state), minlength=len(OUTCOMES))
        width = self.horizon + 2  # weeks 0 .. horizon, then "never"
        self.question_first += counts_by_column(question_week, width)
        ends = np.minimum(state.end_week, width - 1)
        self.end_weeks += np.bincount(state.terminal * width + ends,
                                      minlength=self.end_weeks.size).reshape(
                                          self.end_weeks.shape)
        # runs whose highest rung is r, then at least r (one pass, not one per rung)
        highest = counts_by_column(state.max_posture, self.compiled.n_rungs)
        self.reached += np.cumsum(highest[:, ::-1], axis=1)[:, ::-1]
        holding = state.settled & (state.terminal == 0)
        terms = np.where(holding, state.terms, 0.0)
        self.block_terms[:] = _block_sums(np.stack([holding, terms, terms * terms], axis=1))

    def absorb(self, chunk: _Accumulator) -> None:
        """Add a finished chunk's counts and, block by block in order, its sums.

        Chunks must be absorbed in the order of their runs: floating-point
        addition is not associative, and adding each block's sums in block
        order makes the totals the same for any chunk size, worker count or
        completion order.
        """
        self.outcomes += chunk.outcomes
        self.question_first += chunk.question_first
        self.end_weeks += chunk.end_weeks
        self.reached += chunk.reached
        self.rung_counts += chunk.rung_counts
        for block in range(chunk.blocks):
            self.flat_sums += chunk.block_sums[block]
            self.terms += chunk.block_terms[block]

    def result(self, scenario: Scenario, runs: int, seed: int, chunk_size: int,
               elapsed: float) -> EnsembleResult:
        compiled = self.compiled
        outcomes = {name: Estimate.from_count(int(count), runs)
                    for name, count in zip(OUTCOMES, self.outcomes, strict=True)}
        questions: dict[str, Estimate] = {}
        question_weeks: dict[str, NDArray[np.float64]] = {}
        observations: dict[str, Estimate] = {}
        n_questions = len(compiled.question_ids)
        for q, qid in enumerate(self.event_ids):
            by_week = min(int(self.event_by_week[q]), self.horizon)
            estimate = Estimate.from_count(int(self.question_first[q][: by_week + 1].sum()), runs)
            if q < n_questions:
                question_weeks[qid] = np.cumsum(self.question_first[q][: self.horizon + 1]) / runs
                questions[qid] = estimate
            else:
                observations[qid] = estimate
        outcome_weeks = {
            name: np.cumsum(self.end_weeks[code][: self.horizon + 1]) / runs
            for name, code in TERMINAL_CODES.items()
        }
        outcome_weeks["settlement"] = self.sums["ever_settled"][:, 0] / runs
        ladder = {
            actor: {rung: Estimate.from_count(int(self.reached[a, r]), runs)
                    for r, rung in enumerate(compiled.rung_ids)
                    if r > compiled.initial_posture[a] and compiled.may_use[a, r]}
            for a, actor in enumerate(compiled.actor_ids) if compiled.side_of[a] >= 0
        }
        trajectories = {name: total / runs for name, total in self.sums.items()}
        count, total, squares = self.terms
        mean = float(total / count) if count else float("nan")
        terms = {"count": int(count), "mean": mean,
                 "sd": float(np.sqrt(max(squares / count - mean * mean, 0.0))) if count
                 else float("nan")}
        return EnsembleResult(
            scenario=scenario, runs=runs, seed=seed, horizon=self.horizon, chunk_size=chunk_size,
            outcomes=outcomes, questions=questions, question_weeks=question_weeks,
            outcome_weeks=outcome_weeks, ladder_reached=ladder, trajectories=trajectories,
            labels=self.labels, elapsed_seconds=elapsed, terms=terms, observations=observations,
            distributions={"max_posture": self.rung_counts / runs},
        )


def _block_sums(per_run: NDArray[np.float64]) -> NDArray[np.float64]:
    """Column sums of ``per_run`` over each block of :data:`BLOCK_SIZE` runs: (blocks, k).

    Sums over a block do not depend on how blocks are grouped into chunks;
    :meth:`_Accumulator.absorb` adds them in block order.
    """
    runs = per_run.shape[0]
    return np.stack([per_run[start:start + BLOCK_SIZE].sum(axis=0)
                     for start in range(0, runs, BLOCK_SIZE)])


def check_run_arguments(runs: int, seed: int, horizon: int | None,
                        chunk_size: int | None) -> None:
    """Refuse out-of-range run arguments before any work starts."""
    if not 1 <= int(runs) <= MAX_RUNS:
        raise ValueError(f"runs must be between 1 and {MAX_RUNS:,}, got {runs}")
    if not 0 <= int(seed) < 2**63:
        raise ValueError(f"seed must be a non-negative integer below 2**63, got {seed}")
    if horizon is not None and not 1 <= int(horizon) <= MAX_HORIZON:
        raise ValueError(f"horizon must be between 1 and {MAX_HORIZON} weeks, got {horizon}")
    if chunk_size is not None and int(chunk_size) < 1:
        raise ValueError(f"chunk size must be at least 1, got {chunk_size}")


def simulate(scenario: Scenario, runs: int = 10_000, seed: int = 0, horizon: int | None = None,
             chunk_size: int | None = None, progress: Progress | None = None, *,
             keep_runs: bool = False,
             parameter_uniforms: NDArray[np.float64] | None = None,
             executor: Executor | None = None, engine: str = "compiled",
             per_run_sink: PerRunSink | None = None) -> EnsembleResult:
    """Run ``runs`` futures of ``scenario`` and aggregate them.

    Parameters
    ----------
    scenario : a validated scenario (``redline.load``).
    runs : number of runs in the ensemble.
    seed : root seed; the same seed gives the same result for any ``chunk_size``.
    horizon : weeks to simulate (default: the scenario's).
    chunk_size : runs held in memory at once (rounded up to a whole number of blocks).
    progress : called as ``progress(done, total)`` in run-weeks as work advances.
    keep_runs : also return per-run records in ``result.per_run``: ``outcome`` (index
        into OUTCOMES), ``end_week``, ``event_week`` (first week of each question then
        each observation; ``NEVER`` if not by the horizon).
    parameter_uniforms : optional (runs, slots) array in (0, 1) that replaces each run's
        parameter draws (slot order of ``compile_scenario(scenario).slots``), for
        designed experiments such as sensitivity analysis. The weekly random numbers
        are unchanged, so runs keep their common random numbers.
    executor : where chunks run (default: this process, one after another);
        e.g. :class:`redline.engine.executors.DaskExecutor`. The result is the
        same for any executor.
    engine : ``"compiled"`` (default, fast) or ``"numpy"`` (the vectorised reference);
        both give the same runs.
    per_run_sink : called as ``per_run_sink(first_run, records)`` with each chunk's
        per-run records (as ``keep_runs``), in run order, as chunks finish; memory
        stays bounded by the chunk (e.g. :class:`redline.store.per_run.PerRunWriter`).

    Raises
    ------
    ValueError
        An argument out of range, before any work starts; its subclass
        :class:`redline.engine.memory.MemoryLimitError` when the chunk (or the kept
        per-run records) would not fit in memory.

    """
    check_run_arguments(runs, seed, horizon, chunk_size)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    horizon = int(horizon or scenario.horizon)
    chunk = normalise_chunk_size(chunk_size, runs)
    compiled = compile_scenario(scenario)
    check_memory(compiled, runs, chunk, keep_runs)
    n_slots = len(compiled.slots.numbers)
    if parameter_uniforms is not None and np.shape(parameter_uniforms) != (runs, n_slots):
        raise ValueError(f"parameter_uniforms must have shape ({runs}, {n_slots}), "
                         f"got {np.shape(parameter_uniforms)}")
    tasks = [
        ChunkTask(seed=seed, first=first, size=min(chunk, runs - first), runs=runs,
                  horizon=horizon, keep_runs=keep_runs or per_run_sink is not None,
                  engine=engine,
                  parameter_uniforms=None if parameter_uniforms is None else
                  np.asarray(parameter_uniforms[first:first + chunk], dtype=np.float64))
        for first in range(0, runs, chunk)
    ]
    accumulator = _Accumulator(compiled, horizon)
    started = time.perf_counter()
    total = runs * horizon
    kept: list[dict[str, NDArray[np.int64]]] = []
    finished_chunks = _finished_chunks(compiled, tasks, executor, progress, total)
    for task, finished in zip(tasks, finished_chunks, strict=True):
        accumulator.absorb(finished.accumulator)
        if per_run_sink is not None:
            per_run_sink(task.first, finished.per_run)
        if keep_runs:
            kept.append(finished.per_run)
    result = accumulator.result(scenario, runs, seed, chunk, time.perf_counter() - started)
    if keep_runs:
        result.per_run = {name: np.concatenate([part[name] for part in kept])
                          for name in ("outcome", "end_week", "event_week")}
    return result


def _finished_chunks(compiled: ScenarioArrays, tasks: list[ChunkTask], executor: Executor | None,
                     progress: Progress | None, total: int) -> Iterator[FinishedChunk]:
    """Run the tasks here or on the executor; yield finished chunks in task order."""
    if executor is None:
        for task, prepared in _prepared_in_turn(compiled, tasks):
            def advance(week: int, task: ChunkTask = task) -> None:
                if progress is not None:
                    progress(task.first * task.horizon + task.size * week, total)

            yield run_chunk(compiled, task, advance, prepared)
        return
    done = [0]

    def chunk_done(i: int) -> None:
        done[0] += tasks[i].size * tasks[i].horizon
        if progress is not None:
            progress(done[0], total)

    yield from executor.run_chunks(run_chunk, compiled, tasks, chunk_done)


def _prepared_in_turn(compiled: ScenarioArrays, tasks: list[ChunkTask]
                      ) -> Iterator[tuple[ChunkTask, PreparedChunk]]:
    """Each task with its drawn starting state, the next one drawn while this one runs.

    The compiled kernel releases the GIL, so the next chunk's parameters and
    starting state are drawn on a second thread while the kernel runs (measured:
    drawing them in turn was 16% of a 2-thread run). The vectorised engine holds
    the GIL, so its chunks are drawn in turn. Either way each chunk's state is a
    pure function of its task.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="redline-prepare") as pool:
        upcoming = None
        for i, task in enumerate(tasks):
            prepared = (upcoming.result() if upcoming is not None
                        else prepare_chunk(compiled, task))
            ahead = i + 1 < len(tasks) and task.engine == "compiled"
            upcoming = pool.submit(prepare_chunk, compiled, tasks[i + 1]) if ahead else None
            yield task, prepared


@dataclass(frozen=True)
class ChunkTask:
    """One chunk of an ensemble: runs ``first .. first + size - 1`` of ``runs``."""

    seed: int
    first: int
    size: int
    runs: int
    horizon: int
    keep_runs: bool = False
    parameter_uniforms: NDArray[np.float64] | None = None
    engine: str = "compiled"


@dataclass
class FinishedChunk:
    """What a chunk returns: its accumulator (sums kept block by block) and per-run records."""

    accumulator: _Accumulator
    per_run: dict[str, NDArray[np.int64]]


@dataclass
class PreparedChunk:
    """A chunk at week 0: its streams, per-run parameters and starting state."""

    streams: ChunkStreams
    state: State


def prepare_chunk(compiled: ScenarioArrays, task: ChunkTask) -> PreparedChunk:
    """Draw the chunk's per-run parameters (draw 0 of its streams) and set week 0."""
    streams = ChunkStreams(task.seed, task.first, task.size, task.runs)
    if task.parameter_uniforms is not None:  # draw 0 is given: the streams go on to week 1
        streams.parameters(np.zeros(0, dtype=np.int64))
        return PreparedChunk(streams=streams,
                             state=initial_state(compiled, task.parameter_uniforms.T))
    drawn = np.array([slot for slot, number in enumerate(compiled.slots.numbers)
                      if is_distribution(number)], dtype=np.int64)
    return PreparedChunk(streams=streams, state=initial_state(
        compiled, streams.parameters(drawn), rows=drawn))


def run_chunk(compiled: ScenarioArrays, task: ChunkTask,
              advance: Callable[[int], None] | None = None,
              prepared: PreparedChunk | None = None) -> FinishedChunk:
    """Simulate one chunk from week 0 to the horizon (a pure function of its task).

    It depends only on the compiled scenario and the task, so chunks may run in
    any order, in any process; :meth:`_Accumulator.absorb` merges them in run order.
    ``prepared`` is the chunk's :func:`prepare_chunk`, if already drawn.
    """
    if prepared is None:
        prepared = prepare_chunk(compiled, task)
    streams, state = prepared.streams, prepared.state
    accumulator = _Accumulator(compiled, task.horizon, blocks=len(streams.sizes))
    events = len(compiled.scenario.questions) + len(compiled.scenario.observations)
    question_week = np.full((task.size, events), NEVER, dtype=np.int64)
    if task.engine == "compiled":
        _run_compiled(compiled, task, streams.key, state, accumulator, question_week)
        if advance is not None:
            advance(task.horizon)
    else:
        _run_vectorised(compiled, task, streams, state, accumulator, question_week, advance)
    accumulator.record_chunk(state, question_week)
    per_run = ({"outcome": final_outcomes(state), "end_week": state.end_week.copy(),
                "event_week": question_week} if task.keep_runs else {})
    return FinishedChunk(accumulator=accumulator, per_run=per_run)


def _run_vectorised(compiled: ScenarioArrays, task: ChunkTask, streams: ChunkStreams, state: State,
                    accumulator: _Accumulator, question_week: NDArray[np.int64],
                    advance: Callable[[int], None] | None) -> None:
    """Run the chunk week by week through the vectorised mechanisms (the reference engine)."""
    layout = StreamLayout.of(compiled)
    week = Week(compiled)
    events = compile_conditions(compiled)[len(compiled.policy_ids):]
    _record_questions(events, compiled.event_from, state, question_week)
    accumulator.record_week(state)
    for number in range(1, task.horizon + 1):
        state.week = number
        step(week, state, streams.uniforms(layout.size), layout)
        _record_questions(events, compiled.event_from, state, question_week)
        accumulator.record_week(state)
        if advance is not None:
            advance(number)


def _run_compiled(compiled: ScenarioArrays, task: ChunkTask, key: int, state: State,
                  accumulator: _Accumulator, question_week: NDArray[np.int64]) -> None:
    """Run the chunk in the compiled kernel; its sums go to ``accumulator``."""
    rung_counts = np.zeros((accumulator.blocks, *accumulator.rung_counts.shape), dtype=np.int64)
    run_kernel(compiled, compile_programs(compiled), state, key, task.first, task.horizon,
               accumulator.block_sums, rung_counts, question_week, accumulator.shown_severity)
    accumulator.rung_counts += rung_counts.sum(axis=0)


def step(week: Week, state: State, uniforms: NDArray[np.float64], layout: StreamLayout) -> None:
    """Advance every run of ``state`` by one week: each mechanism's reference step in order.

    ``uniforms`` holds the week's random numbers, one row per draw, laid out by
    ``layout``; each mechanism receives its own rows.
    """
    state.weekly_cost = np.zeros_like(state.weekly_cost)
    for mechanism in MECHANISMS:
        mechanism.reference(week, state, uniforms[layout.rows[mechanism.key]])


def _record_questions(events: list[Predicate], event_from: NDArray[np.int64], state: State,
                      question_week: NDArray[np.int64]) -> None:
    """The first week in its window (from ``event_from``) that each event holds, per run.

    Every event is evaluated every week, before its window too, so that the
    memories of its ``held_for`` and ``ever`` count the weeks before it.
    """
    for q, predicate in enumerate(events):
        hit = predicate(state) & (question_week[:, q] == NEVER) & (state.week >= event_from[q])
        question_week[hit, q] = state.week
