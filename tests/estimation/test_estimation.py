"""Tests of redline.estimation: Lanchester reproductions and estimators of mechanism parameters.

Oracle tests cite their source and state their tolerance (Engel 1954 for Iwo
Jima; scipy's ODE solver and optimisers as independent computations).
Analytic truths (the square-law invariant, exact recovery from noiseless data,
algebraic identities between estimators) are kept apart from the statistical
properties of the estimators on data simulated from the model (recovery within
standard errors, interval coverage) and from pinned regressions of the
estimates documented in the module docstrings.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import optimize

from redline.estimation import contest, lanchester
from redline.verify import lanchester_checks

# --------------------------------------------------------------------------- Iwo Jima


@pytest.fixture(scope="module")
def iwo_jima_fine() -> lanchester.IwoJimaTrajectory:
    return lanchester.iwo_jima(dt=0.001)


@pytest.fixture(scope="module")
def iwo_jima_reference() -> lanchester.IwoJimaTrajectory:
    return lanchester.iwo_jima_reference()


def test_iwo_jima_day36_matches_engel(iwo_jima_fine):
    """Engel (1954), computed curve: about 52,000 US and about 200 Japanese at day 36.

    Tolerance 2 % for the US and 100 men for the Japanese (reading of the curve).
    """
    us, japanese = iwo_jima_fine.at(36)
    assert us == pytest.approx(52_000, rel=0.02)
    assert abs(japanese - 200) <= 100


def test_iwo_jima_checkpoints_match_ode_solver(iwo_jima_fine, iwo_jima_reference):
    """Euler steps of lanchester_step (dt=0.001) against scipy's solve_ivp: 0.5 %."""
    for day in (10, 20, 36):
        ours = np.array(iwo_jima_fine.at(day))
        oracle = np.array(iwo_jima_reference.at(day))
        np.testing.assert_allclose(ours, oracle, rtol=0.005)


def test_iwo_jima_converges_as_dt_shrinks(iwo_jima_reference):
    """First-order convergence: the day-36 US error shrinks roughly tenfold per tenfold dt."""
    target = iwo_jima_reference.at(36)[0]
    errors = [abs(lanchester.iwo_jima(dt=dt).at(36)[0] - target) for dt in (0.1, 0.01)]
    assert errors[1] < errors[0] / 5


def test_daily_euler_annihilates_the_garrison_before_day_36():
    """dt = 1 lands each day's troops before its fire: Japanese reach 0, US ends at 52,284."""
    daily = lanchester.iwo_jima(dt=1.0)
    us, japanese = daily.at(36)
    assert japanese == 0.0
    assert us == pytest.approx(52_284, abs=1)


def test_square_law_invariant_after_the_last_landing(iwo_jima_fine):
    """Lanchester (1916): b U^2 - a J^2 is constant without reinforcement (rel. 1e-3)."""
    invariant = lanchester.iwo_jima_invariant(iwo_jima_fine)
    after = invariant[6:]
    np.testing.assert_allclose(after, after[0], rtol=1e-3)
    # the landings of days 2 and 5 move it: it is not invariant before day 6
    assert abs(invariant[5] - invariant[1]) > 0.1 * abs(invariant[1])


def test_landings_total_73000_without_fire():
    """With both loss rates zero the US strength is the sum of the landings."""
    quiet = lanchester.iwo_jima(dt=0.01, us_loss_rate=0.0, japanese_loss_rate=0.0)
    assert quiet.at(1) == pytest.approx((54_000.0, 21_500.0))
    assert quiet.at(36) == pytest.approx((73_000.0, 21_500.0))


