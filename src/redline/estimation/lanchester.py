r"""Lanchester attrition reproduced and estimated: Iwo Jima (Engel 1954) and the Ardennes (1944).

Two uses of the front mechanism's law (:func:`redline.mechanisms.fronts.lanchester_step`)::

    dA/dt = -a_B B^p A^q + R_A(t)        dB/dt = -a_A A^p B^q + R_B(t)

**Iwo Jima** [Engel1954]_. The square law (p = 1, q = 0) with US reinforcement and
no Japanese reinforcement::

    dU/dt = P(t) - a J        dJ/dt = -b U,    U(0) = 0,  J(0) = 21,500,

with a = 0.0544 US casualties per Japanese soldier-day and b = 0.0106 Japanese
casualties per US soldier-day. Engel estimated both from the battle's totals
(b from the requirement that the Japanese garrison was wholly out of action by
day 36, given the actual US strengths; a from total US casualties over the
integral of the implied Japanese strength) and then computed the theoretical US
curve, which he set against the actual daily US strength. ``P(t)`` is his
landing schedule, a *rate* spread over a day: 54,000 troops during day 0-1,
6,000 during day 2-3 and 13,000 during day 5-6, nothing afterwards (73,000 in
all).

Integration. :func:`iwo_jima` integrates the continuous system with redline's
own explicit Euler step (landings of ``P(t) dt`` join before each step), so the
check exercises the mechanism the engine uses. With ``dt = 1`` day all of the
day's landing joins before that day's fire (the daily difference equations a
hand computation would tabulate); the run is then about a day ahead of the
continuous one, the Japanese are annihilated on day 36 (234 left at the end of
day 35) and the US ends at 52,284. As ``dt -> 0`` the trajectory converges to
the continuous solution (scipy's ``solve_ivp``: US 51,985 and Japanese 217 at
day 36), which is the system Engel wrote down and the one whose day-36 end
state (about 52,000 US and about 200 Japanese) the verification compares with.
The default ``dt = 0.01`` day gives 51,988 and 211; ``dt = 0.001``, used by the
checks, 51,986 and 216. After the last landing (day 6) ``b U^2 - a J^2`` is
invariant (:func:`redline.mechanisms.fronts.square_law_invariant`), which the
tests check.

**Ardennes, 1944** [Bracken1995]_ [Fricker1998]_ [Wiper2000]_ [LucasTurkes2004]_.
Daily Allied and German strengths and casualties for campaign days 2-33 (the
German offensive opened on 16 December 1944) from the Ardennes Campaign
Simulation Data Base, as tabulated for [Wiper2000]_ (see
``redline/data/PROVENANCE.md``). Each side's daily casualties are fitted to
the generalised law by least squares on logs::

    log C_A,t = log a_A + p log G_t + q log A_t [+ d_A I_t] + e_A,t
    log C_G,t = log a_G + p log A_t + q log G_t [+ d_G I_t] + e_G,t

where I_t = 1 on the days of the German offensive (days 2-6 by default, the
coding of the public reimplementation of [Wiper2000]_) and 0 afterwards: the
combat-posture term of [Bracken1995]_. :func:`fit_ardennes` fits each side
separately (its own p and q), the two sides pooled with common exponents (the
form of [Wiper2000]_), the ratio of the two sides' losses (whose slope is
``p - q``: 1 for the square law, 0 for the linear, -1 for the logarithmic), a
nonlinear least-squares fit of the pooled model on casualties themselves, and a
residual-bootstrap interval for the pooled exponents.

What the Ardennes data can and cannot say. Over the 32 days both forces fall
steadily (Allied by 8 %, German by 17 %) and their logs are correlated at 0.996,
while daily casualties vary by a factor of four for reasons the forces do not
capture (weather, posture, the offensive's culmination). The exponents are not
separately identified: the per-side estimates have standard errors of 8 to 29
and take implausible values (q = 16.8 for the Allies without the posture term);
the difference ``p - q`` is 0.34 with 95 % interval [-3.65, 4.33] (square,
linear and logarithmic laws all inside) and moves to -5.6 [-9.3, -1.9] when the
posture term is added. What the data do reject is a constant-coefficient law
of any classical form: the pooled fit puts ``p + q`` near 5 (the joint F test
of p = 1, q = 0 gives p-values near 1e-4 with or without posture), because
daily casualties fell by about 40 % while the forces fell by 8-17 %. That is a
trend in the attrition coefficients (the offensive's culmination) being
attributed to force size, not evidence for p + q = 5. The published fits of
this data base likewise report that the fitted exponents move with the days,
the force series and the posture coding used ([Fricker1998]_;
[LucasTurkes2004]_). These estimates are reported, not adopted: the front
mechanism keeps the square law (p = 1, q = 0) as its default.

The published coefficients of those papers are fits to other series of the
data base (combat manpower and weapons rather than total personnel) and other
day ranges, so :mod:`redline.verify.lanchester_checks` does not set them
against these fits; it checks what our estimator must get right on this series
(the normal-theory interval agrees with the bootstrap; least squares on logs
agrees with least squares on casualties) and reports where the square law
falls in our intervals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from redline.mechanisms.fronts import lanchester_step, square_law_invariant

FloatArray = NDArray[np.float64]

SOURCE = "Engel1954; Bracken1995; Fricker1998; Wiper2000; LucasTurkes2004"

#: US casualties per Japanese soldier-day, a [Engel1954]_.
IWO_JIMA_US_LOSS_RATE = 0.0544
#: Japanese casualties per US soldier-day, b [Engel1954]_.
IWO_JIMA_JAPANESE_LOSS_RATE = 0.0106
#: Japanese garrison at the landing [Engel1954]_.
IWO_JIMA_JAPANESE_INITIAL = 21_500.0
#: US landings: (first day, troops landed evenly over that day) [Engel1954]_.
IWO_JIMA_LANDINGS: tuple[tuple[float, float], ...] = ((0.0, 54_000.0), (2.0, 6_000.0),
                                                      (5.0, 13_000.0))

ARDENNES_FILE = "ardennes-1944-daily.txt"
#: Last day of the German offensive in the posture coding (days 2-6).
ARDENNES_GERMAN_ATTACK_LAST_DAY = 6


# --------------------------------------------------------------------------- Iwo Jima


@dataclass(frozen=True)
class IwoJimaTrajectory:
    """US and Japanese strength at the end of each day of the Iwo Jima battle.

    Attributes
    ----------
    day : days 0, 1, ..., ``days`` (``day[k]`` is the end of day k).
    us : US troops ashore and in action.
    japanese : Japanese troops in action.
    dt : the integration step, in days.
    """

    day: FloatArray
    us: FloatArray
    japanese: FloatArray
    dt: float

    def at(self, day: int) -> tuple[float, float]:
        """(US, Japanese) strength at the end of ``day``."""
        return float(self.us[day]), float(self.japanese[day])

    def checkpoints(self, days: Sequence[int] = (10, 20, 36)) -> dict[str, list[float]]:
        """``{"day 10": [US, Japanese], ...}``, rounded to whole soldiers."""
        return {f"day {d}": [round(self.us[d]), round(self.japanese[d])] for d in days}


def landing_rate(t: float, landings: Sequence[tuple[float, float]] = IWO_JIMA_LANDINGS
                 ) -> float:
    """P(t): troops landing per day at time ``t`` (each landing spread over one day).

    >>> landing_rate(0.5), landing_rate(1.5), landing_rate(5.0)
    (54000.0, 0.0, 13000.0)
    """
    return float(sum(troops for start, troops in landings if start <= t < start + 1.0))


def iwo_jima(days: int = 36, dt: float = 0.01, *,
             us_loss_rate: float = IWO_JIMA_US_LOSS_RATE,
             japanese_loss_rate: float = IWO_JIMA_JAPANESE_LOSS_RATE,
             japanese_initial: float = IWO_JIMA_JAPANESE_INITIAL,
             landings: Sequence[tuple[float, float]] = IWO_JIMA_LANDINGS,
             ) -> IwoJimaTrajectory:
    """Engel's Iwo Jima model integrated with the front mechanism's Lanchester step.

    Each step of length ``dt`` first lands ``P(t) dt`` US troops, then applies
    :func:`redline.mechanisms.fronts.lanchester_step` with the square law
    (p = 1, q = 0): the US is the attacking side, losing ``a J dt``; the
    Japanese lose ``b U dt`` [Engel1954]_.

    Parameters
    ----------
    days : length of the battle in days (36 in [Engel1954]_).
    dt : integration step in days; ``1 / dt`` must be a whole number. ``dt = 1``
        is the daily difference scheme; small ``dt`` approaches the continuous
        solution (see the module docstring).
    us_loss_rate, japanese_loss_rate : a and b.
    japanese_initial : J(0).
    landings : (first day, troops) of each landing, spread evenly over that day.

    Returns
    -------
    IwoJimaTrajectory
        Strengths at the end of each day 0..``days``.

    Examples
    --------
    >>> trajectory = iwo_jima()
    >>> us, japanese = trajectory.at(36)
    >>> round(us, -2), round(japanese, -1)
    (52000.0, 210.0)
    """
    steps_per_day = round(1.0 / dt)
    if steps_per_day < 1 or not math.isclose(steps_per_day * dt, 1.0, rel_tol=1e-9):
        raise ValueError(f"1 / dt must be a whole number of steps per day, got dt={dt}")
    step = 1.0 / steps_per_day
    us = np.zeros(days + 1)
    japanese = np.zeros(days + 1)
    japanese[0] = japanese_initial
    u: FloatArray = np.asarray(0.0, dtype=np.float64)
    j: FloatArray = np.asarray(japanese_initial, dtype=np.float64)
    # lanchester_step(attacker=US, defender=Japanese): the US loses a_defender J dt
    a_us = np.asarray(japanese_loss_rate, dtype=np.float64)  # what the US inflicts
    a_japanese = np.asarray(us_loss_rate, dtype=np.float64)  # what the Japanese inflict
    # the first landing arrives during day 0-1, so the state "at the end of day 0" is the start
    for k in range(days * steps_per_day):
        u = u + landing_rate(k * step, landings) * step
        u, j = lanchester_step(u, j, a_us, a_japanese, 1.0, 0.0, step)
        if (k + 1) % steps_per_day == 0:
            day = (k + 1) // steps_per_day
            us[day], japanese[day] = float(u), float(j)
    return IwoJimaTrajectory(day=np.arange(days + 1, dtype=np.float64), us=us,
                             japanese=japanese, dt=step)


def iwo_jima_reference(days: int = 36) -> IwoJimaTrajectory:
    """The continuous Iwo Jima solution from scipy's ``solve_ivp`` (an independent oracle).

    Integrates day by day (so the landing switches fall on step boundaries)
    with tolerances of 1e-10 relative.
    """
    from scipy.integrate import solve_ivp

    a, b = IWO_JIMA_US_LOSS_RATE, IWO_JIMA_JAPANESE_LOSS_RATE
    state = np.array([0.0, IWO_JIMA_JAPANESE_INITIAL])
    us, japanese = [state[0]], [state[1]]
    for day in range(days):
        rate = landing_rate(float(day))

        def rhs(_t: float, y: FloatArray, rate: float = rate) -> list[float]:
            return [rate - a * y[1], -b * y[0]]

        solution = solve_ivp(rhs, (day, day + 1), state, rtol=1e-10, atol=1e-8)
        state = solution.y[:, -1]
        us.append(state[0])
        japanese.append(state[1])
    return IwoJimaTrajectory(day=np.arange(days + 1, dtype=np.float64), us=np.array(us),
                             japanese=np.array(japanese), dt=0.0)


def iwo_jima_invariant(trajectory: IwoJimaTrajectory) -> FloatArray:
    """The square-law quantity b U^2 - a J^2 by day: constant from the last landing (day 6)."""
    return np.asarray(square_law_invariant(trajectory.us, trajectory.japanese,
                                           IWO_JIMA_JAPANESE_LOSS_RATE,
                                           IWO_JIMA_US_LOSS_RATE))


# --------------------------------------------------------------------------- estimates


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its standard error and 95 % interval.

    Attributes
    ----------
    value : the estimate.
    standard_error : its standard error (normal theory unless stated).
    lower, upper : the 95 % interval (t-based for least squares).
    """

    value: float
    standard_error: float
    lower: float
    upper: float

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in the 95 % interval."""
        return self.lower <= x <= self.upper


@dataclass(frozen=True)
class LeastSquares:
    """An ordinary least-squares fit: estimates by name, residual scale, sizes."""

    estimates: dict[str, Estimate]
    residual_sd: float
    n: int
    k: int
    covariance: FloatArray
    residuals: FloatArray
    fitted: FloatArray


def ordinary_least_squares(y: FloatArray, design: FloatArray, names: Sequence[str],
                           level: float = 0.95) -> LeastSquares:
    """OLS with classical standard errors and t intervals.

    >>> x = np.arange(5.0)
    >>> fit = ordinary_least_squares(1.0 + 2.0 * x, np.c_[np.ones(5), x], ["c", "slope"])
    >>> round(fit.estimates["slope"].value, 12)
    2.0
    """
    y = np.asarray(y, dtype=np.float64)
    design = np.asarray(design, dtype=np.float64)
    n, k = design.shape
    if n <= k:
        raise ValueError(f"need more observations ({n}) than parameters ({k})")
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    fitted = design @ coefficients
    residuals = y - fitted
    variance = float(residuals @ residuals) / (n - k)
    covariance = variance * np.linalg.pinv(design.T @ design)
    errors = np.sqrt(np.diag(covariance))
    quantile = float(stats.t.ppf(0.5 + level / 2.0, n - k))
    estimates = {
        name: Estimate(float(c), float(e), float(c - quantile * e), float(c + quantile * e))
        for name, c, e in zip(names, coefficients, errors, strict=True)
    }
    return LeastSquares(estimates=estimates, residual_sd=math.sqrt(variance), n=n, k=k,
                        covariance=covariance, residuals=residuals, fitted=fitted)


@dataclass(frozen=True)
class PowerLawFit:
    """One side's fitted loss equation ``log C = log a + p log(enemy) + q log(own) [+ d I]``.

    Attributes
    ----------
    side : whose losses (``"allies"`` or ``"germans"``).
    log_coefficient : log a.
    exponent_enemy : p.
    exponent_own : q.
    posture : d, the log-multiplier of losses on German-offensive days (None if not fitted).
    residual_sd : standard deviation of the log residuals.
    n : days fitted.
    """

    side: str
    log_coefficient: Estimate
    exponent_enemy: Estimate
    exponent_own: Estimate
    posture: Estimate | None
    residual_sd: float
    n: int


def fit_power_law(casualties: FloatArray, own: FloatArray, enemy: FloatArray,
                  posture: FloatArray | None = None, side: str = "") -> PowerLawFit:
    """Fit ``C = a enemy^p own^q [exp(d I)]`` to one side's losses by OLS on logs.

    The log-linear estimator of [Bracken1995]_ and [Fricker1998]_: one side, its
    own exponents. ``casualties`` must be positive.

    Examples
    --------
    >>> enemy = np.array([100.0, 80.0, 120.0, 90.0, 60.0])
    >>> own = np.array([50.0, 70.0, 40.0, 65.0, 55.0])
    >>> fit = fit_power_law(0.01 * enemy, own, enemy)
    >>> round(fit.exponent_enemy.value, 9), round(fit.exponent_own.value, 9)
    (1.0, 0.0)
    """
    casualties = np.asarray(casualties, dtype=np.float64)
    if np.any(casualties <= 0):
        raise ValueError("log-linear fit needs positive casualties")
    columns = [np.ones_like(casualties), np.log(enemy), np.log(own)]
    names = ["log_coefficient", "exponent_enemy", "exponent_own"]
    if posture is not None:
        columns.append(np.asarray(posture, dtype=np.float64))
        names.append("posture")
    fit = ordinary_least_squares(np.log(casualties), np.column_stack(columns), names)
    e = fit.estimates
    return PowerLawFit(side=side, log_coefficient=e["log_coefficient"],
                       exponent_enemy=e["exponent_enemy"], exponent_own=e["exponent_own"],
                       posture=e.get("posture"), residual_sd=fit.residual_sd, n=fit.n)


@dataclass(frozen=True)
class PooledFit:
    """Both sides' losses with common exponents p and q (the form of [Wiper2000]_).

    Attributes
    ----------
    exponent_enemy, exponent_own : p and q, OLS on logs (t intervals).
    log_coefficient_allies, log_coefficient_germans : log a_A, log a_G.
    posture_allies, posture_germans : d_A, d_G (None without the posture term).
    bootstrap_enemy, bootstrap_own : 95 % residual-bootstrap percentile intervals of p, q.
    nls_enemy, nls_own : p, q by nonlinear least squares on casualties (not logs),
        with Gauss-Newton standard errors.
    square_law_p_value : F-test p-value of the joint hypothesis p = 1, q = 0.
    residual_sd : standard deviation of the log residuals.
    n : observations (two per day).
    """

    exponent_enemy: Estimate
    exponent_own: Estimate
    log_coefficient_allies: Estimate
    log_coefficient_germans: Estimate
    posture_allies: Estimate | None
    posture_germans: Estimate | None
    bootstrap_enemy: tuple[float, float]
    bootstrap_own: tuple[float, float]
    nls_enemy: Estimate
    nls_own: Estimate
    square_law_p_value: float
    residual_sd: float
    n: int


@dataclass(frozen=True)
class ArdennesData:
    """The daily Ardennes series (days 2-33)."""

    day: FloatArray
    allies: FloatArray
    allied_casualties: FloatArray
    germans: FloatArray
    german_casualties: FloatArray

    def posture(self, german_attack_last_day: int = ARDENNES_GERMAN_ATTACK_LAST_DAY
                ) -> FloatArray:
        """I_t: 1 on the days of the German offensive, 0 afterwards."""
        return (self.day <= german_attack_last_day).astype(np.float64)


def load_ardennes() -> ArdennesData:
    """Read ``redline/data/ardennes-1944-daily.txt`` (see PROVENANCE.md)."""
    text = resources.files("redline.data").joinpath(ARDENNES_FILE).read_text(encoding="utf-8")
    rows = np.array([[float(v) for v in line.split()] for line in text.splitlines()[1:]
                     if line.strip()])
    return ArdennesData(day=rows[:, 0], allies=rows[:, 1], allied_casualties=rows[:, 2],
                        germans=rows[:, 3], german_casualties=rows[:, 4])


@dataclass(frozen=True)
class ArdennesFit:
    """Generalised Lanchester fits to the Ardennes campaign, days 2-33.

    Attributes
    ----------
    posture : whether the German-offensive indicator was included.
    allies, germans : each side's own fit (own p and q).
    pooled : both sides with common p and q.
    exponent_difference : p - q from the log ratio of the two sides' losses
        (1: square law, 0: linear, -1: logarithmic).
    force_correlation : correlation of log Allied and log German strength.
    """

    posture: bool
    allies: PowerLawFit
    germans: PowerLawFit
    pooled: PooledFit
    exponent_difference: Estimate
    force_correlation: float


def _pooled_design(data: ArdennesData, posture: FloatArray | None
                   ) -> tuple[FloatArray, FloatArray, list[str]]:
    n = data.day.size
    log_a, log_g = np.log(data.allies), np.log(data.germans)
    zeros, ones = np.zeros(n), np.ones(n)
    columns = [np.r_[ones, zeros], np.r_[zeros, ones], np.r_[log_g, log_a], np.r_[log_a, log_g]]
    names = ["log_coefficient_allies", "log_coefficient_germans", "exponent_enemy",
             "exponent_own"]
    if posture is not None:
        columns += [np.r_[posture, zeros], np.r_[zeros, posture]]
        names += ["posture_allies", "posture_germans"]
    y = np.log(np.r_[data.allied_casualties, data.german_casualties])
    return y, np.column_stack(columns), names


def _nonlinear_least_squares(y_levels: FloatArray, design: FloatArray, start: FloatArray
                             ) -> tuple[FloatArray, FloatArray]:
    """Least squares of ``C - exp(X beta)``; returns (beta, standard errors)."""
    scale = float(np.mean(y_levels))

    def residuals(beta: FloatArray) -> FloatArray:
        return (y_levels - np.exp(design @ beta)) / scale

    result = optimize.least_squares(residuals, start, method="lm", xtol=1e-12, ftol=1e-12,
                                    gtol=1e-12, max_nfev=20_000)
    jacobian = result.jac
    n, k = design.shape
    variance = float(result.fun @ result.fun) / (n - k)
    covariance = variance * np.linalg.pinv(jacobian.T @ jacobian)
    return result.x, np.sqrt(np.diag(covariance))


def _estimate(value: float, error: float, dof: int) -> Estimate:
    quantile = float(stats.t.ppf(0.975, dof))
    return Estimate(value, error, value - quantile * error, value + quantile * error)


def fit_pooled(data: ArdennesData, posture: FloatArray | None = None, *,
               bootstrap: int = 2000, rng: int | np.random.Generator | None = 0
               ) -> PooledFit:
    """Fit both sides' losses with common exponents (OLS on logs, NLS, bootstrap).

    Parameters
    ----------
    data : the daily series.
    posture : the German-offensive indicator, or None to leave the term out.
    bootstrap : residual-bootstrap replicates (0 to skip; the interval is then NaN).
    rng : seed or generator for the bootstrap.
    """
    y, design, names = _pooled_design(data, posture)
    fit = ordinary_least_squares(y, design, names)
    e = fit.estimates
    beta = np.array([e[name].value for name in names])
    # joint F test of the square law, p = 1 and q = 0
    restriction = np.zeros((2, len(names)))
    restriction[0, names.index("exponent_enemy")] = 1.0
    restriction[1, names.index("exponent_own")] = 1.0
    gap = restriction @ beta - np.array([1.0, 0.0])
    statistic = float(gap @ np.linalg.solve(restriction @ fit.covariance @ restriction.T, gap)
                      ) / 2.0
    p_value = float(stats.f.sf(statistic, 2, fit.n - fit.k))
    # residual bootstrap of the log-linear fit
    generator = np.random.default_rng(rng)
    i_enemy, i_own = names.index("exponent_enemy"), names.index("exponent_own")
    if bootstrap > 0:
        draws = generator.choice(fit.residuals, size=(bootstrap, fit.n), replace=True)
        replicate_y = fit.fitted[None, :] + draws
        coefficients, *_ = np.linalg.lstsq(design, replicate_y.T, rcond=None)
        boot_enemy = tuple(float(v) for v in np.percentile(coefficients[i_enemy], [2.5, 97.5]))
        boot_own = tuple(float(v) for v in np.percentile(coefficients[i_own], [2.5, 97.5]))
    else:
        boot_enemy = boot_own = (math.nan, math.nan)
    nls_beta, nls_errors = _nonlinear_least_squares(np.exp(y), design, beta)
    dof = fit.n - fit.k
    return PooledFit(
        exponent_enemy=e["exponent_enemy"], exponent_own=e["exponent_own"],
        log_coefficient_allies=e["log_coefficient_allies"],
        log_coefficient_germans=e["log_coefficient_germans"],
        posture_allies=e.get("posture_allies"), posture_germans=e.get("posture_germans"),
        bootstrap_enemy=(boot_enemy[0], boot_enemy[1]), bootstrap_own=(boot_own[0], boot_own[1]),
        nls_enemy=_estimate(float(nls_beta[i_enemy]), float(nls_errors[i_enemy]), dof),
        nls_own=_estimate(float(nls_beta[i_own]), float(nls_errors[i_own]), dof),
        square_law_p_value=p_value, residual_sd=fit.residual_sd, n=fit.n)


def fit_exponent_difference(data: ArdennesData, posture: FloatArray | None = None
                            ) -> Estimate:
    """Estimate p - q from ``log(C_A / C_G) = const + (p - q) log(G / A) [+ d I]``.

    Subtracting the two sides' log equations cancels what they share; with
    common exponents the slope on the log force ratio is ``p - q`` (1: square
    law, 0: linear, -1: logarithmic). It equals the difference of the pooled
    OLS estimates of p and q.
    """
    ratio = np.log(data.allied_casualties / data.german_casualties)
    columns = [np.ones_like(ratio), np.log(data.germans / data.allies)]
    names = ["constant", "exponent_difference"]
    if posture is not None:
        columns.append(posture)
        names.append("posture")
    fit = ordinary_least_squares(ratio, np.column_stack(columns), names)
    return fit.estimates["exponent_difference"]


def fit_ardennes(posture: bool = True, *,
                 german_attack_last_day: int = ARDENNES_GERMAN_ATTACK_LAST_DAY,
                 bootstrap: int = 2000, rng: int | np.random.Generator | None = 0
                 ) -> ArdennesFit:
    """Fit the generalised Lanchester law to the Ardennes campaign, days 2-33.

    Parameters
    ----------
    posture : include the combat-posture term of [Bracken1995]_ (1 on the days
        of the German offensive).
    german_attack_last_day : last campaign day coded as German offensive.
    bootstrap : residual-bootstrap replicates for the pooled exponents.
    rng : seed or generator for the bootstrap.

    Returns
    -------
    ArdennesFit
        Per-side, pooled and ratio fits; see the module docstring for why p and q
        are not separately identified by these data.

    Examples
    --------
    >>> fit = fit_ardennes(posture=False, bootstrap=0)
    >>> round(fit.exponent_difference.value, 2), fit.exponent_difference.contains(1.0)
    (0.34, True)
    """
    data = load_ardennes()
    indicator = data.posture(german_attack_last_day) if posture else None
    allies = fit_power_law(data.allied_casualties, data.allies, data.germans, indicator,
                           side="allies")
    germans = fit_power_law(data.german_casualties, data.germans, data.allies, indicator,
                            side="germans")
    pooled = fit_pooled(data, indicator, bootstrap=bootstrap, rng=rng)
    difference = fit_exponent_difference(data, indicator)
    correlation = float(np.corrcoef(np.log(data.allies), np.log(data.germans))[0, 1])
    return ArdennesFit(posture=posture, allies=allies, germans=germans, pooled=pooled,
                       exponent_difference=difference, force_correlation=correlation)


def simulate_losses(own: FloatArray, enemy: FloatArray, coefficient: float,
                    exponent_enemy: float, exponent_own: float, noise_sd: float,
                    rng: int | np.random.Generator | None = None) -> FloatArray:
    """Daily losses ``a enemy^p own^q`` with multiplicative log-normal noise (for tests).

    >>> simulate_losses(np.array([4.0]), np.array([9.0]), 2.0, 0.5, 1.0, 0.0).tolist()
    [24.0]
    """
    generator = np.random.default_rng(rng)
    mean = coefficient * np.power(enemy, exponent_enemy) * np.power(own, exponent_own)
    return np.asarray(mean * np.exp(noise_sd * generator.standard_normal(np.shape(own))))
