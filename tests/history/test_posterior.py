"""The posterior estimator against closed forms, and its simulation-based calibration."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.history.posterior import (
    NAMES,
    Posterior,
    combine_seeds,
    estimate,
    estimate_over_seeds,
    gradient_noise,
    no_wider_than,
    prior_mean,
    prior_sd,
    response_surface,
    shipped_posterior,
    to_params,
    to_vector,
)


def _gaussian_likelihood(centre, precision, step=0.0):
    """l(z) = -(z - c)' A (z - c) / 2, optionally piecewise constant in steps of ``step``."""
    def log_likelihood(z):
        d = z - centre
        value = -0.5 * float(d @ precision @ d)
        return math.floor(value / step) * step if step else value
    return log_likelihood


def _exact(centre, precision):
    """The posterior of a Gaussian likelihood under the normal prior: closed form."""
    prior_precision = np.diag(1.0 / prior_sd() ** 2)
    covariance = np.linalg.inv(precision + prior_precision)
    mean = covariance @ (precision @ centre + prior_precision @ prior_mean())
    return mean, covariance


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 1000))
def test_response_surface_recovers_a_quadratic(seed):
    rng = np.random.default_rng(seed)
    d = len(NAMES)
    root = rng.normal(size=(d, d))
    hessian = -(root @ root.T + np.eye(d))
    gradient = rng.normal(size=d)
    offsets = rng.uniform(-1, 1, size=(40, d))
    values = 3.0 + offsets @ gradient + 0.5 * np.einsum("ni,ij,nj->n", offsets, hessian, offsets)
    found_gradient, found_hessian = response_surface(offsets, values)
    assert np.allclose(found_gradient, gradient) and np.allclose(found_hessian, hessian)


def test_gaussian_likelihood_gives_the_exact_posterior():
    """Closed form: normal likelihood x normal prior (sds 0.1-0.4 on z)."""
    rng = np.random.default_rng(4)
    centre = prior_mean() + rng.normal(scale=0.5, size=len(NAMES))
    sds = np.array([0.1, 0.2, 0.3, 0.4, 0.15])
    precision = np.diag(1.0 / sds**2)
    posterior = estimate(_gaussian_likelihood(centre, precision), max_evaluations=200)
    mean, covariance = _exact(centre, precision)
    assert np.allclose(posterior.mean, mean, atol=0.02)
    assert np.allclose(posterior.sd, np.sqrt(np.diag(covariance)), rtol=0.05)
    assert posterior.uninformed == []


def test_piecewise_constant_likelihood_is_smoothed():
    """A likelihood rounded down to steps of 0.5 (as one run moves a simulated one)."""
    rng = np.random.default_rng(5)
    centre = prior_mean() + rng.normal(scale=0.5, size=len(NAMES))
    sds = np.array([0.1, 0.2, 0.3, 0.4, 0.15])
    precision = np.diag(1.0 / sds**2)
    posterior = estimate(_gaussian_likelihood(centre, precision, step=0.5),
                         max_evaluations=200)
    mean, covariance = _exact(centre, precision)
    assert np.all(np.abs(posterior.mean - mean) < 0.5 * np.sqrt(np.diag(covariance)) + 0.02)
    assert np.allclose(posterior.sd, np.sqrt(np.diag(covariance)), rtol=0.3)


def test_gradient_noise_is_the_spread_of_fitted_gradients():
    """Least-squares theory against Monte Carlo: 2,000 noisy copies of one surface, refitted."""
    rng = np.random.default_rng(11)
    d = len(NAMES)
    offsets = rng.uniform(-1, 1, size=(32, d))
    truth = 3.0 + offsets @ np.arange(1.0, d + 1.0) - np.sum(offsets**2, axis=1)
    noise = 2.0
    gradients, predicted = [], []
    for _ in range(2000):
        values = truth + rng.normal(scale=noise, size=len(truth))
        gradients.append(response_surface(offsets, values)[0])
        predicted.append(np.diag(gradient_noise(offsets, values)))
    empirical = np.var(np.asarray(gradients), axis=0, ddof=1)
    assert np.allclose(np.mean(predicted, axis=0), empirical, rtol=0.1)
    # a noiseless quadratic has no gradient noise
    assert np.allclose(gradient_noise(offsets, truth), 0.0, atol=1e-9)


@given(st.integers(0, 10_000))
def test_no_direction_is_left_wider_than_the_prior(seed):
    rng = np.random.default_rng(seed)
    d = len(NAMES)
    a, b = rng.normal(size=(d, d)), rng.normal(size=(d, d))
    prior, wide = a @ a.T + np.eye(d), 10.0 * (b @ b.T) + np.eye(d)
    capped = no_wider_than(wide, prior)
    # prior - capped is positive semi-definite, and a narrower covariance is untouched
    assert np.linalg.eigvalsh(prior - capped).min() > -1e-8
    narrow = 0.01 * prior
    assert np.allclose(no_wider_than(narrow, prior), narrow)


def test_a_flat_direction_is_left_to_the_prior():
    """The likelihood ignores the talks hazard: its posterior is its prior."""
    centre = prior_mean() + 0.3
    precision = np.diag([100.0, 50.0, 20.0, 30.0, 0.0])
    posterior = estimate(_gaussian_likelihood(centre, precision), max_evaluations=200)
    assert "talks_hazard" in posterior.uninformed
    assert posterior.sd[-1] == pytest.approx(prior_sd()[-1], rel=0.05)
    assert posterior.mean[-1] == pytest.approx(prior_mean()[-1], abs=0.05)


@given(st.lists(st.floats(-3, 3), min_size=5, max_size=5))
def test_parameters_round_trip(z):
    assert np.allclose(to_vector(to_params(np.array(z))), z)


