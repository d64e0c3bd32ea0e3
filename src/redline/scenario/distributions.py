"""Uncertain numbers: a scenario number is a constant or a named distribution.

Any number in a scenario may be written as a plain value or as a one-key
mapping naming a distribution and its parameters::

    capability: 0.35                     # a constant
    capability: {uniform: [0.3, 0.4]}    # low, high
    capability: {triangular: [3, 5, 8]}  # low, mode, high
    capability: {beta: [2, 5]}           # alpha, beta
    capability: {normal: [0, 1]}         # mean, standard deviation
    capability: {lognormal: [0, 0.5]}    # mean and sd of log(x)

Sampling is by inversion of the cumulative distribution function, so every
draw consumes exactly one uniform number. That keeps the engine's random
stream independent of the parameter values and of chunking (see
``redline.engine.seeding``).

The inverses are closed forms where one exists, with scipy's inverses as
their oracle in the tests: uniform ``low + (high - low) u``; triangular
``low + sqrt(u (high - low) (mode - low))`` below the mode's share
``(mode - low) / (high - low)`` and ``high - sqrt((1 - u) (high - low) (high - mode))``
above it; normal ``mean + sd * ndtri(u)``; log-normal ``exp(mu + sigma * ndtri(u))``.
Uniforms are clipped to ``[2**-53, 1 - 2**-53]`` before inversion, so a normal
quantile lies within ``EXTREME_Z`` = 8.21 standard deviations of the mean. A law
whose draws there, or the numbers its inverse computes on the way, would exceed
the largest float is refused at validation: a log-normal needs
``mu + 8.21 sigma <= log(1.8e308) = 709.78``, a normal ``mean +- 8.21 sd`` finite,
a uniform or triangular a finite width (and, for the triangular, finite products
of the width and each side). A draw is then never infinite: it can be as large as
a constant may be, and no larger.
The beta law has no closed-form inverse except when ``alpha = 1`` or ``beta = 1``;
otherwise it is guessed from a per-law cubic table and refined by one Halley
step on the regularized incomplete beta function (see :func:`_beta_quantile`).
"""

from __future__ import annotations

import functools
import math
import sys
from typing import Annotated, Any, Literal, NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)
from scipy import special, stats
from scipy.interpolate import CubicHermiteSpline

FloatArray = NDArray[np.float64]

#: Uniforms are clipped to [_TINY, 1 - _TINY] before inversion (:func:`sample`): a
#: generator may return exactly 0.0, where unbounded laws have no finite quantile.
_TINY = 2.0**-53
#: The largest standard normal quantile the engine can draw, ``ndtri(1 - 2**-53)`` (8.21):
#: normal and log-normal draws lie within this many standard deviations of the mean.
EXTREME_Z = float(special.ndtri(1.0 - _TINY))
#: ``log`` of the largest float: ``exp`` of anything above it is infinite.
LOG_LARGEST = math.log(sys.float_info.max)


@functools.lru_cache(maxsize=4096)
def scipy_law(name: str, **parameters: float) -> Any:
    """The frozen scipy distribution ``name`` with ``parameters``, made once per value.

    Freezing a scipy distribution builds its docstring (about 0.7 ms, measured:
    a third of the time of a 100-run ensemble of a generated ICB scenario); the
    frozen laws are only read (cdf, ppf, mean, support), never drawn from, so
    one object per value can be shared.
    """
    return getattr(stats, name)(**parameters)


