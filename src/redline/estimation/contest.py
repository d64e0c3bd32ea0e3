r"""The contest success function's decisiveness m, estimated from CDB90 battle outcomes.

The power mechanism gives side A the chance of prevailing ([Tullock1980]_;
[Hirshleifer1989]_)::

    P(A wins) = F_A^m / (F_A^m + F_B^m) = 1 / (1 + exp(-m log(F_A / F_B)))

so the ratio form is a logit in the log force ratio with slope m. Allowing a
constant for the attacker's advantage (choice of time and place, initiative)::

    logit P(attacker wins) = alpha + m log(F_attacker / F_defender)

which is the ratio form with the attacker's force multiplied by
``exp(alpha / m)``. :func:`fit_decisiveness` estimates m (and alpha) by maximum
likelihood, with a 95 % profile-likelihood interval (and the Wald interval).
[JiaSkaperdasVaidya2013]_ review the foundations of the ratio form (among
them its derivation from stochastic "performance") and the issues in
estimating contest functions from outcomes.

Data and filtering (``redline/data/cdb90-*.csv``; see PROVENANCE.md):

* Outcome: column ``wina`` of the battles table. In the original CAA data base
  WINA is 1 (attacker won), 0 (draw) or -1 (attacker lost); the tidied copy we
  ship has lost the -1 codes (it has no negative value in any column of the
  battles table), which appear as blanks (battle 1, Nieuport 1600,
  is -1 in the original file and blank here; so are Waterloo, Gettysburg and
  Austerlitz, all attacker defeats). A blank is read as an attacker defeat
  only when the belligerents' mission-accomplishment scores (``ach``, 1-10)
  agree (attacker's below defender's): 210 battles; 9 blanks with tied or
  missing scores are dropped. Draws (``wina`` = 0, 43 battles) are dropped: the
  contest function has no draw.
* Strength: ``intst``, each side's initial personnel strength, from the
  belligerents table (``attacker`` = 1 or 0). Battles with either side missing
  or non-positive are dropped. ``strength="str"`` uses total personnel strength
  (including reinforcements during the battle) instead, as a sensitivity check.
* Years: all battles, 1600-1973; the shipped tables carry no date column, so no
  period is selected.

With initial strengths this leaves 485 battles (317 attacker victories). The
estimates: m = 0.37 with 95 % profile interval [0.12, 0.63] and attacker
advantage alpha = 0.47 (attackers win 62 % of battles fought at equal
strength); without the intercept m = 0.65 [0.43, 0.88], but that model makes
the force ratio carry the attacker's advantage (attackers are usually the
larger side). With total strength (``str``, 607 battles) m = 0.48 [0.24, 0.73].

Literature. [Hirshleifer1989]_ sets out the ratio and difference forms and
reads m as the decisiveness of conflict; m = 1 is Tullock's lottery. Dupuy's
analyses of the HERO/CAA battle data, from which CDB90 descends, found the force
ratio a weak predictor of who wins [Dupuy1987]_; [RotteSchmidt2003]_, with
the same data base, find numerical superiority a major determinant of victory
but one of several, alongside intelligence, surprise, morale and leadership.
A decisiveness well below 1 is the contest-function form of that finding: in a
battle, doubling one's force multiplies the odds of winning by ``2^m``, about
1.3. (Battles are not wars: m for the outcome of a whole war, which the power
mechanism models, aggregates many battles and may well be larger.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

FloatArray = NDArray[np.float64]

SOURCE = "Tullock1980; Hirshleifer1989; JiaSkaperdasVaidya2013; RotteSchmidt2003"

BATTLES_FILE = "cdb90-battles.csv"
BELLIGERENTS_FILE = "cdb90-belligerents.csv"
_CHI2_95 = float(stats.chi2.ppf(0.95, 1))


@dataclass(frozen=True)
class Contests:
    """Battles with a decisive victor and known strengths.

    Attributes
    ----------
    log_ratio : log(attacker strength / defender strength), one per battle.
    attacker_won : 1.0 if the attacker won, 0.0 if the defender did.
    battle : CDB90 battle numbers (``isqno``).
    dropped : counts of battles left out, by reason.
    """

    log_ratio: FloatArray
    attacker_won: FloatArray
    battle: NDArray[np.int64]
    dropped: dict[str, int]


def load_cdb90_contests(strength: str = "intst") -> Contests:
    """Read CDB90 and keep battles with a decisive victor and both strengths known.

    Parameters
    ----------
    strength : ``"intst"`` (initial personnel strength) or ``"str"`` (total
        personnel strength).

    Returns
    -------
    Contests
        See the module docstring for the filtering.
    """
    import pandas as pd

    if strength not in ("intst", "str"):
        raise ValueError(f"strength must be 'intst' or 'str', got {strength!r}")
    data = resources.files("redline.data")
    with data.joinpath(BATTLES_FILE).open("r", encoding="utf-8") as handle:
        battles = pd.read_csv(handle)
    with data.joinpath(BELLIGERENTS_FILE).open("r", encoding="utf-8") as handle:
        belligerents = pd.read_csv(handle)
    sides = belligerents.set_index(["isqno", "attacker"])
    attacker = sides.xs(1, level="attacker")[[strength, "ach"]]
    defender = sides.xs(0, level="attacker")[[strength, "ach"]]
    table = battles.set_index("isqno")[["wina"]].join(attacker.add_suffix("_a")).join(
        defender.add_suffix("_d"))
    blank = table["wina"].isna()
    confirmed_loss = blank & (table["ach_a"] < table["ach_d"])
    outcome = np.where(table["wina"] == 1, 1.0, np.where(confirmed_loss, 0.0, np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(table[f"{strength}_a"].to_numpy(dtype=float)
                           / table[f"{strength}_d"].to_numpy(dtype=float))
    known_strength = np.isfinite(log_ratio)
    decisive = np.isfinite(outcome)
    keep = decisive & known_strength
    dropped = {
        "draw": int((table["wina"] == 0).sum()),
        "outcome unconfirmed": int((blank & ~confirmed_loss).sum()),
        "strength missing": int((decisive & ~known_strength).sum()),
    }
    return Contests(log_ratio=log_ratio[keep], attacker_won=outcome[keep],
                    battle=table.index.to_numpy()[keep].astype(np.int64), dropped=dropped)


def _log_likelihood(eta: FloatArray, won: FloatArray) -> float:
    return float(np.sum(won * eta - np.logaddexp(0.0, eta)))


def logit_mle(log_ratio: FloatArray, won: FloatArray, intercept: bool = True,
              tolerance: float = 1e-12, max_iterations: int = 100
              ) -> tuple[FloatArray, FloatArray, float]:
    """Maximum likelihood of ``logit P = [alpha +] m x`` by Newton-Raphson.

    Returns
    -------
    coefficients : ``[alpha, m]`` or ``[m]``.
    covariance : inverse observed information.
    log_likelihood : at the maximum.

    Examples
    --------
    >>> x = np.array([-1.0, -1.0, 1.0, 1.0])
    >>> coefficients, _, _ = logit_mle(x, np.array([0.0, 1.0, 1.0, 1.0]), intercept=False)
    >>> round(float(coefficients[0]), 6)  # P = 3/4 at x = 1: m = log 3
    1.098612
    """
    x = np.asarray(log_ratio, dtype=np.float64)
    y = np.asarray(won, dtype=np.float64)
    design = np.column_stack([np.ones_like(x), x]) if intercept else x[:, None]
    beta = np.zeros(design.shape[1])
    for _ in range(max_iterations):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (y - p)
        information = (design * (p * (1.0 - p))[:, None]).T @ design
        step = np.linalg.solve(information, gradient)
        beta = beta + step
        if np.max(np.abs(step)) < tolerance:
            break
    else:  # pragma: no cover - the logit likelihood is concave; separation would diverge
        raise RuntimeError("logit maximum likelihood did not converge")
    p = 1.0 / (1.0 + np.exp(-(design @ beta)))
    information = (design * (p * (1.0 - p))[:, None]).T @ design
    covariance = np.asarray(np.linalg.inv(information), dtype=np.float64)
    return beta, covariance, _log_likelihood(design @ beta, y)


def _profile_log_likelihood(m: float, x: FloatArray, y: FloatArray, intercept: bool) -> float:
    """Maximum over alpha of the log-likelihood with the slope fixed at ``m``."""
    if not intercept:
        return _log_likelihood(m * x, y)
    alpha = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(alpha + m * x)))
        step = float(np.sum(y - p) / np.sum(p * (1.0 - p)))
        alpha += step
        if abs(step) < 1e-13:
            break
    return _log_likelihood(alpha + m * x, y)


@dataclass(frozen=True)
class DecisivenessFit:
    """The decisiveness m estimated from battle outcomes.

    Attributes
    ----------
    estimate : m, the maximum-likelihood slope on log(F_attacker / F_defender).
    lower, upper : 95 % profile-likelihood interval of m.
    standard_error : Wald standard error of m.
    wald_lower, wald_upper : 95 % Wald interval of m.
    attacker_advantage : alpha, the log-odds of an attacker win at equal
        strength (None without the intercept), with its Wald standard error.
    n : battles used.
    attacker_wins : of which the attacker won.
    log_likelihood : maximised log-likelihood.
    strength : the strength column used (``intst`` or ``str``).
    dropped : battles left out, by reason.
    """

    estimate: float
    lower: float
    upper: float
    standard_error: float
    wald_lower: float
    wald_upper: float
    attacker_advantage: tuple[float, float] | None
    n: int
    attacker_wins: int
    log_likelihood: float
    strength: str
    dropped: dict[str, int]


def fit_logit_decisiveness(log_ratio: FloatArray, won: FloatArray, intercept: bool = True
                           ) -> tuple[float, float, float, float, tuple[float, float] | None,
                                      float]:
    """(m, profile lower, profile upper, Wald s.e., (alpha, s.e.) or None, log-likelihood)."""
    x = np.asarray(log_ratio, dtype=np.float64)
    y = np.asarray(won, dtype=np.float64)
    beta, covariance, log_likelihood = logit_mle(x, y, intercept)
    m = float(beta[-1])
    error = float(math.sqrt(covariance[-1, -1]))

    def excess(value: float) -> float:
        drop = 2.0 * (log_likelihood - _profile_log_likelihood(value, x, y, intercept))
        return drop - _CHI2_95

    width = 10.0 * error
    lower = optimize.brentq(excess, m - width, m, xtol=1e-10)
    upper = optimize.brentq(excess, m, m + width, xtol=1e-10)
    advantage = (float(beta[0]), float(math.sqrt(covariance[0, 0]))) if intercept else None
    return m, float(lower), float(upper), error, advantage, log_likelihood


def fit_decisiveness(intercept: bool = True, strength: str = "intst") -> DecisivenessFit:
    """Estimate the contest decisiveness m from CDB90 (see the module docstring).

    Parameters
    ----------
    intercept : include alpha, the attacker's advantage at equal strength.
    strength : ``"intst"`` (initial strength) or ``"str"`` (total strength).

    Returns
    -------
    DecisivenessFit
        m with its profile-likelihood and Wald intervals, and n.

    Examples
    --------
    >>> fit = fit_decisiveness()
    >>> fit.n, round(fit.estimate, 2), round(fit.lower, 2), round(fit.upper, 2)
    (485, 0.37, 0.12, 0.63)
    """
    contests = load_cdb90_contests(strength)
    m, lower, upper, error, advantage, log_likelihood = fit_logit_decisiveness(
        contests.log_ratio, contests.attacker_won, intercept)
    z = float(stats.norm.ppf(0.975))
    return DecisivenessFit(
        estimate=m, lower=lower, upper=upper, standard_error=error,
        wald_lower=m - z * error, wald_upper=m + z * error, attacker_advantage=advantage,
        n=int(contests.log_ratio.size), attacker_wins=int(contests.attacker_won.sum()),
        log_likelihood=log_likelihood, strength=strength, dropped=contests.dropped)


def simulate_contests(log_ratio: FloatArray, decisiveness: float, advantage: float = 0.0,
                      rng: int | np.random.Generator | None = None) -> FloatArray:
    """Outcomes drawn from ``logit P = advantage + m x`` (for tests of the estimator).

    >>> simulate_contests(np.array([50.0, -50.0]), 1.0, rng=0).tolist()
    [1.0, 0.0]
    """
    generator = np.random.default_rng(rng)
    probability = 1.0 / (1.0 + np.exp(-(advantage + decisiveness * np.asarray(log_ratio))))
    return (generator.random(probability.shape) < probability).astype(np.float64)
