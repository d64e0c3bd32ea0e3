"""Tests of redline.mechanisms: closed forms from the literature and declared properties.

Oracle tests cite their source in the docstring and state their tolerance.
Analytic truths (closed forms, invariants) are kept apart from the checks of
the mechanisms' declarations (redline.mechanisms.registry: what each reads,
writes and draws, its two steps, its caches and its sources), which follow
Axelrod's classifier tests and are parametrised by the registry.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import itertools
import math
import pkgutil
import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

import redline.mechanisms
from redline.arrays.scenario_arrays import compile_scenario
from redline.arrays.state import State, initial_state
from redline.engine.run import step
from redline.engine.seeding import ChunkStreams
from redline.mechanisms import changes, policies
from redline.mechanisms.bargaining import acceptable_range, bargaining_range
from redline.mechanisms.decisions import choice_probabilities, logit_choice
from redline.mechanisms.fronts import lanchester_step, square_law_invariant
from redline.mechanisms.mechanism import DRAWS, Mechanism, Week
from redline.mechanisms.power import contest_success
from redline.mechanisms.redlines import enforcement_belief
from redline.mechanisms.registry import MECHANISMS, StreamLayout
from redline.mechanisms.trust import beta_bernoulli_trust
from redline.scenario.loader import load_scenario
from tests.support.paths import MINI, ROOT

unit = st.floats(0.0, 1.0, allow_nan=False)
costs = st.floats(0.0, 0.5, allow_nan=False)
positive = st.floats(1e-3, 1e3, allow_nan=False)


# ------------------------------------------------------------- bargaining


def test_fearon_bargaining_range_worked_example():
    """Fearon (1995), 'Rationalist explanations for war', IO 49(3), p. 388: with
    p = 0.6, c_A = 0.1, c_B = 0.15 the range is [p - c_A, p + c_B] = [0.5, 0.75].
    Tolerance 1e-12 (two float subtractions)."""
    low, high = bargaining_range(0.6, 0.1, 0.15)
    assert float(low) == pytest.approx(0.5, abs=1e-12)
    assert float(high) == pytest.approx(0.75, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(unit, costs, costs, st.floats(0.0, 1.0))
def test_acceptable_range_with_full_trust_is_fearons_range(p, cost_a, cost_b, shift):
    """Fearon (1995): with trust 1 (deals are kept) and no optimism the acceptable
    range is [p - c_A, p + c_B], whatever the power shift. Tolerance 1e-12."""
    one = np.ones(1)
    low, high = acceptable_range(p * one, (1 - p) * one, cost_a * one, cost_b * one, one, one,
                                 shift)
    fearon_low, fearon_high = bargaining_range(p, cost_a, cost_b)
    assert low[0] == pytest.approx(float(fearon_low), abs=1e-12)
    assert high[0] == pytest.approx(float(fearon_high), abs=1e-12)
    assert low[0] <= high[0] + 1e-12


@settings(max_examples=100, deadline=None)
@given(unit, costs, costs, st.floats(0.01, 0.5), st.floats(0.05, 0.99), st.floats(0.05, 0.99))
def test_distrust_narrows_the_range_monotonically(p, cost_a, cost_b, shift, trust_low, trust_high):
    """Powell (2006), 'War as a commitment problem', IO 60(1): with a power shift d > 0
    a side that trusts less demands more; the range is strictly narrower than Fearon's
    and shrinks as trust falls (monotone in tau). Trust levels at least 1e-6 apart, so
    that the strict comparison is not lost to rounding (1 ulp apart they are equal)."""
    assume(trust_high - trust_low > 1e-6)
    one = np.ones(1)

    def width(tau: float) -> float:
        low, high = acceptable_range(p * one, (1 - p) * one, cost_a * one, cost_b * one,
                                     tau * one, tau * one, shift)
        return float(high[0] - low[0])

    fearon = cost_a + cost_b
    assert width(trust_high) < fearon
    assert width(trust_low) < width(trust_high)
    # closed form: each side's demand moves by d (1 - tau) / tau
    expected = fearon - 2 * shift * (1 - trust_low) / trust_low
    assert width(trust_low) == pytest.approx(expected, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(unit, costs, costs, st.floats(0.01, 1.0), st.floats(0.05, 1.0))
def test_range_vanishes_when_commitment_premium_exceeds_half_the_costs(p, cost_a, cost_b,
                                                                      shift, tau):
    """Powell (2006): the range is empty exactly when the premium d (1 - tau)/tau each
    side demands exceeds (c_A + c_B) / 2 (symmetric trust). Exact comparison, away
    from the boundary by 1e-9."""
    premium = shift * (1 - tau) / tau
    assume(abs(premium - (cost_a + cost_b) / 2) > 1e-9)
    one = np.ones(1)
    low, high = acceptable_range(p * one, (1 - p) * one, cost_a * one, cost_b * one,
                                 tau * one, tau * one, shift)
    assert (low[0] > high[0]) == (premium > (cost_a + cost_b) / 2)


@settings(max_examples=60, deadline=None)
@given(unit, costs, costs, st.floats(0.01, 0.3))
def test_mutual_optimism_narrows_the_range(p, cost_a, cost_b, optimism):
    """Fearon (1995, section 'private information'); Blainey (1973): when both sides
    overestimate their chance of winning by e, the range shrinks by 2e. Tol. 1e-12."""
    one = np.ones(1)
    low, high = acceptable_range((p + optimism) * one, (1 - p + optimism) * one,
                                 cost_a * one, cost_b * one, one, one, 0.0)
    assert float(high[0] - low[0]) == pytest.approx(cost_a + cost_b - 2 * optimism, abs=1e-12)


# --------------------------------------------------------------- red lines

SEVERITIES = np.array([1.0, 2.0, 3.5, 5.0, 7.0, 9.0])
EXTENDED = np.concatenate([[-np.inf], SEVERITIES, [np.inf]])
TRIANGULAR_PRIOR = stats.triang(c=(5 - 2) / (10 - 2), loc=2.0, scale=8.0)  # triangular(2, 5, 10)
PRIOR_CDF = np.where(np.isneginf(EXTENDED), 0.0,
                     np.where(np.isposinf(EXTENDED), 1.0, TRIANGULAR_PRIOR.cdf(EXTENDED)))
E = len(EXTENDED)


def belief(low: int, high: int, tested: int, level: int) -> float:
    return float(enforcement_belief(PRIOR_CDF, np.array([low]), np.array([high]),
                                    np.array([tested]), level)[0])


@pytest.mark.parametrize("low", range(0, E - 1))
def test_enforcement_belief_is_truncated_prior_cdf(low):
    """Schelling (1966) threshold uncertainty, as formalised in redline's DESIGN 2.3:
    P(T <= s | L < T <= U) = (F(min(s, U)) - F(L)) / (F(U) - F(L)) for a triangular(2, 5, 10)
    prior, computed here directly with scipy for every L < s < U of a 6-rung table.
    Tolerance 1e-12."""
    for high in range(low + 1, E):
        f_low = TRIANGULAR_PRIOR.cdf(EXTENDED[low]) if low > 0 else 0.0
        f_high = TRIANGULAR_PRIOR.cdf(EXTENDED[high]) if high < E - 1 else 1.0
        if f_high - f_low <= 1e-12:
            continue
        for level in range(low + 1, high):
            expected = (TRIANGULAR_PRIOR.cdf(min(EXTENDED[level], EXTENDED[high])) - f_low) / (
                f_high - f_low)
            assert belief(low, high, low, level) == pytest.approx(expected, abs=1e-12), (
                low, high, level)


def test_enforcement_belief_bounds():
    """DESIGN 2.3: the belief is 0 at or below L, 1 at or above U, and 0 at or below
    the highest severity already tested (no new test, no risk). Exact."""
    low, high = 2, 6
    for level in range(0, low + 1):
        assert belief(low, high, low, level) == 0.0
    for level in range(high, E):
        assert belief(low, high, low, level) == 1.0
    for level in range(0, 5):
        assert belief(0, E - 1, 4, level) == 0.0
    assert belief(0, E - 1, 4, 5) > 0.0


@settings(max_examples=100, deadline=None)
@given(st.integers(0, E - 2), st.integers(1, E - 1), st.integers(0, E - 1))
def test_enforcement_belief_monotone_in_severity(low, high, tested):
    """The belief is a CDF in s: non-decreasing, in [0, 1]. Exact comparisons."""
    assume(low < high)
    tested = max(tested, low)
    values = [belief(low, high, tested, level) for level in range(E)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert all(b >= a for a, b in itertools.pairwise(values))


def test_enforcement_belief_vectorised_over_runs():
    """One call for N runs equals N scalar calls (exact)."""
    lows = np.array([0, 1, 2, 3])
    highs = np.array([7, 6, 5, 7])
    tested = np.array([0, 2, 2, 3])
    levels = np.array([4, 4, 4, 5])
    vector = enforcement_belief(PRIOR_CDF, lows, highs, tested, levels)
    scalar = [belief(lo, hi, t, lv) for lo, hi, t, lv in zip(lows, highs, tested, levels,
                                                              strict=True)]
    np.testing.assert_array_equal(vector, scalar)


# ------------------------------------------------------------- Lanchester


def test_lanchester_square_law_closed_form():
    """Lanchester (1916), square law dA/dt = -b B, dB/dt = -a A (a = a_A, the losses A
    inflicts per unit of strength). Exact solution, w = sqrt(a b):
        A(t) = A0 cosh(w t) - sqrt(b / a) B0 sinh(w t)
        B(t) = B0 cosh(w t) - sqrt(a / b) A0 sinh(w t)
    Explicit Euler with dt = 1e-3 over t = 1 (normalised units): global error O(dt),
    tolerance 2e-3 relative. (B reaches 0 only at tanh(w t) = B0 sqrt(b / a) / A0, t = 3.1.)"""
    a, b = 0.6, 0.9
    attacker, defender = 1.0, 0.8
    a0, b0 = attacker, defender
    dt, steps = 1e-3, 1000
    for _ in range(steps):
        attacker, defender = lanchester_step(attacker, defender, a, b, dt=dt)
    t = dt * steps
    w = math.sqrt(a * b)
    exact_a = a0 * math.cosh(w * t) - math.sqrt(b / a) * b0 * math.sinh(w * t)
    exact_b = b0 * math.cosh(w * t) - math.sqrt(a / b) * a0 * math.sinh(w * t)
    assert exact_b > 0  # still inside the solution's domain
    assert float(attacker) == pytest.approx(exact_a, rel=2e-3)
    assert float(defender) == pytest.approx(exact_b, rel=2e-3)


def test_square_law_invariant_conserved_by_small_steps():
    """Lanchester (1916): a A^2 - b B^2 is constant along square-law trajectories.
    Under explicit Euler it is multiplied by exactly (1 - a b dt^2) per step (derived
    by expanding one step), so after 1000 steps of dt = 1e-3 the relative drift is
    about a b 1e-3 < 1e-3. Tolerances: drift < 1e-3; Euler factor rel 1e-9."""
    a, b = 0.6, 0.9
    attacker, defender = 1.0, 0.8
    start = float(square_law_invariant(attacker, defender, a, b))
    dt = 1e-3
    for _ in range(1000):
        attacker, defender = lanchester_step(attacker, defender, a, b, dt=dt)
    end = float(square_law_invariant(attacker, defender, a, b))
    assert abs(end - start) / abs(start) < 1e-3
    assert end == pytest.approx(start * (1 - a * b * dt * dt) ** 1000, rel=1e-9)


def test_linear_law_invariant_is_exact():
    """Lanchester's linear law (p = q = 1): dA/dt = -b A B, dB/dt = -a A B, so
    d(a A - b B)/dt = -a b A B + b a A B = 0: a A - b B is invariant (Taylor 1983,
    Lanchester Models of Warfare, ch. 2). Euler preserves it exactly (each step
    subtracts a b A B dt from both terms). Tolerance 1e-12 relative."""
    a, b = 0.002, 0.003
    attacker, defender = 100.0, 80.0
    start = a * attacker - b * defender
    for _ in range(50):
        attacker, defender = lanchester_step(attacker, defender, a, b, exponent_enemy=1.0,
                                             exponent_own=1.0, dt=0.1)
    assert float(defender) > 0 and float(attacker) > 0
    assert a * float(attacker) - b * float(defender) == pytest.approx(start, rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.floats(0.0, 1e6), st.floats(0.0, 1e6), st.floats(0.0, 10.0), st.floats(0.0, 10.0),
       st.sampled_from([(1.0, 0.0), (1.0, 1.0), (0.5, 0.5)]), st.floats(1e-3, 10.0))
def test_strengths_never_negative(attacker, defender, a, b, exponents, dt):
    new_a, new_b = lanchester_step(attacker, defender, a, b, *exponents, dt=dt)
    assert float(new_a) >= 0.0 and float(new_b) >= 0.0
    assert float(new_a) <= attacker and float(new_b) <= defender


# -------------------------------------------------------- contest success


def test_contest_success_worked_example():
    """Tullock (1980); Hirshleifer (1989): p = P_A^m / (P_A^m + P_B^m); with P = (3, 1) and
    m = 1 p = 3/4. Exact."""
    assert float(contest_success(3.0, 1.0, 1.0)) == 0.75
    assert float(contest_success(2.0, 1.0, 2.0)) == pytest.approx(0.8, abs=1e-15)
    assert float(contest_success(0.0, 0.0, 1.0)) == 0.5


@settings(max_examples=100, deadline=None)
@given(positive, positive, st.floats(0.2, 4.0), st.floats(1e-2, 1e2))
def test_contest_success_symmetric_and_homogeneous(power_a, power_b, m, scale):
    """Hirshleifer (1989): the ratio form is symmetric (p(A, B) + p(B, A) = 1) and
    homogeneous of degree 0 (only the ratio of powers matters). Tolerance 1e-12."""
    p = float(contest_success(power_a, power_b, m))
    assert 0.0 <= p <= 1.0
    assert p + float(contest_success(power_b, power_a, m)) == pytest.approx(1.0, abs=1e-12)
    assert float(contest_success(scale * power_a, scale * power_b, m)) == pytest.approx(
        p, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(positive, positive, st.floats(1.01, 2.0), st.floats(0.2, 3.0), st.floats(1.01, 2.0))
def test_contest_success_monotone(power_a, power_b, factor, m, m_factor):
    """Increasing in one's own power; when P_A > P_B, increasing in decisiveness m
    (Hirshleifer 1989). Weak inequalities (ties allowed only by rounding)."""
    p = float(contest_success(power_a, power_b, m))
    assert float(contest_success(power_a * factor, power_b, m)) >= p
    if power_a > power_b:
        assert float(contest_success(power_a, power_b, m * m_factor)) >= p


def test_contest_success_large_decisiveness_favours_the_stronger_side():
    """Hirshleifer (1989): as m grows, p -> 1 for the stronger side."""
    assert float(contest_success(0.5, 0.4, 1100.0)) > 0.99
    assert float(contest_success(10.0, 5.0, 400.0)) > 0.99


# ---------------------------------------------------------- logit choice


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-5.0, 5.0), min_size=1, max_size=5), st.floats(0.0, 50.0))
def test_choice_probabilities_sum_to_one(utilities, rationality):
    """McKelvey & Palfrey (1995): logit QRE choice probabilities form a distribution
    with P(a) proportional to exp(lambda U(a)). Tolerance 1e-12."""
    probs = choice_probabilities(np.array([utilities]), rationality)[0]
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(probs >= 0.0)
    u = np.array(utilities)
    for i in range(len(u)):
        for j in range(len(u)):
            if probs[j] > 1e-300 and probs[i] > 1e-300:
                assert math.log(probs[i] / probs[j]) == pytest.approx(
                    rationality * (u[i] - u[j]), abs=1e-9)


def test_logit_limits():
    """lambda = 0: uniform; lambda large: best response (McKelvey & Palfrey 1995). Tol 1e-12."""
    utilities = np.array([[0.1, 0.5, -0.2]])
    np.testing.assert_allclose(choice_probabilities(utilities, 0.0), [[1 / 3] * 3], atol=1e-12)
    np.testing.assert_allclose(choice_probabilities(utilities, 1e4), [[0.0, 1.0, 0.0]],
                               atol=1e-12)


def test_logit_choice_frequencies_match_closed_form():
    """The sampler draws from the closed form: empirical frequencies over n = 200k
    seeded draws within 5 binomial standard errors of choice_probabilities."""
    n = 200_000
    utilities = np.tile([0.1, 0.3, -0.2], (n, 1))
    rationality = 4.0
    available = np.ones((n, 3), dtype=bool)
    draws = np.random.default_rng(11).random(n)
    chosen = logit_choice(utilities, available, rationality, draws)
    freq = np.bincount(chosen, minlength=3) / n
    expected = choice_probabilities(utilities[:1], rationality)[0]
    se = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(freq - expected) < 5 * se), (freq, expected)


def test_logit_choice_never_picks_unavailable_options():
    n = 50_000
    utilities = np.tile([5.0, 0.0, 1.0], (n, 1))
    available = np.tile([False, True, True], (n, 1))
    draws = np.random.default_rng(5).random(n)
    chosen = logit_choice(utilities, available, 2.0, draws)
    assert set(np.unique(chosen)) <= {1, 2}
    expected = choice_probabilities(np.array([[0.0, 1.0]]), 2.0)[0]
    freq = np.bincount(chosen, minlength=3)[1:] / n
    assert np.all(np.abs(freq - expected) < 5 * np.sqrt(expected * (1 - expected) / n))
    # edge uniforms
    edge = logit_choice(utilities[:2], available[:2], 2.0, np.array([0.0, 1 - 2**-53]))
    np.testing.assert_array_equal(edge, [1, 2])


# ------------------------------------------------------------------ trust


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 50), st.integers(0, 50))
def test_beta_bernoulli_trust_closed_form(kept, broken):
    """Laplace's rule of succession (Beta(1, 1) prior): posterior mean of the keeping rate
    is (1 + k) / (2 + k + b). Tolerance 1e-15."""
    assert float(beta_bernoulli_trust(kept, broken)) == pytest.approx(
        (1 + kept) / (2 + kept + broken), abs=1e-15)
    assert float(beta_bernoulli_trust(kept, broken, (2.0, 5.0))) == pytest.approx(
        (2 + kept) / (7 + kept + broken), abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(st.floats(0.0, 100.0), st.floats(0.0, 100.0), st.floats(0.01, 10.0))
def test_trust_monotone(kept, broken, more):
    """A kept promise raises trust, a broken one lowers it (strictly)."""
    base = float(beta_bernoulli_trust(kept, broken))
    assert 0.0 < base < 1.0
    assert float(beta_bernoulli_trust(kept + more, broken)) > base
    assert float(beta_bernoulli_trust(kept, broken + more)) < base


# ----------------------------------------------------------- declarations

#: Modules of redline.mechanisms that are not mechanisms: the base of the steps, the
#: conditions and their programs, the declaration type and the registry.
NOT_MECHANISMS = {"changes", "conditions", "mechanism", "programs", "registry"}
STATE_FIELDS = {f.name for f in dataclasses.fields(State)}
STATE_PROPERTIES = {name for name, value in vars(State).items() if isinstance(value, property)}
BIBLIOGRAPHY = ROOT / "docs" / "bibliography.md"


def by_key(mechanism: Mechanism) -> str:
    return mechanism.key


def test_the_registry_lists_every_mechanism_module_once():
    """Axelrod's explicit registry, checked: every module of redline.mechanisms that
    declares a mechanism is in MECHANISMS, once, with its own declaration."""
    names = {info.name for info in pkgutil.iter_modules(redline.mechanisms.__path__)}
    modules = [importlib.import_module(f"redline.mechanisms.{name}")
               for name in sorted(names - NOT_MECHANISMS)]
    assert {module.MECHANISM for module in modules} == set(MECHANISMS)
    assert len({m.key for m in MECHANISMS}) == len({m.name for m in MECHANISMS}) == 8
    for mechanism in MECHANISMS:
        module = importlib.import_module(mechanism.module)
        assert module.MECHANISM is mechanism
        assert module.__doc__ and mechanism.summary


@pytest.mark.parametrize("mechanism", MECHANISMS, ids=by_key)
def test_declarations_name_state_fields(mechanism):
    """Every mechanism declares what it reads and writes (Axelrod-style classifiers),
    and every name it reads or writes is a field or property of State."""
    for kind in ("reads", "writes"):
        names = getattr(mechanism, kind)
        assert isinstance(names, tuple) and names, kind
        unknown = set(names) - STATE_FIELDS - STATE_PROPERTIES
        assert not unknown, f"{mechanism.name} {kind} no State field: {sorted(unknown)}"
    assert not set(mechanism.writes) & STATE_PROPERTIES, "a property cannot be written"
    assert mechanism.draws in DRAWS


@pytest.mark.parametrize("mechanism", MECHANISMS, ids=by_key)
def test_every_mechanism_has_both_steps(mechanism):
    """A reference step over a chunk, and a compiled step that Numba inlines into the
    kernel (whose calls tests/test_kernel.py checks against the registry's order)."""
    assert callable(mechanism.reference)
    assert mechanism.reference.__module__ == mechanism.kernel.py_func.__module__
    assert mechanism.kernel.targetoptions.get("inline") == "always"
    assert list(inspect.signature(mechanism.kernel.py_func).parameters) == [
        "model", "st", "work", "n", "run", "week", "key"]


def test_every_source_is_a_bibliography_key():
    """Every mechanism's sources are keys of docs/bibliography.md; only termination,
    the model's own accounting, cites none."""
    keys = set(re.findall(r"^- \*\*(\w+)\*\*:", BIBLIOGRAPHY.read_text(encoding="utf-8"),
                          flags=re.MULTILINE))
    for mechanism in MECHANISMS:
        assert set(mechanism.sources) <= keys, (mechanism.name, set(mechanism.sources) - keys)
        assert mechanism.sources or mechanism.key == "termination"
        doc = importlib.import_module(mechanism.module).__doc__
        for source in mechanism.sources:  # the docstring cites it (author and year)
            author, year = re.match(r"([A-Za-z]+?)(?:Skeath|DeMesquita)?(\d{4})", source).groups()
            author = {"Bueno": "Bueno de Mesquita", "Dixit": "Dixit"}.get(author, author)
            assert author in doc and year in doc, (mechanism.name, source)


def test_the_caches_are_distinct_bits_stale_on_known_changes():
    bits = [bit for mechanism in MECHANISMS for bit, _ in mechanism.caches.values()]
    assert len(bits) == len(set(bits)) and all(bit & (bit - 1) == 0 for bit in bits)
    for mechanism in MECHANISMS:
        for name, (_, stale_on) in mechanism.caches.items():
            assert stale_on and stale_on & ~changes.ALL == 0, (mechanism.name, name)
            assert not stale_on & changes.EVERY_WEEK, "a cache of what moves every week"


def test_the_stream_layout_is_the_registrys_order():
    """Each mechanism's rows follow the previous one's, in the registry's order: the
    layout the streams have always had (policies, actors, red lines, then bargaining's
    two), so a seed gives the same runs as before the registry."""
    compiled = compile_scenario(load_scenario(MINI))
    layout = StreamLayout.of(compiled)
    n_policies, n_actors = len(compiled.policy_ids), compiled.n_actors
    n_lines = len(compiled.red_line_ids)
    assert layout.rows["policies"] == slice(0, n_policies)
    assert layout.rows["decisions"] == slice(n_policies, n_policies + n_actors)
    assert layout.rows["red_lines"] == slice(n_policies + n_actors, n_policies + n_actors + n_lines)
    end = n_policies + n_actors + n_lines
    assert layout.rows["bargaining"] == slice(end, end + 2)
    assert layout.size == end + 2
    for key in ("fronts", "power", "trust", "termination"):
        assert layout.rows[key].start == layout.rows[key].stop


class _Recorder:
    """A stand-in for State that records the fields a mechanism reads."""

    def __init__(self, state: State) -> None:
        object.__setattr__(self, "_state", state)
        object.__setattr__(self, "reads", set())

    def __getattr__(self, name: str):
        attribute = getattr(State, name, None)
        if isinstance(attribute, property):
            return attribute.fget(self)  # record what the property reads
        self.reads.add(name)
        return getattr(self._state, name)

    def __setattr__(self, name: str, value) -> None:
        setattr(self._state, name, value)


@dataclasses.dataclass
class MidRun:
    """The mini scenario after 5 weeks (1024 runs), and week 6's uniforms."""

    compiled: object
    state: State
    uniforms: np.ndarray
    layout: StreamLayout

    def call(self, mechanism: Mechanism, state, rows: int | None = None) -> None:
        """Run ``mechanism``'s reference step on ``state`` with its own uniforms (or
        only ``rows`` of them), as the engine would in week 6."""
        uniforms = self.uniforms[self.layout.rows[mechanism.key]]
        if rows is not None:
            uniforms = uniforms[:rows]
        week = Week(self.compiled, arrivals=np.zeros((state.runs, len(self.compiled.front_ids), 2)))
        mechanism.reference(week, state, uniforms)


@pytest.fixture(scope="module")
def mid_run():
    compiled = compile_scenario(load_scenario(MINI))
    layout = StreamLayout.of(compiled)
    streams = ChunkStreams(3, 0, 1024, 1024)
    state = initial_state(compiled, streams.uniforms(len(compiled.slots.numbers)))
    week = Week(compiled)
    for number in range(1, 6):
        state.week = number
        step(week, state, streams.uniforms(layout.size), layout)
    state.week = 6
    return MidRun(compiled, state, streams.uniforms(layout.size), layout)


def _changed(before: State, after: State) -> set[str]:
    return {f.name for f in dataclasses.fields(State)
            if not np.array_equal(np.asarray(getattr(before, f.name)),
                                  np.asarray(getattr(after, f.name)), equal_nan=True)}


@pytest.mark.parametrize("mechanism", MECHANISMS, ids=by_key)
def test_declared_writes_cover_actual_writes(mechanism, mid_run):
    """Run each mechanism once on a mid-run state: every State field it changes is in
    its declared writes."""
    state = copy.deepcopy(mid_run.state)
    before = copy.deepcopy(state)
    mid_run.call(mechanism, state)
    undeclared = _changed(before, state) - set(mechanism.writes)
    assert not undeclared, f"{mechanism.name} writes undeclared {sorted(undeclared)}"


#: Bookkeeping every mechanism may read without declaring it.
BOOKKEEPING = {"runs", "week", "terminal", "settled"}


@pytest.mark.parametrize("mechanism", [m for m in MECHANISMS if m.key != "policies"], ids=by_key)
def test_declared_reads_cover_actual_reads(mechanism, mid_run):
    """Every State field a mechanism reads (through a recording proxy) is declared in
    its reads or writes (bookkeeping fields aside). Policies are left out: what their
    conditions read depends on the scenario."""
    recorder = _Recorder(copy.deepcopy(mid_run.state))
    mid_run.call(mechanism, recorder)
    undeclared = recorder.reads - set(mechanism.reads) - set(mechanism.writes) - BOOKKEEPING
    assert not undeclared, f"{mechanism.name} reads undeclared {sorted(undeclared)}"


@pytest.mark.parametrize("mechanism", MECHANISMS, ids=by_key)
def test_declared_draws_are_the_uniforms_a_mechanism_is_handed(mechanism, mid_run):
    """Each mechanism is handed its declared rows of the week's uniforms and no more (a
    deterministic one: none, and it runs without them); a stochastic one has some in
    the mini scenario."""
    rows = mechanism.uniforms(mid_run.compiled)
    assert rows == len(range(*mid_run.layout.rows[mechanism.key].indices(mid_run.layout.size)))
    assert (rows > 0) == mechanism.stochastic
    mid_run.call(mechanism, copy.deepcopy(mid_run.state))


# ------------------------------------------------- deployments joining a front

DEPLOYMENT_MIX = """\
name: mix
start: 2024-01-01
horizon: 4
actors:
  A: {name: Alpha}
  B: {name: Beta}
  K: {name: Korea}
sides: {A: [A], B: [B, K]}
ladder:
  - {id: war, severity: 2}
fronts:
  main:
    attacker: A
    defender: B
    forces: {A: 1000, B: 300}
    attrition: {A: 0.01, B: 0.02, K: ATTRITION_K}
deployments:
  - {id: troops, actor: K, front: main, side: B, strength: 100, combat_delay_weeks: 1}
"""


@pytest.mark.parametrize(("rate_k", "expected_rate"), [
    (0.0, (0.02 * 300 + 0.0 * 100) / 400),
    (0.02, 0.02),
    (0.06, (0.02 * 300 + 0.06 * 100) / 400),
])
def test_a_deployment_joins_as_a_strength_weighted_mix(rate_k, expected_rate):
    """On arrival the side's coefficient is the strength-weighted mean of the force there
    and the deployment's own rate; the deployment's actor takes its share of the losses."""
    from redline.scenario.loader import load_text

    scenario = load_text(DEPLOYMENT_MIX.replace("ATTRITION_K", str(rate_k)), "mix.yaml")
    compiled = compile_scenario(scenario)
    streams = ChunkStreams(0, 0, 8, 8)
    state = initial_state(compiled, streams.parameters(np.arange(len(compiled.slots.numbers))))
    program = policies.PolicyProgram(compiled)
    state.week = 1
    arrivals = program.reach_combat(state)
    np.testing.assert_allclose(arrivals[:, 0, 1], 100.0)
    np.testing.assert_allclose(state.attrition[:, 0, 1], expected_rate, rtol=1e-12)
    korea, beta = compiled.actor_index["K"], compiled.actor_index["B"]
    np.testing.assert_allclose(state.loss_share[:, 0, 1, korea], 0.25, rtol=1e-12)
    np.testing.assert_allclose(state.loss_share[:, 0, 1, beta], 0.75, rtol=1e-12)
    np.testing.assert_allclose(state.loss_share[:, 0, 1].sum(axis=1), 1.0, rtol=1e-12)


def test_a_deployment_without_its_own_rate_keeps_the_sides():
    from redline.scenario.loader import load_text

    text = DEPLOYMENT_MIX.replace(", K: ATTRITION_K", "")
    compiled = compile_scenario(load_text(text, "mix.yaml"))
    assert compiled.deployment_attrition_slot.tolist() == [-1]
    streams = ChunkStreams(0, 0, 4, 4)
    state = initial_state(compiled, streams.parameters(np.arange(len(compiled.slots.numbers))))
    state.week = 1
    policies.PolicyProgram(compiled).reach_combat(state)
    np.testing.assert_allclose(state.attrition[:, 0, 1], 0.02, rtol=1e-12)
    np.testing.assert_allclose(state.loss_share[:, 0, 1, compiled.actor_index["K"]], 0.25)