class _Distribution(BaseModel):
    """Common behaviour of the named distributions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def frozen(self) -> Any:
        """Return the matching frozen ``scipy.stats`` distribution."""
        raise NotImplementedError

    def ppf(self, uniforms: FloatArray) -> FloatArray:
        """Map uniforms in (0, 1) to draws (inverse cumulative distribution)."""
        uniforms = np.asarray(uniforms, dtype=np.float64)
        # the inverses work in place on their own results, which needs arrays
        return self._inverse(np.atleast_1d(uniforms)).reshape(uniforms.shape)

    def _inverse(self, uniforms: FloatArray) -> FloatArray:
        """The inverse CDF at an array of uniforms; scipy's unless a law has a closed form."""
        return np.asarray(self.frozen().ppf(uniforms), dtype=np.float64)

    def cdf(self, values: FloatArray | float) -> FloatArray:
        """Cumulative distribution function at ``values``."""
        return np.asarray(self.frozen().cdf(values), dtype=np.float64)

    def mean(self) -> float:
        """Expected value."""
        return float(self.frozen().mean())

    def support(self) -> tuple[float, float]:
        """Smallest and largest possible value (may be infinite)."""
        low, high = self.frozen().support()
        return float(low), float(high)


def _finite(values: list[float], what: str) -> None:
    for value in values:
        if not math.isfinite(value):
            raise ValueError(f"{what} parameters must be finite numbers, got {value}")


def _no_overflow(law: str, parameters: tuple[float, ...], *intermediates: float) -> None:
    """Refuse a law whose draws, or the numbers its inverse computes, exceed the largest float.

    Each of ``intermediates`` is a number the inverse computes at the extreme
    uniforms the engine draws (``2**-53`` and ``1 - 2**-53``); an infinite one
    would make draws infinite (or silently all equal), so that the run ends in
    nonsense instead of an error (``lognormal: [700, 50]`` drew infinity and
    every run ended in military collapse).
    """
    if not all(math.isfinite(value) for value in intermediates):
        raise ValueError(f"{law} {list(parameters)} can draw numbers beyond the largest float"
                         f" ({sys.float_info.max:.4g}) at the quantiles the engine draws"
                         f" (2**-53 to 1 - 2**-53)")


class Uniform(_Distribution):
    """Uniform on [low, high]."""

    uniform: tuple[float, float]

    @model_validator(mode="after")
    def _check(self) -> Uniform:
        low, high = self.uniform
        _finite([low, high], "uniform")
        if not low < high:
            raise ValueError(
                f"uniform needs low < high, got [{low}, {high}] (write a constant as a number)"
            )
        _no_overflow("uniform", self.uniform, high - low)
        return self

    def frozen(self) -> Any:  # noqa: D102
        low, high = self.uniform
        return scipy_law("uniform", loc=low, scale=high - low)

    def _inverse(self, uniforms: FloatArray) -> FloatArray:
        return _in_one_pass(_uniform_inverse, uniforms, *self.uniform)


class Triangular(_Distribution):
    """Triangular with lower limit, mode and upper limit."""

    triangular: tuple[float, float, float]

    @model_validator(mode="after")
    def _check(self) -> Triangular:
        low, mode, high = self.triangular
        _finite([low, mode, high], "triangular")
        if not low <= mode <= high or low == high:
            raise ValueError(
                f"triangular needs low <= mode <= high with low < high, got {list(self.triangular)}"
            )
        width = high - low  # the inverse's square roots take width times a side's length
        _no_overflow("triangular", self.triangular, width, width * (mode - low),
                     width * (high - mode))
        return self

    def frozen(self) -> Any:  # noqa: D102
        low, mode, high = self.triangular
        return scipy_law("triang", c=(mode - low) / (high - low), loc=low, scale=high - low)

    def _inverse(self, uniforms: FloatArray) -> FloatArray:
        return _in_one_pass(_triangular_inverse, uniforms, *self.triangular)


def _in_one_pass(inverse: Any, uniforms: FloatArray, *parameters: float) -> FloatArray:
    """A compiled inverse below, unclipped, at uniforms of any shape.

    ``inverse(flat, *parameters, tiny, draws)`` writes the draws of ``flat`` into ``draws``.
    """
    flat = np.ascontiguousarray(uniforms, dtype=np.float64).ravel()
    draws = np.empty_like(flat)
    inverse(flat, *parameters, 0.0, draws)
    return draws.reshape(uniforms.shape)


@njit(cache=True, nogil=True, error_model="numpy")
def _clipped(u, tiny):  # pragma: no cover
    """``np.clip(u, tiny, 1 - tiny)`` for one uniform; ``u`` itself when ``tiny`` is 0."""
    if tiny > 0.0:
        if u < tiny:
            u = tiny
        if u > 1.0 - tiny:
            u = 1.0 - tiny
    return u


