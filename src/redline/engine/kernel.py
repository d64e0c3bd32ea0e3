"""The compiled engine: the mechanisms of a week, one run at a time, compiled with Numba.

Each mechanism has two steps beside its equations in :mod:`redline.mechanisms`:
the vectorised reference step, over all runs of a chunk, and a compiled step
(``*_kernel``) over one run, which reads the same random numbers (the
counter-addressed uniforms of :mod:`redline.arrays.streams` give the same
number to the same run, week and row whichever engine asks). This module runs
the compiled steps: :func:`_simulate_block` calls them in the order of the
registry (:mod:`redline.mechanisms.registry`, whose ``week_kernel`` writes
them out), and Numba inlines each one
(``inline="always"``), so one run's state stays in cache for all its weeks,
intermediate values stay in registers and the split into functions costs
nothing (measured with ``benchmarks/kernel_sections.py``; docs/performance.md).
Values that change only with some part of the state are kept between weeks,
each declared by the mechanism that keeps it (:mod:`redline.mechanisms.changes`).
Within a run's week, the choosers' decisions are one loop without calls or
branches, which the compiler turns into packed vector code. Blocks of runs
are spread over threads, one at a time to whichever thread is free (an
atomic counter of the next block); each block's sums are formed in run order
(the step-like columns as changes, summed over the weeks at the block's end),
so the result does not depend on the number of threads. The kernel releases
the GIL while it runs, so a progress bar or a Dask worker's heartbeat keeps
going. Tests check that both engines give the same runs, and that the week
calls every registered mechanism's compiled step in order.
"""

from __future__ import annotations

import dataclasses
from collections import namedtuple
from typing import Any, cast

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange
from numba.core import types
from numba.extending import intrinsic
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import NEVER, State
from redline.engine.numba_cache import cached_with_inlined_sources
from redline.engine.seeding import BLOCK_SIZE
from redline.mechanisms import changes as ch
from redline.mechanisms import decisions, fronts, policies, power, trust
from redline.mechanisms.programs import Programs, conditions_work, evaluate
from redline.mechanisms.registry import MECHANISMS, StreamLayout, kernel_caches, week_kernel

#: Constants of a compiled scenario, in the form the compiled steps read: the scenario's
#: arrays and settings that several steps read, those each mechanism declares as its own
#: (``Mechanism.constants``), the first row of each mechanism's weekly uniforms (``row_<key>``, from
#: the registry's stream layout), the condition programs and action rows, and the table of
#: what each change makes stale (from the registry's caches).
MODEL_FIELDS = (
    "side_of", "leaders", "may_use", "needs", "supplier_actor", "severity", "shown_severity",
    "applies", "response", "fallback", "belief_cdf", "attacker_side", "decisiveness",
    *(name for mechanism in MECHANISMS for name in mechanism.constants),
    *(f"row_{mechanism.key}" for mechanism in MECHANISMS),
    "condition_op", "condition_arg", "condition_value", "condition_start", "condition_reads",
    "action_kind", "action_arg", "action_value", "action_start", "depth", "stale_on",
    "event_from",
)
Model = namedtuple("Model", MODEL_FIELDS)  # type: ignore[misc]

#: The arrays of :class:`redline.arrays.state.State`, as the compiled steps read and write them.
STATE_FIELDS = tuple(field.name for field in dataclasses.fields(State)
                     if field.name not in ("runs", "week"))
KernelState = namedtuple("KernelState", STATE_FIELDS)  # type: ignore[misc]


def kernel_model(compiled: ScenarioArrays, programs: Programs,
                 shown_severity: NDArray[np.float64]) -> Any:
    """The constants of ``compiled`` and its ``programs`` as a :data:`Model`."""
    n_actors, n_lines = compiled.n_actors, len(compiled.red_line_ids)
    return cast(Any, Model)(  # (mypy reads a namedtuple's fields from literals only)
        side_of=_ints(compiled.side_of), leaders=_ints(compiled.leaders),
        may_use=_bools(compiled.may_use),
        needs=_bools(compiled.needs).reshape(compiled.n_rungs, len(compiled.suppliers)),
        supplier_actor=_ints(compiled.supplier_actor), severity=_floats(compiled.severity),
        shown_severity=_floats(shown_severity),
        applies=_bools(compiled.red_line_applies).reshape(n_lines, n_actors),
        response=_ints(compiled.red_line_response), fallback=_ints(compiled.red_line_fallback),
        belief_cdf=_floats(compiled.belief_cdf).reshape(
            n_actors, n_lines, len(compiled.extended_severity)),
        attacker_side=_ints(compiled.front_attacker_side),
        decisiveness=float(compiled.scenario.model.decisiveness),
        **{name: constant(compiled)
           for mechanism in MECHANISMS for name, constant in mechanism.constants.items()},
        **{f"row_{key}": rows.start for key, rows in StreamLayout.of(compiled).rows.items()},
        condition_op=programs.op, condition_arg=programs.arg, condition_value=programs.value,
        condition_start=programs.start, condition_reads=programs.reads,
        action_kind=programs.action_kind, action_arg=programs.action_arg,
        action_value=programs.action_value, action_start=programs.action_start,
        depth=max(programs.depth, 1),
        stale_on=ch.stale_on_table(kernel_caches()),
        event_from=_ints(compiled.event_from),
    )