def test_engel_coefficients_recovered_from_the_trajectory():
    """Engel's estimators: b = (J0 - J36) / int U, a = (landed - U36) / int J.

    The integrals are taken by the trapezoid rule over the daily values, as one
    would from a daily table; that is crude in the landing days, hence 1 %.
    """
    daily = lanchester.iwo_jima(dt=0.01)
    b = (21_500.0 - daily.at(36)[1]) / np.trapezoid(daily.us, daily.day)
    a = (73_000.0 - daily.at(36)[0]) / np.trapezoid(daily.japanese, daily.day)
    assert b == pytest.approx(lanchester.IWO_JIMA_JAPANESE_LOSS_RATE, rel=0.01)
    assert a == pytest.approx(lanchester.IWO_JIMA_US_LOSS_RATE, rel=0.01)


def test_iwo_jima_rejects_a_step_that_does_not_divide_a_day():
    with pytest.raises(ValueError, match="whole number"):
        lanchester.iwo_jima(dt=0.3)


# --------------------------------------------------------------------------- Lanchester fits


def test_power_law_fit_is_exact_on_noiseless_data():
    """Analytic truth: C = a B^p A^q without noise is fitted exactly."""
    rng = np.random.default_rng(1)
    own = np.exp(rng.uniform(8.0, 12.0, 40))
    enemy = np.exp(rng.uniform(8.0, 12.0, 40))
    casualties = lanchester.simulate_losses(own, enemy, 0.003, 0.8, 0.3, 0.0)
    fit = lanchester.fit_power_law(casualties, own, enemy)
    assert fit.exponent_enemy.value == pytest.approx(0.8, abs=1e-9)
    assert fit.exponent_own.value == pytest.approx(0.3, abs=1e-9)
    assert math.exp(fit.log_coefficient.value) == pytest.approx(0.003, rel=1e-8)


@pytest.mark.parametrize(("p", "q"), [(1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.6, 0.4)])
def test_power_law_fit_recovers_parameters(p, q):
    """Data simulated from the model with forces that vary independently are recovered.

    Tolerance: 4 standard errors (a 1-in-15,000 failure under the model).
    """
    rng = np.random.default_rng(20)
    own = np.exp(rng.uniform(9.0, 12.0, 300))
    enemy = np.exp(rng.uniform(9.0, 12.0, 300))
    casualties = lanchester.simulate_losses(own, enemy, 1e-3, p, q, 0.25, rng=rng)
    fit = lanchester.fit_power_law(casualties, own, enemy)
    assert abs(fit.exponent_enemy.value - p) < 4 * fit.exponent_enemy.standard_error
    assert abs(fit.exponent_own.value - q) < 4 * fit.exponent_own.standard_error
    assert fit.exponent_enemy.standard_error < 0.05


def test_power_law_interval_coverage():
    """95 % t intervals cover the true p in 95 % of simulated campaigns (binomial bounds)."""
    rng = np.random.default_rng(7)
    replicates, covered = 400, 0
    for _ in range(replicates):
        own = np.exp(rng.uniform(9.0, 11.0, 32))
        enemy = np.exp(rng.uniform(9.0, 11.0, 32))
        casualties = lanchester.simulate_losses(own, enemy, 0.01, 1.0, 0.0, 0.3, rng=rng)
        covered += lanchester.fit_power_law(casualties, own, enemy).exponent_enemy.contains(1.0)
    assert 0.92 <= covered / replicates <= 0.98


def _synthetic_campaign(p: float, q: float, days: int, rng: np.random.Generator
                        ) -> lanchester.ArdennesData:
    allies = np.exp(rng.uniform(12.0, 14.0, days))
    germans = np.exp(rng.uniform(12.0, 14.0, days))
    return lanchester.ArdennesData(
        day=np.arange(2.0, 2.0 + days), allies=allies,
        allied_casualties=lanchester.simulate_losses(allies, germans, 2e-3, p, q, 0.2, rng),
        germans=germans,
        german_casualties=lanchester.simulate_losses(germans, allies, 3e-3, p, q, 0.2, rng))