@njit(cache=True, nogil=True, error_model="numpy")
def _uniform_inverse(uniforms, low, high, tiny, draws):  # pragma: no cover
    """``draws[i]`` = low + (high - low) u, u clipped to [tiny, 1 - tiny] (0: not clipped)."""
    for i in range(uniforms.shape[0]):
        draws[i] = _clipped(uniforms[i], tiny) * (high - low) + low


@njit(cache=True, nogil=True, error_model="numpy")
def _triangular_inverse(uniforms, low, mode, high, tiny, draws):  # pragma: no cover
    """Triangular quantiles into ``draws``, one pass (measured: 6x the NumPy form).

    Each branch is a chain of correctly rounded monotone operations held to its
    side of the mode, so the inverse is monotone to the last bit; the
    operations are those of the NumPy form this replaced, in the same order.
    Uniforms are clipped to [tiny, 1 - tiny] first (0: not clipped).
    """
    width = high - low
    cut = (mode - low) / width
    for i in range(uniforms.shape[0]):
        u = _clipped(uniforms[i], tiny)
        if u < cut:
            draws[i] = min(math.sqrt(u * width * (mode - low)) + low, mode)
        else:
            draws[i] = max(high - math.sqrt((1.0 - u) * width * (high - mode)), mode)


class Beta(_Distribution):
    """Beta(alpha, beta) on [0, 1]."""

    beta: tuple[float, float]

    @model_validator(mode="after")
    def _check(self) -> Beta:
        _finite(list(self.beta), "beta")
        if min(self.beta) <= 0:
            raise ValueError(f"beta needs alpha > 0 and beta > 0, got {list(self.beta)}")
        return self

    def frozen(self) -> Any:  # noqa: D102
        return scipy_law("beta", a=self.beta[0], b=self.beta[1])

    def _inverse(self, uniforms: FloatArray) -> FloatArray:
        alpha, beta = self.beta
        with np.errstate(divide="ignore"):
            if alpha == 1.0:  # F(x) = 1 - (1 - x)^beta
                return -np.expm1(np.log1p(-uniforms) / beta)
            if beta == 1.0:  # F(x) = x^alpha
                return np.power(uniforms, 1.0 / alpha)
        return _beta_quantile(alpha, beta, uniforms)


class Normal(_Distribution):
    """Normal with mean and standard deviation."""

    normal: tuple[float, float]

    @model_validator(mode="after")
    def _check(self) -> Normal:
        _finite(list(self.normal), "normal")
        mean, sd = self.normal
        if sd <= 0:
            raise ValueError(f"normal needs a standard deviation > 0, got {sd}")
        _no_overflow("normal", self.normal, mean - EXTREME_Z * sd, mean + EXTREME_Z * sd)
        return self

    def frozen(self) -> Any:  # noqa: D102
        mean, sd = self.normal
        return scipy_law("norm", loc=mean, scale=sd)

    def _inverse(self, uniforms: FloatArray) -> FloatArray:
        mean, sd = self.normal
        draws = special.ndtri(uniforms)
        draws *= sd
        draws += mean
        return draws


class LogNormal(_Distribution):
    """Log-normal: log(x) is normal with the given mean and standard deviation."""

    lognormal: tuple[float, float]

    @model_validator(mode="after")
    def _check(self) -> LogNormal:
        _finite(list(self.lognormal), "lognormal")
        mu, sigma = self.lognormal
        if sigma <= 0:
            raise ValueError(f"lognormal needs a standard deviation > 0, got {sigma}")
        largest_log = mu + EXTREME_Z * sigma
        if not largest_log <= LOG_LARGEST:
            raise ValueError(
                f"lognormal {list(self.lognormal)} draws infinity: its largest draw,"
                f" exp(mu + {EXTREME_Z:.2f} sigma) = exp({largest_log:.6g}), is beyond the"
                f" largest float; needs mu + {EXTREME_Z:.2f} sigma <= {LOG_LARGEST:.2f}")
        return self

    def frozen(self) -> Any:  # noqa: D102
        mu, sigma = self.lognormal
        return scipy_law("lognorm", s=sigma, scale=math.exp(mu))

    def _inverse(self, uniforms: FloatArray) -> FloatArray:
        mu, sigma = self.lognormal
        draws = special.ndtri(uniforms)
        draws *= sigma
        draws += mu
        return np.exp(draws, out=draws)