def test_intervals_and_draws_match_the_normal_on_z():
    posterior = Posterior(mean=np.array([0.0, 1.0, -2.0, 2.5, -1.0]),
                          covariance=np.diag([0.04, 0.09, 0.25, 0.01, 0.16]),
                          log_likelihood=0.0, evaluations=0)
    interval = posterior.interval(0.95)
    assert interval["rationality"][0] == pytest.approx(math.exp(1.0 - 1.959964 * 0.3))
    assert interval["talks_hazard"][1] == pytest.approx(1 / (1 + math.exp(1.0 - 1.959964 * 0.4)))
    draws = posterior.draw(4000, np.random.default_rng(0))
    logs = np.log([d.rationality for d in draws])
    assert logs.mean() == pytest.approx(1.0, abs=0.03) and logs.std() == pytest.approx(0.3,
                                                                                        abs=0.02)
    again = Posterior.from_dict(json.loads(json.dumps(posterior.to_dict())))
    assert np.array_equal(again.mean, posterior.mean)


def test_shipped_posterior_loads_with_its_provenance():
    posterior = shipped_posterior()
    assert np.all(np.linalg.eigvalsh(posterior.covariance) > 0)
    assert {"command", "data", "runs", "seed", "redline"} <= set(posterior.provenance)
    assert posterior.provenance["crises"] >= 400


def test_a_foreign_file_is_refused():
    with pytest.raises(ValueError, match="format"):
        Posterior.from_dict({"format_version": 99, "parameters": list(NAMES)})


def test_calibration_check_summaries_detect_miscalibration():
    """Coverage and uniformity of u: right for an exact posterior, wrong for a biased one."""
    from redline.history.sbc import CalibrationCheck
    rng = np.random.default_rng(11)
    replicates, d = 4000, len(NAMES)
    means = rng.normal(size=(replicates, d))
    sds = np.full((replicates, d), 0.5)
    exact = CalibrationCheck(truths=means + sds * rng.standard_normal((replicates, d)),
                             means=means, sds=sds, runs=1, seed=0)
    for level in (0.5, 0.9):
        assert all(abs(c - level) < 0.03 for c in exact.coverage(level).values())
    assert min(exact.uniformity().values()) > 1e-3
    overconfident = CalibrationCheck(truths=exact.truths, means=means, sds=sds / 3,
                                     runs=1, seed=0)
    assert all(c < 0.45 for c in overconfident.coverage(0.9).values())
    assert max(overconfident.uniformity().values()) < 1e-6
    shrink = exact.shrinkage()
    assert shrink["rationality"] == pytest.approx(1 - (0.5 / prior_sd()[1]) ** 2)


@pytest.mark.slow
def test_estimate_check_through_the_cli(tmp_path):
    """One quick replicate of the calibration check on a slice of the data, end to end."""
    import subprocess
    import sys

    from redline.history.icb import shipped_path
    paths = []
    for level in (1, 2):
        lines = shipped_path(level).read_text(encoding="utf-8").splitlines()
        column = lines[0].split(",").index("crisno")
        keep = [lines[0]] + [line for line in lines[1:] if int(line.split(",")[column]) <= 60]
        path = tmp_path / f"icb{level}.csv"
        path.write_text("\n".join(keep) + "\n", encoding="utf-8")
        paths.append(path)
    out = tmp_path / "check.json"
    done = subprocess.run(
        [sys.executable, "-m", "redline", "estimate", "--icb1", str(paths[0]), "--icb2",
         str(paths[1]), "--quick", "--check", "1", "--json", "-o", str(out)],
        capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data == json.loads(out.read_text(encoding="utf-8"))
    assert data["replicates"] == 1 and data["parameters"] == list(NAMES)
    assert all(0.0 < u < 1.0 for u in data["quantiles"][0])
    assert set(data["coverage"]) == {"50%", "90%"}


def test_seeds_combined_cover_what_one_seed_misses():
    """Each seed's likelihood is the exact one shifted by its own noise (sd 0.6 on z, against a
    posterior sd of about 0.3): one seed's 90% intervals miss a truth drawn from the exact
    posterior about half the time; three seeds combined cover near the nominal rate (the
    between-seed covariance has two degrees of freedom, so slightly under)."""
    rng = np.random.default_rng(11)
    precision = np.diag(np.full(len(NAMES), 1 / 0.3**2))
    mean, covariance = _exact(prior_mean(), precision)
    single, combined = [], []
    for _ in range(40):
        truth = rng.multivariate_normal(mean, covariance)
        shifts = rng.normal(scale=0.6, size=(3, len(NAMES)))
        likelihoods = [_gaussian_likelihood(prior_mean() + d, precision) for d in shifts]
        one = estimate_over_seeds(likelihoods[:1], max_evaluations=150)
        three = estimate_over_seeds(likelihoods, max_evaluations=150)
        single.append(np.abs(truth - one.mean) / one.sd < 1.645)
        combined.append(np.abs(truth - three.mean) / three.sd < 1.645)
    assert np.mean(single) < 0.7
    assert 0.78 < np.mean(combined) <= 0.97


def test_identical_seeds_combine_to_one_estimate():
    """No scatter between seeds: the combination is the estimate itself."""
    estimate_one = estimate(_gaussian_likelihood(prior_mean(), np.eye(len(NAMES)) * 9.0),
                            max_evaluations=100)
    combined = combine_seeds([estimate_one, estimate_one, estimate_one])
    assert np.allclose(combined.mean, estimate_one.mean)
    assert np.allclose(combined.covariance, estimate_one.covariance)
    assert combined.evaluations == 3 * estimate_one.evaluations