def test_pooled_fit_recovers_common_exponents():
    """Pooled OLS, NLS and bootstrap all recover p, q from a simulated two-sided campaign."""
    rng = np.random.default_rng(3)
    data = _synthetic_campaign(1.0, 0.0, 200, rng)
    fit = lanchester.fit_pooled(data, bootstrap=500, rng=4)
    for estimate, truth in ((fit.exponent_enemy, 1.0), (fit.exponent_own, 0.0),
                            (fit.nls_enemy, 1.0), (fit.nls_own, 0.0)):
        assert abs(estimate.value - truth) < 4 * estimate.standard_error
    assert fit.bootstrap_enemy[0] < 1.0 < fit.bootstrap_enemy[1]
    assert math.exp(fit.log_coefficient_allies.value) == pytest.approx(2e-3, rel=0.5)
    assert fit.square_law_p_value > 1e-4


def test_exponent_difference_equals_pooled_difference():
    """Algebraic identity: the casualty-ratio slope equals pooled p - q (posture or not)."""
    data = lanchester.load_ardennes()
    for indicator in (None, data.posture()):
        pooled = lanchester.fit_pooled(data, indicator, bootstrap=0)
        difference = lanchester.fit_exponent_difference(data, indicator)
        assert difference.value == pytest.approx(
            pooled.exponent_enemy.value - pooled.exponent_own.value, abs=1e-8)


def test_ardennes_data_shape():
    data = lanchester.load_ardennes()
    assert data.day[0] == 2 and data.day[-1] == 33 and data.day.size == 32
    assert data.posture().sum() == 5  # days 2-6: the German offensive


def test_ardennes_fit_documented_values():
    """Pinned regression of the estimates quoted in redline.estimation.lanchester (2 dp)."""
    plain = lanchester.fit_ardennes(posture=False, bootstrap=0)
    posture = lanchester.fit_ardennes(posture=True, bootstrap=0)
    assert plain.exponent_difference.value == pytest.approx(0.34, abs=0.005)
    assert (plain.exponent_difference.lower, plain.exponent_difference.upper) == pytest.approx(
        (-3.65, 4.33), abs=0.005)
    assert posture.exponent_difference.value == pytest.approx(-5.56, abs=0.005)
    assert plain.allies.exponent_own.value == pytest.approx(16.80, abs=0.005)
    assert plain.force_correlation == pytest.approx(0.996, abs=0.0005)
    assert plain.pooled.exponent_enemy.value + plain.pooled.exponent_own.value == (
        pytest.approx(4.91, abs=0.005))
    for fit in (plain, posture):
        assert fit.pooled.square_law_p_value < 1e-3
        # the finding: per-side exponents are not identified by these data
        for side in (fit.allies, fit.germans):
            assert side.exponent_enemy.standard_error > 5
            assert side.exponent_own.standard_error > 5


def test_ardennes_bootstrap_is_seeded():
    first = lanchester.fit_ardennes(bootstrap=200, rng=11).pooled.bootstrap_enemy
    second = lanchester.fit_ardennes(bootstrap=200, rng=11).pooled.bootstrap_enemy
    assert first == second


# --------------------------------------------------------------------------- contest


