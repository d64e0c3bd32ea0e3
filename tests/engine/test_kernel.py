"""Tests of the compiled engine and the counter-based random numbers.

The compiled kernel (redline.engine.kernel) and the vectorised mechanisms
(redline.mechanisms, ``engine="numpy"``) are two independent implementations
of one model that read the same random numbers: they must give the same runs.
The random numbers are SplitMix64 outputs addressed by counter; they are
checked against the generator's published reference values.
"""

from __future__ import annotations

import sys

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from scipy import stats

from redline import load as redline_load
from redline.arrays.streams import counter_index, splitmix64
from redline.engine.kernel import _take_next
from redline.engine.run import simulate
from redline.engine.seeding import BLOCK_SIZE, ChunkStreams, counter_uniforms, stream_key
from redline.scenario.loader import load_scenario, validate_data
from redline.scenario.models import OUTCOMES
from tests.support import strategies as ss
from tests.support.generated import generated_scenario
from tests.support.paths import MINI

# ------------------------------------------------------------ random numbers


def test_splitmix64_matches_the_published_reference_values():
    """Vigna's splitmix64.c seeded with 0 and with 42: the first four outputs."""
    index = np.arange(4, dtype=np.uint64)
    assert [int(x) for x in splitmix64(0, index)] == [
        0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F, 0xF88BB8A8724C81EC]
    assert [int(x) for x in splitmix64(42, index)] == [
        0xBDD732262FEB6E95, 0x28EFE333B266F103, 0x47526757130F9F52, 0x581CE1FF0E4AE394]


def test_counter_uniforms_depend_only_on_their_address():
    key = stream_key(7)
    whole = counter_uniforms(key, 0, 3000, 5, 6)
    for first in (0, 1024, 2048):
        part = counter_uniforms(key, first, min(1024, 3000 - first), 5, 6)
        np.testing.assert_array_equal(part, whole[:, first:first + 1024])
    np.testing.assert_array_equal(counter_uniforms(key, 0, 3000, 5, np.array([4, 1])),
                                  whole[[4, 1]])
    assert not np.array_equal(counter_uniforms(key, 0, 3000, 6, 6), whole)
    assert not np.array_equal(counter_uniforms(stream_key(8), 0, 3000, 5, 6), whole)


@settings(max_examples=50, deadline=None)
@given(seed=ss.st.integers(0, 2**32), first=ss.st.integers(0, 2**31),
       draw=ss.st.integers(0, 2047), rows=ss.st.lists(ss.st.integers(0, 2**21 - 1),
                                                     min_size=1, max_size=4))