class _QuantileGuide(NamedTuple):
    """A piecewise cubic in ``logit(u)`` on equal intervals: a guess of ``logit(x)``."""

    start: float
    spacing: float
    coefficients: FloatArray  # (4, intervals): powers 3, 2, 1, 0 of (logit(u) - node)

    def __call__(self, logit_u: FloatArray) -> FloatArray:
        """Evaluate the cubic of the interval holding each ``logit_u``."""
        last = self.coefficients.shape[1] - 1
        interval = np.clip((logit_u - self.start) * (1.0 / self.spacing), 0, last).astype(np.intp)
        offset = logit_u - (self.start + interval * self.spacing)
        cubic, square, linear, constant = (row.take(interval, mode="clip")
                                           for row in self.coefficients)
        return ((cubic * offset + square) * offset + linear) * offset + constant


#: The beta guide's nodes: logit(u) on [-38, 38] covers every clipped uniform
#: (logit(2**-53) = -36.7), in steps of 76 / 4096.
_GUIDE_EDGE = 38.0
_GUIDE_NODES = 4097
#: Below this median the upper half's draws, 1 - (1 - x), would lose digits: use scipy.
_GUIDE_SMALLEST_MEDIAN = 1e-3
#: A Halley step no larger than this (relative) leaves an error of order its cube.
_HALLEY_ACCEPTS = 1e-7