def kernel_state(state: State) -> Any:
    """The arrays of ``state`` as a :data:`KernelState` (contiguous, written in place)."""
    for name in STATE_FIELDS:
        value = getattr(state, name)
        if not value.flags.c_contiguous:
            setattr(state, name, np.ascontiguousarray(value))
    return KernelState(*(getattr(state, name) for name in STATE_FIELDS))


def _ints(values: Any) -> NDArray[np.int64]:
    return np.ascontiguousarray(values, dtype=np.int64)


def _floats(values: Any) -> NDArray[np.float64]:
    return np.ascontiguousarray(values, dtype=np.float64)


def _bools(values: Any) -> NDArray[np.bool_]:
    return np.ascontiguousarray(values, dtype=np.bool_)


def run_kernel(compiled: ScenarioArrays, programs: Programs, state: State, key: int, first_run: int,
               horizon: int, block_sums: NDArray[np.float64],
               rung_counts: NDArray[np.int64], question_week: NDArray[np.int64],
               shown_severity: NDArray[np.float64]) -> None:
    """Simulate every run of ``state`` from week 0 to ``horizon`` in place.

    ``block_sums`` (blocks, weeks, columns) receives the per-week sums of the
    recorded trajectories of each block of runs, ``rung_counts`` (blocks,
    weeks, actors, rungs) the count of runs by highest rung reached, and
    ``question_week`` (runs, events) the first week each event held.
    """
    model = kernel_model(compiled, programs, shown_severity)
    st = kernel_state(state)
    _simulate_blocks(model, st, np.uint64(key), first_run, horizon, block_sums, rung_counts,
                     question_week, np.zeros(1, dtype=np.int64), numba.get_num_threads())
    state.week = horizon


@intrinsic
def _take_next(typingctx, counter):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Add 1 to ``counter[0]`` atomically; return the value it had (a fetch-and-add)."""
    signature = types.int64(counter)

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        array = context.make_array(sig.args[0])(context, builder, args[0])
        return builder.atomic_rmw("add", array.data, ir.Constant(ir.IntType(64), 1), "seq_cst")

    return signature, codegen


@cached_with_inlined_sources
@njit(cache=True, parallel=True, error_model="numpy", nogil=True)
def _simulate_blocks(model, st, key, first_run, horizon, block_sums, rung_counts, question_week,
                     next_block, workers):  # pragma: no cover
    """Each of ``workers`` threads takes the next block not yet taken until none is left.

    Numba hands out a parallel loop's iterations in equal shares under its
    OpenMP layer, whatever its chunk size (measured: 16 blocks of 32 to each of
    2 threads); a thread that shares its core with the next chunk's parameter
    draw then finishes last, and the other waited for it 9% of a chunk. With
    one loop iteration per thread and blocks taken from ``next_block``, it
    waits 1.4%. Which thread runs a block does not change its sums.
    """
    for _ in prange(workers):
        work = _new_work(model, st, horizon, block_sums.shape[2], question_week.shape[1])
        while True:
            block = _take_next(next_block)
            if block >= block_sums.shape[0]:
                break
            _simulate_block(model, st, work, key, first_run, horizon, block, block_sums[block],
                            rung_counts[block], question_week)


#: A block's arrays: the marks of the run being simulated (:mod:`redline.mechanisms.changes`),
#: the condition interpreter's, each mechanism's caches and scratch, and the records'.
Work = namedtuple("Work", ["marks", "conditions", "policies", "decisions", "fronts", "power",
                           "trust", "records"])
#: The records of a block: the events not yet recorded (in order) and those among them that
#: read what moves every week, with the two lists' lengths and the first week an event that
#: held before its window opens is to be recorded; the step-like columns' changes by week,
#: their values as last recorded, and their running sums.
RecordWork = namedtuple("RecordWork", [
    "open", "weekly", "lists", "steps", "count_steps", "recorded", "recorded_max", "running",
    "running_counts"])
_OPEN_EVENTS, _WEEKLY_EVENTS, _WINDOW_OPENS = 0, 1, 2


@cached_with_inlined_sources
@njit(cache=True)
def _new_work(model, st, horizon, columns, n_events):  # pragma: no cover
    """The arrays of a thread's blocks (:data:`Work`), allocated once per chunk and thread."""
    n_actors, n_rungs = model.may_use.shape
    n_policies = st.policy_fired.shape[1]
    return Work(ch.new_marks(model.stale_on), conditions_work(model, n_policies, n_events),
                policies.policies_work(st), decisions.decisions_work(model),
                fronts.fronts_work(model), power.power_work(model), np.ones(2),
                RecordWork(np.zeros(max(n_events, 1), dtype=np.int64),
                           np.zeros(max(n_events, 1), dtype=np.int64),
                           np.zeros(3, dtype=np.int64), np.zeros((horizon + 1, columns)),
                           np.zeros((horizon + 1, n_actors, n_rungs), dtype=np.int64),
                           np.zeros(columns), np.zeros(n_actors, dtype=np.int64),
                           np.zeros(columns), np.zeros((n_actors, n_rungs), dtype=np.int64)))


