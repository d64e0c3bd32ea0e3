"""Tests of redline.arrays.state.initial_state and SlotValues.take: the per-run draw.

Oracle: the plain construction the engine used before the draw was made fast —
every slot sampled with ``ParameterSlots.sample``, then gathered field by field
(``np.moveaxis(values[slots], -1, 0)``, -1 slots filled) and bounded. The fast
draw must give the same arrays: same shapes and dtypes, values equal up to the
order of a few additions (relative tolerance 1e-14).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redline import load as redline_load
from redline.arrays.scenario_arrays import ParameterSlots, ScenarioArrays, compile_scenario
from redline.arrays.slot_values import AS_DRAWN, AT_LEAST_ZERO, SHARE, WHOLE_WEEKS, SlotValues
from redline.arrays.state import initial_state
from redline.scenario import distributions as dist
from redline.scenario.loader import load_scenario, validate_data
from tests.support import strategies as ss
from tests.support.paths import MINI


def plain_take(values: np.ndarray, slots: np.ndarray, fill=0.0) -> np.ndarray:
    slots = np.asarray(slots, dtype=np.int64)
    fill = np.broadcast_to(fill, slots.shape)
    picked = np.where(slots[..., None] >= 0, values[np.maximum(slots, 0)], fill[..., None])
    return np.moveaxis(picked, -1, 0)


def plain_parameters(compiled: ScenarioArrays, uniforms: np.ndarray) -> dict[str, np.ndarray]:
    """The per-run parameters and the fields derived from them, built the plain way."""
    values = compiled.slots.sample(uniforms)

    def take(slots, fill=0.0):
        return plain_take(values, slots, fill)

    def share(x):
        return np.clip(x, 0.0, 1.0)

    def at_least_zero(x):
        return np.maximum(x, 0.0)

    strengths = at_least_zero(take(compiled.front_forces_slot))  # (N, F, 2, k)
    forces = strengths.sum(axis=-1)
    coefficients = take(compiled.front_attrition_slot)
    weighted = (coefficients * strengths).sum(axis=-1)
    attrition = np.where(forces > 0, weighted / np.maximum(forces, 1e-12),
                         coefficients.mean(axis=-1))
    loss_share = np.zeros((*forces.shape, compiled.n_actors))
    owners = compiled.front_force_owner
    shares = strengths / np.maximum(forces[..., None], 1e-12)
    for f, role, k in zip(*np.nonzero(owners >= 0), strict=True):
        loss_share[:, f, role, owners[f, role, k]] += shares[:, f, role, k]
    actions = np.array(list(compiled.support_change_slots.values()), dtype=np.int64)
    return {
        "capability": at_least_zero(take(compiled.capability_slot)),
        "resolve": share(take(compiled.resolve_slot)),
        "war_cost": at_least_zero(take(compiled.war_cost_slot)),
        "cost_sensitivity": at_least_zero(take(compiled.cost_sensitivity_slot)),
        "optimism": take(compiled.optimism_slot),
        "stability_sensitivity": at_least_zero(take(compiled.stability_sensitivity_slot)),
        "effect": take(compiled.effect_slot),
        "cost": at_least_zero(take(compiled.cost_slot)),
        "harm": at_least_zero(take(compiled.harm_slot)),
        "threshold": take(compiled.threshold_slot),
        "follow_through": share(take(compiled.follow_through_slot)),
        "attrition": at_least_zero(attrition),
        "reinforcement": at_least_zero(take(compiled.front_reinforcement_slot).sum(axis=-1)),
        "control_speed": at_least_zero(take(compiled.front_speed_slot)),
        "front_weight": at_least_zero(take(compiled.front_weight_slot)),
        "diverts": share(take(compiled.front_diverts_slot)),
        "loss_share": loss_share,
        "deployment_strength": at_least_zero(take(compiled.deployment_strength_slot)),
        "deployment_exists": take(compiled.deployment_draw_slot)
        < take(compiled.deployment_exists_slot),
        "deployment_delay": at_least_zero(np.rint(take(compiled.deployment_delay_slot))),
        "policy_probability": share(take(compiled.policy_probability_slot)),
        "policy_delay": at_least_zero(np.rint(take(compiled.policy_delay_slot))),
        "policy_hazard": share(take(compiled.policy_hazard_slot)),
        "action_level": share(take(actions)),
        "support": share(take(compiled.support_slot, compiled.support_default)),
        "forces": forces,
        "control": share(take(compiled.front_control_slot)),
        "stability": share(take(compiled.stability_slot)),
    }


def plain_bounds(compiled: ScenarioArrays, runs: int) -> np.ndarray:
    """Public lower bound of each red line at week 0: the highest starting rung it covers,
    unless the line tests the start in week 1 (``tested_at_start: false``)."""
    posture = np.broadcast_to(compiled.initial_posture, (runs, compiled.n_actors))
    low = np.zeros((runs, len(compiled.red_line_ids)), dtype=np.int64)
    for line, applies in enumerate(compiled.red_line_applies):
        if applies.any() and compiled.scenario.red_lines[line].tested_at_start:
            low[:, line] = (posture[:, applies] + 1).max(axis=1)
    return np.maximum(compiled.red_line_initial_low[None, :], low)


def uniforms_for(compiled: ScenarioArrays, runs: int, seed: int) -> np.ndarray:
    """Seeded uniforms, with the generator's extremes (0 and 1 - 2**-53) in the first runs."""
    uniforms = np.random.default_rng(seed).random((len(compiled.slots.numbers), runs))
    uniforms[:, : min(runs, 3)] = np.array([0.0, 1.0 - 2.0**-53, 0.5])[: min(runs, 3)]
    return uniforms


