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
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
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
from scipy import stats

FloatArray = NDArray[np.float64]


class _Distribution(BaseModel):
    """Common behaviour of the named distributions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def frozen(self) -> Any:
        """Return the matching frozen ``scipy.stats`` distribution."""
        raise NotImplementedError

    def ppf(self, uniforms: FloatArray) -> FloatArray:
        """Map uniforms in (0, 1) to draws (inverse cumulative distribution)."""
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
        return self

    def frozen(self) -> Any:  # noqa: D102
        low, high = self.uniform
        return stats.uniform(loc=low, scale=high - low)

    def ppf(self, uniforms: FloatArray) -> FloatArray:  # noqa: D102
        low, high = self.uniform
        return low + (high - low) * np.asarray(uniforms, dtype=np.float64)


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
        return self

    def frozen(self) -> Any:  # noqa: D102
        low, mode, high = self.triangular
        return stats.triang(c=(mode - low) / (high - low), loc=low, scale=high - low)


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
        return stats.beta(*self.beta)


class Normal(_Distribution):
    """Normal with mean and standard deviation."""

    normal: tuple[float, float]

    @model_validator(mode="after")
    def _check(self) -> Normal:
        _finite(list(self.normal), "normal")
        if self.normal[1] <= 0:
            raise ValueError(f"normal needs a standard deviation > 0, got {self.normal[1]}")
        return self

    def frozen(self) -> Any:  # noqa: D102
        mean, sd = self.normal
        return stats.norm(loc=mean, scale=sd)


class LogNormal(_Distribution):
    """Log-normal: log(x) is normal with the given mean and standard deviation."""

    lognormal: tuple[float, float]

    @model_validator(mode="after")
    def _check(self) -> LogNormal:
        _finite(list(self.lognormal), "lognormal")
        if self.lognormal[1] <= 0:
            raise ValueError(f"lognormal needs a standard deviation > 0, got {self.lognormal[1]}")
        return self

    def frozen(self) -> Any:  # noqa: D102
        mu, sigma = self.lognormal
        return stats.lognorm(s=sigma, scale=math.exp(mu))


Distribution = Uniform | Triangular | Beta | Normal | LogNormal

_TINY = 2.0**-53
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
