"""Tests of redline.scenario.distributions: inverse-CDF sampling, support, text, validation.

The oracle for each law is its textbook mean and variance (closed forms, e.g.
Johnson, Kotz & Balakrishnan, *Continuous Univariate Distributions*), not
scipy's or our own ``mean()``. Tolerance: 5 Monte Carlo standard errors with
n = 200,000 seeded uniforms (a false alarm rate below 1e-6 per law).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from scipy import special

from redline.scenario import distributions as dist
from tests.support import strategies as ss

N = 200_000
NUMBER = TypeAdapter(dist.Number)


def uniforms(seed: int = 20240101) -> np.ndarray:
    return np.random.default_rng(seed).random(N)


#: The uniforms the engine can draw: Generator.random() returns k / 2**53, k < 2**53.
ENGINE_UNIFORMS = st.integers(0, 2**53 - 1).map(lambda k: k / 2**53)
ENGINE_UNIFORM_LISTS = st.lists(ENGINE_UNIFORMS, min_size=1, max_size=50)


def law(data: dict) -> dist.Distribution:
    value = NUMBER.validate_python(data)
    assert dist.is_distribution(value)
    return value


# (law, closed-form mean, closed-form variance)
def _triangular_moments(a: float, c: float, b: float) -> tuple[float, float]:
    return (a + b + c) / 3, (a * a + b * b + c * c - a * b - a * c - b * c) / 18


CASES = [
    ({"uniform": [2.0, 5.0]}, 3.5, 9.0 / 12),
    ({"triangular": [3.0, 5.0, 8.0]}, *_triangular_moments(3.0, 5.0, 8.0)),
    ({"triangular": [0.0, 0.0, 1.0]}, *_triangular_moments(0.0, 0.0, 1.0)),
    ({"triangular": [0.0, 1.0, 1.0]}, *_triangular_moments(0.0, 1.0, 1.0)),
    ({"beta": [2.0, 5.0]}, 2 / 7, (2 * 5) / (7**2 * 8)),
    ({"beta": [0.5, 0.5]}, 0.5, 0.25 / 2),
    ({"normal": [-1.5, 2.0]}, -1.5, 4.0),
    ({"lognormal": [0.0, 0.5]}, math.exp(0.125), (math.exp(0.25) - 1) * math.exp(0.25)),
]


@pytest.mark.parametrize(("data", "mean", "variance"), CASES,
                         ids=[next(iter(c[0])) + str(c[0][next(iter(c[0]))]) for c in CASES])
def test_inverse_cdf_sample_matches_closed_form_mean(data, mean, variance):
    """Sample mean within 5 standard errors of the textbook mean (n = 200k)."""
    draws = dist.sample(law(data), uniforms())
    assert draws.shape == (N,)
    assert np.isfinite(draws).all()
    standard_error = math.sqrt(variance / N)
    assert abs(draws.mean() - mean) < 5 * standard_error
    # and the variance within 5% (the sampling sd of a sample variance is far below that)
    assert draws.var() == pytest.approx(variance, rel=0.05)


@pytest.mark.parametrize(("data", "mean", "variance"), CASES[:6],
                         ids=[next(iter(c[0])) for c in CASES[:6]])
def test_mean_of_matches_closed_form(data, mean, variance):
    """mean_of agrees with the closed form (relative tolerance 1e-9)."""
    assert dist.mean_of(law(data)) == pytest.approx(mean, rel=1e-9, abs=1e-12)


def test_sampling_is_inversion_one_uniform_per_draw():
    """Each draw is a monotone function of its own uniform: sorted in, sorted out."""
    u = np.sort(uniforms()[:1000])
    for data, _, _ in CASES:
        draws = dist.sample(law(data), u)
        assert np.all(np.diff(draws) >= 0), data
        # one value per uniform, whatever the batch: the first 10 are the same alone
        np.testing.assert_array_equal(dist.sample(law(data), u[:10]), draws[:10])


def test_constant_is_broadcast():
    out = dist.sample(3.25, np.array([[0.1, 0.9], [0.5, 0.0]]))
    np.testing.assert_array_equal(out, np.full((2, 2), 3.25))
    assert dist.mean_of(3.25) == 3.25
    assert dist.support_of(3.25) == (3.25, 3.25)
    assert not dist.is_distribution(3.25)


@settings(max_examples=80, deadline=None)
@given(ss.uniform_laws(), ENGINE_UNIFORM_LISTS)
def test_uniform_stays_within_support(data, us):
    low, high = data["uniform"]
    draws = dist.sample(law(data), np.array(us))
    assert np.all((draws >= low) & (draws <= high))


@settings(max_examples=80, deadline=None)
@given(ss.triangular_laws(), ENGINE_UNIFORM_LISTS)
def test_triangular_stays_within_support(data, us):
    low, _, high = data["triangular"]
    draws = dist.sample(law(data), np.array(us))
    assert np.all((draws >= low) & (draws <= high))
    assert dist.support_of(law(data)) == pytest.approx((low, high), rel=1e-12, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(ss.beta_laws(), ENGINE_UNIFORM_LISTS)
def test_beta_stays_within_unit_interval(data, us):
    draws = dist.sample(law(data), np.array(us))
    assert np.all((draws >= 0.0) & (draws <= 1.0))


@settings(max_examples=60, deadline=None)
@given(ss.distributions())
def test_every_generated_law_validates_and_round_trips(data):
    value = law(data)
    (name, params), = value.model_dump().items()
    assert name in dist.DISTRIBUTION_NAMES
    assert list(params) == data[name]


@pytest.mark.parametrize(("data", "text"), [
    (2.5, "2.5"),
    (3, "3"),
    ({"uniform": [0.5, 1.0]}, "uniform(0.5, 1)"),
    ({"triangular": [3, 5, 8]}, "triangular(3, 5, 8)"),
    ({"beta": [1, 9]}, "beta(1, 9)"),
    ({"normal": [0, 0.25]}, "normal(0, 0.25)"),
    ({"lognormal": [-1, 0.5]}, "lognormal(-1, 0.5)"),
])
def test_describe(data, text):
    assert dist.describe(NUMBER.validate_python(data)) == text


@pytest.mark.parametrize("data", [
    {"uniform": [2.0, 1.0]},             # low > high
    {"uniform": [0.0, float("nan")]},
    {"uniform": [0.0, float("inf")]},
    {"uniform": [0.0]},                   # wrong parameter count
    {"uniform": [0.0, 1.0, 2.0]},
    {"triangular": [0.0, 2.0, 1.0]},      # mode above high
    {"triangular": [1.0, 1.0, 1.0]},      # zero width
    {"triangular": [0.0, 1.0]},
    {"beta": [0.0, 1.0]},
    {"beta": [1.0, -2.0]},
    {"normal": [0.0, 0.0]},
    {"normal": [0.0, -1.0]},
    {"lognormal": [0.0, 0.0]},
    {"lognormal": [float("nan"), 1.0]},
    {"gamma": [1.0, 1.0]},                # unknown law
    {"uniform": [0, 1], "beta": [1, 1]},  # two laws in one mapping
    float("nan"),
    float("inf"),
    True,
    [0.0, 1.0],
])
def test_invalid_parameters_raise(data):
    with pytest.raises(ValidationError):
        NUMBER.validate_python(data)


@pytest.mark.parametrize("data", [
    {"lognormal": [700.0, 50.0]},         # issue 18: validated, drew infinity
    {"lognormal": [709.0, 0.1]},          # exp(709.82): just beyond the largest float
    {"lognormal": [0.0, 1e307]},
    {"normal": [1e308, 1e307]},           # mean + 8.21 sd overflows
    {"normal": [0.0, 1e308]},
    {"uniform": [-1e308, 1e308]},         # the width overflows: every draw infinite
    {"triangular": [-1e308, 0.0, 1e308]},  # the width overflows: every draw the mode
    {"triangular": [0.0, 1e200, 2e200]},   # width * (mode - low) overflows: the same
])
def test_laws_whose_draws_can_overflow_are_refused(data):
    """Every draw at the engine's extreme uniforms (2**-53, 1 - 2**-53) must be a finite
    number computed without overflow; before, these validated and drew infinity or NaN."""
    with pytest.raises(ValidationError, match="largest float"):
        NUMBER.validate_python(data)


def test_the_overflow_bound_is_the_engines_extreme_quantile():
    """The lognormal bound is mu + ndtri(1 - 2**-53) sigma <= log(largest float): the
    largest draw of a law just inside it is finite, and at most the largest float."""
    z = float(special.ndtri(1 - 2.0**-53))
    assert dist.EXTREME_Z == pytest.approx(z) == pytest.approx(8.2095, abs=1e-4)
    sigma = 1.0
    edge = law({"lognormal": [dist.LOG_LARGEST - z * sigma - 1e-9, sigma]})
    draws = dist.sample(edge, np.array([0.0, 0.5, 1.0]))
    assert np.isfinite(draws).all()
    assert draws[-1] > 1e300
    for data in ({"normal": [0.0, 1e306]}, {"uniform": [-1e307, 1e307]},
                 {"triangular": [0.0, 1e150, 2e150]}):
        assert np.isfinite(dist.sample(law(data), uniforms())).all()


def test_degenerate_uniform_is_refused_with_advice():
    """A zero-width uniform would have NaN cdf and mean in scipy: refuse it, suggest a constant."""
    with pytest.raises(ValidationError, match="write a constant as a number"):
        law({"uniform": [3.0, 3.0]})


# ------------------------------------------------------------ the inverses
# Oracle: scipy's inverse of the same law, which redline used before the closed forms:
# scipy.stats' ppf (``frozen()``), but scipy.special.betaincinv for the beta law, since
# scipy.stats' beta ppf gives up in the far tail of some laws (beta(0.5, 3) at 2**-53:
# 0.4% off, with a RuntimeWarning from boost's root finder). The grid runs from the
# engine's extremes (2**-53 and 1 - 2**-53, what the clipping in ``sample`` leaves)
# through the switch at 1/2 to the middle. Tolerance: 1e-12 relative, and 1e-12
# standard deviations where a draw crosses 0.

GRID = np.unique(np.concatenate([
    np.array([1, 2, 3, 1000, 2**26, 2**40, 2**52 - 1, 2**52, 2**52 + 1]) / 2**53,
    1.0 - np.array([1, 2, 3, 1000, 2**26, 2**40]) / 2**53,
    10.0 ** -np.arange(1, 16),
    1.0 - 10.0 ** -np.arange(1, 16),
    np.linspace(0.0, 1.0, 2001)[1:-1],
]))

INVERSE_CASES = [
    {"uniform": [2.0, 5.0]},
    {"uniform": [-1e3, 1e3]},
    {"triangular": [3.0, 5.0, 8.0]},
    {"triangular": [0.0, 0.0, 1.0]},
    {"triangular": [0.0, 1.0, 1.0]},
    {"triangular": [-1.0, 0.0, 1.0]},
    {"triangular": [5e5, 5.6e5, 6.2e5]},
    {"normal": [-1.5, 2.0]},
    {"normal": [1e3, 1e-3]},
    {"lognormal": [0.0, 0.5]},
    {"lognormal": [-5.0, 2.0]},
    {"lognormal": [5.0, 1e-3]},
    # beta: the guided Halley step
    {"beta": [2.0, 5.0]},
    {"beta": [3.0, 4.0]},
    {"beta": [6.0, 4.0]},
    {"beta": [0.5, 0.5]},
    {"beta": [0.1, 0.1]},
    {"beta": [0.3, 7.0]},
    {"beta": [50.0, 50.0]},
    {"beta": [200.0, 3.0]},
    # beta: closed forms
    {"beta": [1.0, 15.0]},
    {"beta": [3.0, 1.0]},
    {"beta": [1.0, 1.0]},
    # beta: median below 1e-3, inverted by scipy
    {"beta": [0.1, 50.0]},
    {"beta": [4.0, 1e4]},
]


def _case_id(data: dict) -> str:
    return dist.describe(law(data))


def scipy_inverse(value: dist.Distribution, u: np.ndarray) -> np.ndarray:
    if isinstance(value, dist.Beta):
        return special.betaincinv(*value.beta, u)
    return value.frozen().ppf(u)


@pytest.mark.parametrize("data", INVERSE_CASES, ids=_case_id)
def test_inverse_matches_scipy_on_a_grid(data):
    value = law(data)
    frozen = value.frozen()
    np.testing.assert_allclose(value.ppf(GRID), scipy_inverse(value, GRID),
                               rtol=1e-12, atol=1e-12 * frozen.std())


@pytest.mark.parametrize("data", INVERSE_CASES, ids=_case_id)
def test_sample_into_is_sample_to_the_last_bit(data):
    """The one-pass draw the engine uses gives sample's values exactly, the ends included
    (u = 0 and 1 - 2**-53, where sample clips)."""
    value = law(data)
    us = np.concatenate([[0.0, 2.0**-60, 1.0 - 2.0**-53], GRID,
                         np.random.default_rng(4).random(1000)])
    out = np.full(us.size, np.nan)
    dist.sample_into(value, us, out)
    np.testing.assert_array_equal(out, dist.sample(value, us))


@pytest.mark.parametrize("data", INVERSE_CASES, ids=_case_id)
def test_inverse_at_the_ends_and_for_one_uniform(data):
    """u = 0 and 1 give the ends of the support, as in scipy; NaN stays NaN; a lone
    uniform gives a 0-d array."""
    value = law(data)
    ends = value.ppf(np.array([0.0, 1.0, np.nan]))
    np.testing.assert_array_equal(ends, scipy_inverse(value, np.array([0.0, 1.0, np.nan])))
    one = value.ppf(0.25)
    assert np.shape(one) == ()
    assert one == pytest.approx(scipy_inverse(value, np.array(0.25)), rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(ss.beta_laws(), ENGINE_UNIFORM_LISTS)
def test_beta_inverse_matches_scipy_on_generated_laws(data, us):
    """The whole strategy range (both shapes in [0.1, 50]), 1e-12 relative."""
    value = law(data)
    u = np.clip(us, 2.0**-53, 1.0 - 2.0**-53)
    np.testing.assert_allclose(value.ppf(u), scipy_inverse(value, u), rtol=1e-12, atol=0)


@settings(max_examples=300, deadline=None)
@given(ss.distributions(), ENGINE_UNIFORM_LISTS)
def test_inverse_is_monotone(data, us):
    """Sorted uniforms give sorted draws. Exactly for the uniform and triangular laws,
    whose inverses are chains of correctly rounded monotone operations; for the others
    up to 1e-13 relative: their inverses (scipy's as well) are accurate to rounding, and
    two uniforms a few ulps apart may swap their draws by an ulp or two."""
    value = law(data)
    draws = dist.sample(value, np.sort(us))
    steps = np.diff(draws)
    if isinstance(value, dist.Uniform | dist.Triangular):
        assert np.all(steps >= 0.0)
    else:
        assert np.all(steps >= -1e-13 * (np.abs(draws[1:]) + value.frozen().std()))


# ------------------------------------------------------ the beta law's two Halley steps
# Whole-number shapes up to 100 take the compiled step with I as a binomial sum; other
# shapes the NumPy step with scipy's betainc. Both from the same guess: they must agree
# with each other and with betaincinv wherever both apply.

@pytest.mark.parametrize("shapes, binomial", [
    ((2.0, 5.0), True), ((100.0, 1.5), False), ((100.0, 100.0), True), ((101.0, 2.0), False),
    ((0.5, 3.0), False), ((3.0, 2.5), False)])
def test_which_beta_laws_take_the_binomial_sum(shapes, binomial):
    assert dist._binomial_shapes(*shapes) is binomial


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 100), st.integers(2, 100), st.integers(0, 2**32 - 1))
def test_binomial_step_matches_betaincinv_and_the_scipy_step(alpha, beta, seed):
    rng = np.random.default_rng(seed)
    u = np.concatenate([rng.random(200), 10.0 ** -rng.uniform(1, 15.9, 30),
                        1.0 - 10.0 ** -rng.uniform(1, 15.9, 30)])
    drawn = dist._beta_quantile(float(alpha), float(beta), u)
    np.testing.assert_allclose(drawn, special.betaincinv(alpha, beta, u), rtol=1e-13, atol=0)
    guide = dist._beta_guide(float(alpha), float(beta))
    if guide is not None:
        by_scipy, settled = dist._beta_halley_scipy(float(alpha), float(beta), guide, u)
        np.testing.assert_allclose(drawn[settled], by_scipy[settled], rtol=1e-13, atol=0)


def test_binomial_tables_add_up_to_the_incomplete_beta():
    """The terms C(n, j) x^j (1 - x)^(n - j), j = a .. n, from the tables: I(x; a, b)."""
    alpha, beta, x = 6.0, 4.0, 0.37
    leading, ratios = dist._binomial_tables(alpha, beta)
    for row, (first, second) in enumerate(((alpha, beta), (beta, alpha))):
        term = leading[row] * x ** first * (1 - x) ** (second - 1)
        total = term
        for k in range(int(second) - 1):
            term *= ratios[row, k] * x / (1 - x)
            total += term
        assert total == pytest.approx(special.betainc(first, second, x), rel=1e-14)