def check_against_plain(compiled: ScenarioArrays, uniforms: np.ndarray) -> None:
    state = initial_state(compiled, uniforms)
    for name, expected in plain_parameters(compiled, uniforms).items():
        got = getattr(state, name)
        assert got.shape == expected.shape, name
        assert got.dtype == expected.dtype, name
        assert got.flags.c_contiguous, name
        np.testing.assert_allclose(got, expected, rtol=1e-14, atol=0, err_msg=name)
    low = plain_bounds(compiled, uniforms.shape[1])
    np.testing.assert_array_equal(state.low, low)
    np.testing.assert_array_equal(state.tested, low)
    # the engine draws only the distribution slots' rows: the same state
    drawn = np.array([slot for slot, number in enumerate(compiled.slots.numbers)
                      if dist.is_distribution(number)], dtype=np.int64)
    compact = initial_state(compiled, uniforms[drawn[::-1]], rows=drawn[::-1])
    for name, value in vars(state).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(compact, name), value, err_msg=name)


@pytest.mark.parametrize("name", ["kursk-2024", "cuba-1962"])
def test_initial_state_matches_the_plain_construction(name):
    compiled = compile_scenario(redline_load(name))
    check_against_plain(compiled, uniforms_for(compiled, 2000, seed=11))


def test_initial_state_matches_on_the_mini_scenario():
    compiled = compile_scenario(load_scenario(MINI))
    check_against_plain(compiled, uniforms_for(compiled, 500, seed=5))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ss.scenario_dicts(), st.integers(1, 300), st.integers(0, 2**32 - 1))
def test_initial_state_matches_on_generated_scenarios(data, runs, seed):
    compiled = compile_scenario(validate_data(data))
    check_against_plain(compiled, uniforms_for(compiled, runs, seed))


def test_take_is_sample_moved_to_the_run_axis():
    """take(slots) = sample()[slots] with the run axis first; -1 slots get the fill,
    a number or an array shaped like the slots; a lone slot gives one column."""
    compiled = compile_scenario(redline_load("kursk-2024"))
    slots = compiled.slots
    uniforms = uniforms_for(compiled, 257, seed=3)
    values = slots.sample(uniforms)
    taken = SlotValues(slots, uniforms)
    n = len(slots.numbers)
    picks = np.array([[0, n - 1, -1], [-1, 5, n // 2]])
    np.testing.assert_array_equal(taken.take(picks), plain_take(values, picks))
    fill = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(taken.take(picks, fill), plain_take(values, picks, fill))
    np.testing.assert_array_equal(taken.take(np.int64(7)), values[7])
    assert taken.take(np.zeros(0, dtype=np.int64)).shape == (257, 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                          st.sampled_from([-0.5, 0.5, 1.5, 2.5, -0.0, 1.0])),
                min_size=1, max_size=20))
def test_take_bounds_as_numpy_does(numbers):
    """Each bound is NumPy's: maximum(v, 0), clip(v, 0, 1), maximum(rint(v), 0); NaN stays."""
    slots = ParameterSlots()
    picks = slots.add_many([float(x) for x in numbers], [f"n{i}" for i in range(len(numbers))])
    taken = SlotValues(slots, np.zeros((0, 3)), rows=np.zeros(0, dtype=np.int64))
    plain = np.array(numbers, dtype=np.float64)
    for bound, expected in ((AS_DRAWN, plain), (AT_LEAST_ZERO, np.maximum(plain, 0.0)),
                            (SHARE, np.clip(plain, 0.0, 1.0)),
                            (WHOLE_WEEKS, np.maximum(np.rint(plain), 0.0))):
        got = taken.take(picks, bound=bound)
        np.testing.assert_array_equal(got, np.broadcast_to(expected, (3, plain.size)))
    fills = taken.take(np.full(plain.size, -1), fill=plain, bound=SHARE)
    np.testing.assert_array_equal(fills[0], np.clip(plain, 0.0, 1.0))


def test_a_distribution_slot_without_uniforms_is_an_error():
    compiled = compile_scenario(redline_load("kursk-2024"))
    with pytest.raises(ValueError, match="holds a distribution but has no uniforms"):
        SlotValues(compiled.slots, np.zeros((1, 4)), rows=np.array([0]))


def test_sample_keeps_its_contract():
    """sample: one row per slot, a constant repeated, a distribution drawn by inversion."""
    compiled = compile_scenario(redline_load("kursk-2024"))
    slots = compiled.slots
    uniforms = uniforms_for(compiled, 64, seed=9)
    values = slots.sample(uniforms)
    assert values.shape == uniforms.shape
    assert values.dtype == np.float64
    for slot, number in enumerate(slots.numbers):
        if dist.is_distribution(number):
            expected = number.ppf(np.clip(uniforms[slot], 2.0**-53, 1.0 - 2.0**-53))
        else:
            expected = np.full(64, number)
        np.testing.assert_array_equal(values[slot], expected, err_msg=slots.names[slot])