@functools.lru_cache(maxsize=128)
def _beta_guide(alpha: float, beta: float) -> _QuantileGuide | None:
    """Cubic Hermite table of ``logit(x)`` against ``logit(u)`` for Beta(alpha, beta).

    In these coordinates the quantile function is smooth and tends to straight
    lines in both tails (``x ~ (u alpha B(alpha, beta))^(1 / alpha)`` as u -> 0),
    so a cubic through exact quantiles and slopes at 4097 nodes guesses x to
    about 1e-10 relative. Returns None when the law is too extreme for the
    table (a quantile under- or overflows, or the median is below
    ``_GUIDE_SMALLEST_MEDIAN``); those laws are inverted by scipy.
    """
    logit_u = np.linspace(-_GUIDE_EDGE, _GUIDE_EDGE, _GUIDE_NODES)
    upper = logit_u > 0.0
    # below the median solve for x; above it for 1 - x, a quantile of the mirrored law
    first, second = np.where(upper, beta, alpha), np.where(upper, alpha, beta)
    with np.errstate(all="ignore"):
        near = special.betaincinv(first, second, special.expit(np.where(upper, -logit_u, logit_u)))
        log_near, log_far = np.log(near), np.log1p(-near)
        logit_x = np.where(upper, log_far - log_near, log_near - log_far)
        log_density = ((first - 1.0) * log_near + (second - 1.0) * log_far
                       - special.betaln(alpha, beta))
        # d logit(x) / d logit(u) = u (1 - u) / (density(x) x (1 - x))
        log_u_complement = -np.logaddexp(0.0, logit_u) - np.logaddexp(0.0, -logit_u)
        slope = np.exp(log_u_complement - log_density - log_near - log_far)
    median = near[_GUIDE_NODES // 2]
    if (not np.isfinite(logit_x).all() or not np.isfinite(slope).all()
            or median < _GUIDE_SMALLEST_MEDIAN):
        return None
    cubic = CubicHermiteSpline(logit_u, logit_x, slope)
    return _QuantileGuide(float(logit_u[0]), float(logit_u[1] - logit_u[0]),
                          np.ascontiguousarray(cubic.c))


#: Integer shapes up to this use the binomial sum for ``I``: at most this many terms.
_BINOMIAL_LARGEST_SHAPE = 100


def _beta_quantile(alpha: float, beta: float, uniforms: FloatArray) -> FloatArray:
    """Beta(alpha, beta) quantiles: a guess from :func:`_beta_guide` and one Halley step.

    The step solves ``I(x; alpha, beta) = u`` (``I`` the regularized incomplete
    beta function) for u < 1/2 and the mirrored ``I(1 - x; beta, alpha) = 1 - u``
    for u >= 1/2, so both tails keep their relative precision. From a guess
    good to ~1e-10, Halley's cubic convergence leaves an error at rounding
    level; any draw whose step exceeds ``_HALLEY_ACCEPTS`` relative, or leaves
    (0, 1), is inverted by ``scipy.special.betaincinv`` instead. Results agree
    with ``betaincinv`` to 1e-13 relative (shapes from 0.05 to 500, uniforms
    down to 2**-53). For whole-number shapes up to ``_BINOMIAL_LARGEST_SHAPE``
    the step runs compiled, with ``I`` as a finite binomial sum
    (:func:`_beta_halley_binomial`); other shapes use ``scipy.special.betainc``
    on whole arrays (:func:`_beta_halley_scipy`).
    """
    guide = _beta_guide(alpha, beta)
    if guide is None:
        return np.asarray(special.betaincinv(alpha, beta, uniforms), dtype=np.float64)
    draws: FloatArray
    settled: NDArray[np.bool_]
    if _binomial_shapes(alpha, beta):
        flat = np.ascontiguousarray(uniforms, dtype=np.float64).ravel()
        draws = np.empty_like(flat)
        settled = np.empty(flat.shape, dtype=np.bool_)
        _beta_halley_binomial(flat, alpha, beta, *_binomial_tables(alpha, beta), guide.start,
                              guide.spacing, guide.coefficients, _HALLEY_ACCEPTS, draws,
                              settled)
        draws, settled = draws.reshape(uniforms.shape), settled.reshape(uniforms.shape)
    else:
        draws, settled = _beta_halley_scipy(alpha, beta, guide, uniforms)
    if not settled.all():
        unsettled = ~settled
        draws[unsettled] = special.betaincinv(alpha, beta, uniforms[unsettled])
    return draws


def _binomial_shapes(alpha: float, beta: float) -> bool:
    """True when both shapes are whole numbers up to ``_BINOMIAL_LARGEST_SHAPE``."""
    return all(shape == int(shape) and 1 <= shape <= _BINOMIAL_LARGEST_SHAPE
               for shape in (alpha, beta))


@functools.lru_cache(maxsize=128)
def _binomial_tables(alpha: float, beta: float) -> tuple[FloatArray, FloatArray]:
    """For x below and above the median: ``C(n, first)`` and the term ratios ``(n - j) / (j + 1)``.

    ``I(x; a, b) = P(Binomial(a + b - 1, x) >= a)`` for whole a, b (Abramowitz
    and Stegun 26.5.24): the sum of the b terms ``C(n, j) x^j (1 - x)^(n - j)``,
    j = a .. n, n = a + b - 1, each the one before times ``(n - j) / (j + 1)``
    times ``x / (1 - x)``. Row 0 is for ``(first, second) = (alpha, beta)``
    (u < 1/2), row 1 for the mirrored law; ratios are padded with zeros.
    """
    a, b = int(alpha), int(beta)
    n = a + b - 1
    leading = np.array([float(math.comb(n, a)), float(math.comb(n, b))])
    ratios = np.zeros((2, max(a, b)))
    for row, first in enumerate((a, b)):
        for k, j in enumerate(range(first, n)):
            ratios[row, k] = (n - j) / (j + 1)
    return leading, ratios


@njit(cache=True, nogil=True, error_model="numpy")
def _beta_halley_binomial(uniforms, alpha, beta, leading, ratios, start, spacing, coefficients,
                          accepts, draws, settled):  # pragma: no cover
    """:func:`_beta_quantile`'s guess and Halley step in one pass, for whole-number shapes.

    ``I`` is the binomial sum of :func:`_binomial_tables`; its first term t
    gives the density too, ``first * t / x`` (since ``1 / B(a, b) = a C(n, a)``
    for whole a, b), and the step is Halley's, ``x - r / (f (1 - r f' / (2 f^2)))``
    with r = I - u and ``f' / f = (a - 1) / x - (b - 1) / (1 - x)``.
    """
    last = coefficients.shape[1] - 1
    for i in range(uniforms.shape[0]):
        u = uniforms[i]
        below = u < 0.5
        row = 0 if below else 1
        first = alpha if below else beta
        second = beta if below else alpha
        target = u if below else 1.0 - u
        logit_u = math.log(u / (1.0 - u))  # a guess needs no more than ~1e-10
        position = (logit_u - start) * (1.0 / spacing)
        interval = 0  # (also for -inf and NaN, as NumPy's clip and take)
        if position >= last:
            interval = last
        elif position > 0.0:
            interval = int(position)
        offset = logit_u - (start + interval * spacing)
        guess = ((coefficients[0, interval] * offset + coefficients[1, interval]) * offset
                 + coefficients[2, interval]) * offset + coefficients[3, interval]  # logit(x)
        near = 1.0 / (math.exp(guess if not below else -guess) + 1.0)  # x, or 1 - x above
        far = 1.0 - near
        term = leading[row] * _whole_power(near, int(first)) * _whole_power(far, int(second) - 1)
        density = first * term / near
        total = term
        odds = near / far
        for k in range(int(second) - 1):
            term *= ratios[row, k] * odds
            total += term
        newton = (total - target) / density
        curvature = 1.0 - 0.5 * newton * ((first - 1.0) / near - (second - 1.0) / far)
        step = newton / curvature
        near -= step
        settled[i] = abs(step) <= accepts * near and 0.0 < near < 1.0
        draws[i] = near if below else 1.0 - near


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _whole_power(x, exponent):  # pragma: no cover
    """``x ** exponent`` for a whole ``exponent`` >= 0, by repeated squaring (a few ulp)."""
    result = 1.0
    while exponent > 0:
        if exponent & 1:
            result *= x
        x *= x
        exponent >>= 1
    return result


def _beta_halley_scipy(alpha: float, beta: float, guide: _QuantileGuide,
                       uniforms: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """:func:`_beta_quantile`'s guess and Halley step on whole arrays, ``I`` from scipy."""
    # 1 where the draw solves for x, 0 where for 1 - x; arithmetic on these 0s and 1s
    # selects exactly, and costs less than np.where
    below = (uniforms < 0.5).astype(np.float64)
    above = 1.0 - below
    sign = below - above
    first = alpha * below + beta * above  # the parameters of the law solved for
    second = beta * below + alpha * above
    with np.errstate(all="ignore"):
        logit_u = np.log(uniforms)
        logit_u -= np.log1p(-uniforms)
        near = guide(logit_u)  # logit(x)
        near *= -sign
        np.exp(near, out=near)
        near += 1.0
        np.reciprocal(near, out=near)  # x below the median's share, 1 - x above it
        residual = special.betainc(first, second, near)
        residual -= above + sign * uniforms  # u below, 1 - u above
        log_near, log_far = np.log(near), np.log1p(-near)
        first -= 1.0
        second -= 1.0
        exponent = first * log_near
        exponent += second * log_far
        exponent -= special.betaln(alpha, beta)
        newton = residual / np.exp(exponent, out=exponent)
        curvature = first / near  # density' / density
        curvature -= second / (1.0 - near)
        curvature *= -0.5 * newton
        curvature += 1.0
        step = np.divide(newton, curvature, out=newton)
        near -= step
        settled = (np.abs(step) <= _HALLEY_ACCEPTS * near) & (near > 0.0) & (near < 1.0)
        draws = above + sign * near  # x
    return draws, settled


Distribution = Uniform | Triangular | Beta | Normal | LogNormal

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]

#: A scenario number: a finite constant or a distribution sampled per run.
def _number_tag(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return next(iter(value)) if len(value) == 1 else None
    if isinstance(value, _Distribution):
        return next(iter(type(value).model_fields))
    return None


Number = Annotated[
    Annotated[FiniteFloat, Tag("number")]
    | Annotated[Uniform, Tag("uniform")]
    | Annotated[Triangular, Tag("triangular")]
    | Annotated[Beta, Tag("beta")]
    | Annotated[Normal, Tag("normal")]
    | Annotated[LogNormal, Tag("lognormal")],
    Discriminator(
        _number_tag,
        custom_error_type="number",
        custom_error_message="not a number or a distribution",
    ),
]
#: What a scenario number may be, for error messages.
NUMBER_EXPECTED = (
    "a number, or one of {uniform: [low, high]}, {triangular: [low, mode, high]},"
    " {beta: [a, b]}, {normal: [mean, sd]}, {lognormal: [mu, sigma]}"
)


def _bounded(low: float, high: float, what: str) -> AfterValidator:
    """A check that every possible value of a number lies in [low, high]."""

    def check(value: float | Distribution) -> float | Distribution:
        smallest, largest = support_of(value)
        if smallest < low or largest > high:
            span = (f"{smallest:g}" if smallest == largest
                    else f"values in [{smallest:g}, {largest:g}]")
            raise ValueError(f"{what} must lie in [{low:g}, {high:g}], got {span}")
        return value

    return AfterValidator(check)


#: A scenario number that is a probability or a share: every value in [0, 1].
Share = Annotated[Number, _bounded(0.0, 1.0, "a probability or share")]
#: A scenario number that cannot be negative (strengths, costs, delays).
NonNegative = Annotated[Number, _bounded(0.0, math.inf, "a non-negative quantity")]


def is_distribution(value: object) -> bool:
    """Whether a scenario number is uncertain (a distribution, not a constant)."""
    return isinstance(value, _Distribution)


def mean_of(value: float | Distribution) -> float:
    """Expected value of a scenario number."""
    return value.mean() if isinstance(value, _Distribution) else float(value)


def support_of(value: float | Distribution) -> tuple[float, float]:
    """Smallest and largest possible value of a scenario number."""
    if isinstance(value, _Distribution):
        return value.support()
    return float(value), float(value)


def sample(value: float | Distribution, uniforms: FloatArray) -> FloatArray:
    """Draw one value per uniform: a constant is broadcast, a distribution inverted."""
    uniforms = np.asarray(uniforms, dtype=np.float64)
    if isinstance(value, _Distribution):
        # a generator may return exactly 0.0, where unbounded laws have no finite quantile
        return value.ppf(np.clip(uniforms, _TINY, 1.0 - _TINY))
    return np.full(uniforms.shape, float(value))


def sample_into(value: Distribution, uniforms: FloatArray, out: FloatArray) -> None:
    """``out[:] = sample(value, uniforms)`` for one row of uniforms (1-D, float64).

    The uniform and triangular laws (most of a scenario's) are clipped and
    inverted in one compiled pass, with the same operations in the same order,
    so the draws are the same to the last bit (measured: the clip, the
    temporaries and the copy were a tenth of drawing a chunk's parameters).
    """
    if isinstance(value, Uniform):
        _uniform_inverse(uniforms, *value.uniform, _TINY, out)
    elif isinstance(value, Triangular):
        _triangular_inverse(uniforms, *value.triangular, _TINY, out)
    else:
        out[:] = sample(value, uniforms)


def describe(value: float | Distribution) -> str:
    """Short human-readable text for a scenario number."""
    if isinstance(value, _Distribution):
        (name, params), = value.model_dump().items()
        return f"{name}({', '.join(f'{p:g}' for p in params)})"
    return f"{float(value):g}"


DISTRIBUTION_NAMES: tuple[Literal["uniform", "triangular", "beta", "normal", "lognormal"], ...] = (
    "uniform",
    "triangular",
    "beta",
    "normal",
    "lognormal",
)