def test_counter_uniforms_are_splitmix64_of_the_counter(seed, first, draw, rows):
    """The compiled fill gives the published generator's outputs at the counter's index."""
    key = stream_key(seed)
    runs = np.arange(first, first + 37, dtype=np.uint64)[None, :]
    index = counter_index(runs, draw, np.array(rows, dtype=np.uint64)[:, None])
    expected = (splitmix64(key, index) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    np.testing.assert_array_equal(counter_uniforms(key, first, 37, draw, np.array(rows)),
                                  expected)


def test_counter_uniforms_are_uniform():
    values = counter_uniforms(stream_key(3), 0, 50_000, 1, 4)
    assert values.min() >= 0.0 and values.max() < 1.0
    for row in values:
        assert stats.kstest(row, "uniform").pvalue > 1e-4
    # neighbouring rows and runs are not correlated
    assert abs(np.corrcoef(values[0], values[1])[0, 1]) < 0.03
    assert abs(np.corrcoef(values[0, :-1], values[0, 1:])[0, 1]) < 0.03


def test_parameters_draw_the_asked_slots_and_start_the_weeks():
    streams = ChunkStreams(1, 0, BLOCK_SIZE, BLOCK_SIZE)
    values = streams.parameters(np.array([3, 1]))
    assert values.shape == (2, BLOCK_SIZE)
    np.testing.assert_array_equal(values, counter_uniforms(streams.key, 0, BLOCK_SIZE, 0,
                                                           np.array([3, 1])))
    np.testing.assert_array_equal(streams.uniforms(2),
                                  counter_uniforms(streams.key, 0, BLOCK_SIZE, 1, 2))
    with pytest.raises(ValueError, match="first draw"):
        streams.parameters(np.array([0]))


def test_counter_refuses_addresses_out_of_range():
    with pytest.raises(ValueError, match="draw"):
        counter_uniforms(0, 0, 10, 5000, 2)
    with pytest.raises(ValueError, match="rows"):
        counter_uniforms(0, 0, 10, 1, np.array([1 << 22]))


# ------------------------------------------------------ the two engines agree


def assert_same_runs(scenario, runs: int, seed: int, horizon: int | None = None) -> None:
    """Both engines give the same outcome, end week and event weeks for every run."""
    compiled = simulate(scenario, runs=runs, seed=seed, horizon=horizon, keep_runs=True)
    reference = simulate(scenario, runs=runs, seed=seed, horizon=horizon, keep_runs=True,
                         engine="numpy")
    for name in ("outcome", "end_week", "event_week"):
        np.testing.assert_array_equal(compiled.per_run[name], reference.per_run[name],
                                      err_msg=name)
    for name in OUTCOMES:
        assert compiled.outcomes[name].count == reference.outcomes[name].count
    for name, values in compiled.trajectories.items():
        np.testing.assert_allclose(values, reference.trajectories[name], rtol=1e-9, atol=1e-12,
                                   err_msg=name)
    np.testing.assert_array_equal(compiled.distributions["max_posture"],
                                  reference.distributions["max_posture"])
    assert compiled.terms["count"] == reference.terms["count"]
    if compiled.terms["count"]:
        assert compiled.terms["mean"] == pytest.approx(reference.terms["mean"], rel=1e-9)


@pytest.mark.parametrize("name", ["kursk-2024", "cuba-1962"])
def test_engines_agree_run_by_run_on_the_built_in_scenarios(name):
    assert_same_runs(redline_load(name), runs=3 * BLOCK_SIZE, seed=11)


def test_engines_agree_on_the_mini_scenario():
    assert_same_runs(load_scenario(MINI), runs=2 * BLOCK_SIZE + 17, seed=5)


@pytest.mark.parametrize("actors", [5, 20])
def test_engines_agree_on_generated_scenarios(actors):
    assert_same_runs(generated_scenario(actors, seed=actors), runs=BLOCK_SIZE, seed=actors)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=ss.scenario_dicts())
def test_engines_agree_on_random_scenarios(data):
    """Any valid scenario (random conditions, policies, red lines, fronts) runs the same."""
    scenario = validate_data(data, "generated.yaml")
    assert_same_runs(scenario, runs=300, seed=3)


def test_result_does_not_depend_on_the_number_of_threads():
    scenario = redline_load("kursk-2024")
    results = []
    for threads in (1, 2):
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        try:
            results.append(simulate(scenario, runs=4 * BLOCK_SIZE, seed=2))
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    one, two = results
    for name, values in one.trajectories.items():
        np.testing.assert_array_equal(values, two.trajectories[name])
    assert {k: v.count for k, v in one.outcomes.items()} == {
        k: v.count for k, v in two.outcomes.items()}


@numba.njit(parallel=True)
def _take_every_index(counter, taken, workers):  # pragma: no cover
    """As the kernel's threads take blocks: each worker takes indices until none is left."""
    for worker in numba.prange(workers):
        while True:
            index = _take_next(counter)
            if index >= taken.shape[0]:
                break
            taken[index, 0] += 1
            taken[index, 1] = worker


def test_threads_take_every_block_once():
    """The counter the kernel's threads take blocks from hands out each index exactly once."""
    workers = numba.get_num_threads()
    counter = np.zeros(1, dtype=np.int64)
    taken = np.zeros((20_000, 2), dtype=np.int64)
    _take_every_index(counter, taken, workers)
    np.testing.assert_array_equal(taken[:, 0], 1)
    assert counter[0] == taken.shape[0] + workers  # each worker's last take finds none left
    assert set(np.unique(taken[:, 1])) <= set(range(workers))


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="engine"):
        simulate(load_scenario(MINI), runs=10, engine="fortran")