def test_logit_mle_matches_scipy():
    """Newton-Raphson against scipy's BFGS on the same likelihood (1e-5)."""
    rng = np.random.default_rng(5)
    x = rng.normal(0.3, 1.0, 300)
    won = contest.simulate_contests(x, 0.7, 0.2, rng=rng)
    beta, _, log_likelihood = contest.logit_mle(x, won)

    def negative(b: np.ndarray) -> float:
        eta = b[0] + b[1] * x
        return float(np.sum(np.logaddexp(0.0, eta) - won * eta))

    result = optimize.minimize(negative, np.zeros(2), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(beta, result.x, atol=1e-5)
    assert log_likelihood == pytest.approx(-result.fun, abs=1e-8)


@pytest.mark.parametrize(("m", "alpha"), [(0.4, 0.5), (1.0, 0.0), (2.0, -0.3)])
def test_decisiveness_recovered_from_simulated_battles(m, alpha):
    """Outcomes drawn from the contest function give back m within 4 standard errors."""
    rng = np.random.default_rng(9)
    x = rng.normal(0.5, 0.9, 3000)
    won = contest.simulate_contests(x, m, alpha, rng=rng)
    estimate, lower, upper, error, advantage, _ = contest.fit_logit_decisiveness(x, won)
    assert abs(estimate - m) < 4 * error
    assert lower < estimate < upper
    assert advantage is not None and abs(advantage[0] - alpha) < 4 * advantage[1]


def test_decisiveness_profile_interval_coverage():
    """The 95 % profile-likelihood interval covers the true m in about 95 % of samples."""
    rng = np.random.default_rng(13)
    replicates, covered = 200, 0
    for _ in range(replicates):
        x = rng.normal(0.5, 0.9, 485)
        won = contest.simulate_contests(x, 0.4, 0.5, rng=rng)
        _, lower, upper, *_ = contest.fit_logit_decisiveness(x, won)
        covered += lower <= 0.4 <= upper
    assert 0.90 <= covered / replicates <= 0.99


def test_cdb90_filtering():
    """485 battles: draws (43), unconfirmed outcomes (9) and missing strengths (123) dropped."""
    contests = contest.load_cdb90_contests()
    assert contests.log_ratio.size == 485
    assert contests.dropped == {"draw": 43, "outcome unconfirmed": 9, "strength missing": 123}
    assert int(contests.attacker_won.sum()) == 317
    assert np.all(np.isfinite(contests.log_ratio))
    # Waterloo (145) and Gettysburg (199): attacker defeats, blank in the tidied copy
    lost = dict(zip(contests.battle.tolist(), contests.attacker_won.tolist(), strict=True))
    assert lost[145] == 0.0 and lost[199] == 0.0


def test_cdb90_decisiveness_documented_values():
    """Pinned regression of the estimates quoted in redline.estimation.contest (2 dp)."""
    fit = contest.fit_decisiveness()
    assert (fit.estimate, fit.lower, fit.upper) == pytest.approx((0.37, 0.12, 0.63), abs=0.005)
    assert fit.attacker_advantage is not None
    assert fit.attacker_advantage[0] == pytest.approx(0.47, abs=0.005)
    plain = contest.fit_decisiveness(intercept=False)
    assert (plain.estimate, plain.lower, plain.upper) == pytest.approx((0.65, 0.43, 0.88),
                                                                       abs=0.005)
    total = contest.fit_decisiveness(strength="str")
    assert total.n == 607
    assert (total.estimate, total.lower, total.upper) == pytest.approx((0.48, 0.24, 0.73),
                                                                       abs=0.005)
    assert not fit.lower <= 1.0 <= fit.upper  # Tullock's lottery is rejected for battles


def test_cdb90_rejects_an_unknown_strength_column():
    with pytest.raises(ValueError, match="strength"):
        contest.load_cdb90_contests("finst")


# --------------------------------------------------------------------------- checks


@pytest.fixture(scope="module")
def all_checks():
    return lanchester_checks.checks()


def test_every_check_passes(all_checks):
    failed = [c.name for c in all_checks if not c.passed]
    assert not failed, failed


def test_checks_are_named_sourced_and_serialisable(all_checks):
    names = [c.name for c in all_checks]
    assert len(names) == len(set(names))
    assert {n.split(".")[0] for n in names} == {"lanchester", "power"}
    for check in all_checks:
        assert check.source and check.note
    json.dumps([c.to_dict() for c in all_checks])


def test_iwo_jima_check_carries_checkpoints(all_checks):
    check = next(c for c in all_checks if c.name == "lanchester.iwo_jima.us_day36")
    continuous = check.checkpoints["continuous (dt=0.001)"]
    assert set(continuous) == {"day 10", "day 20", "day 36"}
    assert check.checkpoints["daily Euler (dt=1)"]["day 36"][1] == 0