@cached_with_inlined_sources
@njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def _simulate_block(model, st, work, key, first_run, horizon, block, sums, counts,
                    question_week):  # pragma: no cover
    """Every run of one block, week 0 to the horizon: the mechanisms in the registry's order.

    A week is the registry's :func:`~redline.mechanisms.registry.week_kernel`:
    each mechanism's compiled step, one function beside its NumPy twin in
    :mod:`redline.mechanisms`, inlined here by Numba (``inline="always"``), so
    the calls cost nothing; ``benchmarks/kernel_sections.py`` times each. The
    block is compiled without Numba's reference counts (``_nrt=False``): each
    inlined step would otherwise count a reference to every array of the
    tuples it is handed, on every call (measured: sixteen times slower on two
    threads, which contend for the same counts). So nothing here allocates;
    the arrays come from :func:`_new_work`.
    """
    work.records.steps[:, :] = 0.0
    work.records.count_steps[:, :, :] = 0
    for n in range(block * BLOCK_SIZE, min((block + 1) * BLOCK_SIZE, st.posture.shape[0])):
        run = first_run + n
        ch.start_run(work.marks)
        policies.start_policies(model, st, work, n)
        _start_records(model, st, work, n, question_week)
        for week in range(horizon + 1):
            if week > 0:
                st.weekly_cost[n, :] = 0.0
            if week > 0 and st.terminal[n] == 0:  # an ended run's state no longer changes
                week_kernel(model, st, work, n, run, week, key)
            # -- records: first week of each event --
            _record_events(model, st, work, n, week, question_week)
            # -- records: sums of the trajectories --
            _record_trajectories(model, st, work, n, week, sums)
    _sum_steps(work, sums, counts)


@njit(inline="always")
def _start_records(model, st, work, n, question_week):  # pragma: no cover
    """Run ``n``'s open events (those not yet recorded) and its records' starting values."""
    records, n_policies = work.records, st.policy_fired.shape[1]
    count = 0
    for q in range(question_week.shape[1]):
        if question_week[n, q] == NEVER:
            records.open[count] = n_policies + q
            count += 1
    records.lists[_OPEN_EVENTS] = count
    records.lists[_WEEKLY_EVENTS] = 0  # (every open event has every change to see: all, week 0)
    records.lists[_WINDOW_OPENS] = NEVER
    records.recorded[:] = 0.0
    records.recorded_max[:] = -1


@njit(inline="always")
def _record_events(model, st, work, n, week, question_week):  # pragma: no cover
    """The first week in its window each open event of run ``n`` holds.

    In a week that changed nothing the open events read, only those that read
    what moves every week are evaluated (the others' values stand, and are
    false, or true for an event whose window had not opened: the week its window
    opens, ``lists[_WINDOW_OPENS]``, records it). An event is evaluated before
    its window opens too, so that its memories count those weeks, but not recorded.
    """
    marks, holds, records = work.marks, work.conditions.holds, work.records
    open_events, weekly_events, lists = records.open, records.weekly, records.lists
    open_count, weekly_count = lists[_OPEN_EVENTS], lists[_WEEKLY_EVENTS]
    every_event = marks[ch.UNSEEN_BY_EVENTS] != 0 or week >= lists[_WINDOW_OPENS]
    every_week = ch.EVERY_WEEK
    if not every_event and weekly_count > 0:
        evaluate(model, st, work, weekly_events, 0, weekly_count, n, week, 0, ch.EVERY_WEEK)
        every_week = 0
        for i in range(weekly_count):
            every_event = every_event or holds[weekly_events[i]]
    if not (every_event and open_count > 0):
        return
    evaluate(model, st, work, open_events, 0, open_count, n, week, marks[ch.UNSEEN_BY_EVENTS],
             every_week)
    marks[ch.UNSEEN_BY_EVENTS] = 0
    n_policies = st.policy_fired.shape[1]
    kept = 0
    weekly_count = 0
    window_opens = NEVER
    for i in range(open_count):
        c = open_events[i]
        opens = model.event_from[c - n_policies]
        if holds[c] and week >= opens:
            question_week[n, c - n_policies] = week
        else:
            open_events[kept] = c
            kept += 1
            if model.condition_reads[c] & ch.EVERY_WEEK:
                weekly_events[weekly_count] = c
                weekly_count += 1
            elif holds[c]:
                window_opens = min(window_opens, opens)
    lists[_OPEN_EVENTS] = kept
    lists[_WEEKLY_EVENTS] = weekly_count
    lists[_WINDOW_OPENS] = window_opens