# ------------------------------------------------- what each condition reads

def test_every_leaf_opcode_declares_what_it_reads():
    """A leaf without READS_ bits would never be evaluated again after its first week."""
    from redline.mechanisms import changes as ch
    from redline.mechanisms import programs as pg

    logic = {pg.OP_ALL, pg.OP_ANY, pg.OP_NOT, *pg._MEMORY_READS}
    leaves = {value for name, value in vars(pg).items() if name.startswith("OP_")} - logic
    assert leaves == set(pg._READS)
    # a held_for becomes true by the weeks passing alone: evaluated every week
    assert pg._MEMORY_READS == {pg.OP_HELD_FOR: ch.EVERY_WEEK, pg.OP_EVER: 0}
    readable = {bit for bit in ch.CHANGES.values() if bit & ch.READ_BY_CONDITIONS}
    assert readable == {1, 2, 4, 8, 16, 32, 64, 128}
    assert all(bits in readable for bits in pg._READS.values())


def test_a_condition_reads_the_union_of_its_leaves():
    from redline.arrays.scenario_arrays import compile_scenario
    from redline.mechanisms import programs as pg

    scenario = redline_load("kursk-2024")
    compiled = compile_scenario(scenario)
    programs = pg.compile_programs(compiled)
    index = {policy.id: p for p, policy in enumerate(scenario.policies)}
    # any of: a red line crossed, control above a value, four actors' postures reached
    from redline.mechanisms import changes as ch

    assert programs.reads[index["russia_mobilises"]] == (
        ch.RED_LINES | ch.EVERY_WEEK | ch.POSTURE)
    assert programs.reads[index["europe_compensates"]] == ch.POLICIES
    assert programs.reads[index["lift_strike_ban"]] == ch.DEPLOYMENTS
    assert len(programs.reads) == len(programs.start) - 1


# ------------------------------------------- the logit draw without exp

@settings(max_examples=400, deadline=None)
@given(x=ss.st.floats(min_value=-708.0, max_value=0.0))
def test_exp_bound_is_above_exp_and_within_a_factor_of_four(x):
    from redline.mechanisms.decisions import exp_bound, flushed_exp

    bound = exp_bound(x)
    assert flushed_exp(x) <= bound <= 4.0 * np.exp(x) * (1 + 1e-12)


def test_exp_bound_is_zero_where_exp_is_flushed_and_infinite_for_nan():
    from redline.mechanisms.decisions import exp_bound

    assert exp_bound(-np.inf) == 0.0
    assert exp_bound(-709.0) == 0.0
    assert exp_bound(np.nan) == np.inf


def _picks_like_logit_choice(utilities, available, rationality, u):
    from redline.mechanisms.decisions import logit_choice, logit_pick

    expected = logit_choice(np.array([utilities]), np.array([available]), rationality,
                            np.array([u]))[0]
    scaled = np.where(available, rationality * np.array(utilities), -np.inf)
    x = scaled - scaled.max()
    assert logit_pick(x[0], x[1], x[2], u) + 1 == expected


_UTILITY = ss.st.floats(min_value=-3.0, max_value=3.0)
_UNIFORM = ss.st.one_of(
    ss.st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
    ss.st.sampled_from([0.0, 2.0**-53, 1e-6, 0.5, 1.0 - 2.0**-53]))


@settings(max_examples=2000, deadline=None)
@given(utilities=ss.st.tuples(_UTILITY, _UTILITY, _UTILITY),
       down=ss.st.booleans(), up=ss.st.booleans(),
       rationality=ss.st.sampled_from([0.0, 0.5, 5.0, 50.0, 500.0]), u=_UNIFORM)