@njit(inline="always")
def _record_trajectories(model, st, work, n, week, sums):  # pragma: no cover
    """Run ``n``'s week in the block's sums, in the columns of ``run._Accumulator``.

    What changes only with a posture, a front opening, a red line's interval,
    an outcome or trust is recorded as a step when it changes (``steps``,
    summed over the weeks by :func:`_sum_steps`); what moves every week is
    added every week.
    """
    records = work.records
    steps, count_steps, recorded, recorded_max = (records.steps, records.count_steps,
                                                  records.recorded, records.recorded_max)
    posture, max_posture, severity, shown = (st.posture, st.max_posture, model.severity,
                                             model.shown_severity)
    n_actors, n_fronts, n_lines = posture.shape[1], st.control.shape[1], st.low.shape[1]
    changes = work.marks[ch.UNSEEN_BY_RECORDS]
    if changes & ch.POSTURE:
        for a in range(n_actors):
            _record_step(steps, recorded, week, a, severity[posture[n, a]])
            _record_step(steps, recorded, week, n_actors + a, severity[max_posture[n, a]])
            if max_posture[n, a] != recorded_max[a]:
                if recorded_max[a] >= 0:
                    count_steps[week, a, recorded_max[a]] -= 1
                count_steps[week, a, max_posture[n, a]] += 1
                recorded_max[a] = max_posture[n, a]
    c = 2 * n_actors
    for f in range(n_fronts):
        sums[week, c + f] += st.control[n, f]
    if changes & ch.FRONTS:
        for f in range(n_fronts):
            _record_step(steps, recorded, week, c + n_fronts + f,
                         1.0 if st.front_open[n, f] else 0.0)
    c += 2 * n_fronts
    if changes & ch.RED_LINES:
        for line in range(n_lines):
            _record_step(steps, recorded, week, c + line, shown[st.low[n, line]])
            _record_step(steps, recorded, week, c + n_lines + line, shown[st.high[n, line]])
    c += 2 * n_lines
    # as of the end of the week (trust changes only in bargaining)
    trust_a, trust_b = trust.leaders_trust(model, st, work, n)
    _record_step(steps, recorded, week, c, trust_a)
    _record_step(steps, recorded, week, c + 1, trust_b)
    c += 2
    for a in range(n_actors):
        sums[week, c + a] += st.stability[n, a]
    c += n_actors
    sums[week, c] += st.win_probability[n]
    if changes & ch.OUTCOME:
        going = st.terminal[n] == 0
        settled = st.settled[n]
        _record_step(steps, recorded, week, c + 1, 1.0 if going and not settled else 0.0)
        _record_step(steps, recorded, week, c + 2, 1.0 if going and settled else 0.0)
        _record_step(steps, recorded, week, c + 3, 0.0 if going else 1.0)
        _record_step(steps, recorded, week, c + 4, 1.0 if st.settled_ever[n] else 0.0)
    work.marks[ch.UNSEEN_BY_RECORDS] = 0


@njit(inline="always")
def _record_step(steps, recorded, week, column, new):  # pragma: no cover
    """A step-like column's change this week, if its value moved since last recorded."""
    if new != recorded[column]:
        steps[week, column] += new - recorded[column]
        recorded[column] = new


@njit(inline="always")
def _sum_steps(work, sums, counts):  # pragma: no cover
    """The steps, summed over the weeks: each week's sums and counts of the block's runs."""
    steps, count_steps = work.records.steps, work.records.count_steps
    running, running_counts = work.records.running, work.records.running_counts
    running[:] = 0.0
    running_counts[:, :] = 0
    for week in range(steps.shape[0]):
        for c in range(sums.shape[1]):
            running[c] += steps[week, c]
            sums[week, c] += running[c]
        for a in range(running_counts.shape[0]):
            for r in range(running_counts.shape[1]):
                running_counts[a, r] += count_steps[week, a, r]
                counts[week, a, r] += running_counts[a, r]