def test_the_kernels_logit_pick_is_the_reference_draw(utilities, down, up, rationality, u):
    """With or without exp (its fast path), the kernel picks the reference engine's option."""
    _picks_like_logit_choice(utilities, (down, True, up), rationality, u)


@pytest.mark.parametrize(("utilities", "u"), [
    ((0.0, 0.0, 0.0), 1.0 / 3.0), ((1.0, 1.0, 0.0), 0.5 - 1e-17), ((1.0, 1.0, 0.0), 0.5),
    ((0.0, 0.1, 0.0), 0.0), ((0.0, 0.1, 0.0), 1.0 - 2.0**-53), ((0.1, 0.0, 0.1), 0.5),
    ((0.0, 0.0, 0.02), 1e-3), ((0.0, 0.2, 0.2), 0.5),
])
def test_the_kernels_logit_pick_at_ties_and_edges(utilities, u):
    _picks_like_logit_choice(utilities, (True, True, True), 50.0, u)


def test_the_kernels_cache_is_keyed_by_the_sources_it_compiles_in():
    """Numba checks the time stamp of the kernel's own file only; the mechanisms' steps
    compiled into it come from other files, whose digest the cache key adds."""
    from redline.engine import kernel, seeding
    from redline.engine.numba_cache import inlined_sources_digest

    for function in (kernel._simulate_block, kernel._simulate_blocks, kernel._new_work,
                     seeding._fill_uniforms):
        key = function._cache._index_key((), function.targetctx.codegen())
        assert key[-1] == inlined_sources_digest()


def test_the_week_calls_every_registered_compiled_step_in_order():
    """Numba cannot loop over functions, so the registry's compiled week calls the
    mechanisms' compiled steps one by one: the same steps, in the registry's order, each
    under the section comment that benchmarks/kernel_sections.py marks, and the block
    function calls that week. With the reference engine's step (the registry's loop) this
    puts every registered mechanism under the run-by-run comparison of the two engines
    above."""
    import ast
    import inspect

    from redline.engine import kernel
    from redline.mechanisms.registry import MECHANISMS, week_kernel

    arguments = ["model", "st", "work", "n", "run", "week", "key"]

    def calls(function: object) -> list[str]:
        tree = ast.parse(inspect.getsource(function.py_func))  # type: ignore[attr-defined]
        return [ast.unparse(node.func) for node in ast.walk(tree)
                if isinstance(node, ast.Call)
                and [ast.unparse(arg) for arg in node.args] == arguments]

    assert calls(kernel._simulate_block) == ["week_kernel"]
    assert calls(week_kernel) == [f"{mechanism.module.rsplit('.', 1)[-1]}."
                                  f"{mechanism.kernel.py_func.__name__}"
                                  for mechanism in MECHANISMS]
    source = inspect.getsource(week_kernel.py_func)
    comments = [line.strip() for line in source.splitlines()
                if line.strip().startswith("# -- ") and "(mechanisms." in line]
    assert comments == [f"# -- {mechanism.name} ({mechanism.module.removeprefix('redline.')}) --"
                        for mechanism in MECHANISMS]


def test_each_declared_constant_is_in_the_model_and_read_by_its_mechanism():
    """A mechanism's own constants (``Mechanism.constants``) reach the kernel's model
    under their names, and its module reads each as ``model.<name>``."""
    import inspect

    from redline.arrays.scenario_arrays import compile_scenario
    from redline.engine import kernel
    from redline.mechanisms.programs import compile_programs
    from redline.mechanisms.registry import MECHANISMS

    compiled = compile_scenario(redline_load("kursk-2024"))
    model = kernel.kernel_model(compiled, compile_programs(compiled), compiled.severity)
    declared = [name for mechanism in MECHANISMS for name in mechanism.constants]
    assert len(declared) == len(set(declared))
    for mechanism in MECHANISMS:
        source = inspect.getsource(sys.modules[mechanism.module])
        for name, constant in mechanism.constants.items():
            assert f"model.{name}" in source, (mechanism.key, name)
            np.testing.assert_array_equal(getattr(model, name), constant(compiled))
