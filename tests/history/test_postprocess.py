"""Model output statistics: the post-processing layer recovers what generated the data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.history.mapping import CrisisStart
from redline.history.postprocess import OutputStatistics, jeffreys


def _start(index: int, rng: np.random.Generator) -> CrisisStart:
    return CrisisStart(crisno=index, actor="X", name="x", year=1950, month=1, day=1,
                       triggr=int(rng.integers(1, 10)), gravty=int(rng.integers(0, 7)),
                       powdis=int(rng.integers(-20, 20)), nuclear=1, southpow=2,
                       regime=int(rng.integers(1, 3)), allycap=1, pc=1,
                       cractloc=int(rng.integers(1, 5)), co_actors=1)


def _data(n: int, k: int, seed: int, informative: bool):
    """Cases whose classes are drawn from the simulated frequencies (informative) or not."""
    rng = np.random.default_rng(seed)
    starts = [_start(i, rng) for i in range(n)]
    frequencies = rng.dirichlet(np.ones(k) * 0.7, size=n)
    truth = frequencies if informative else np.tile(rng.dirichlet(np.ones(k) * 5), (n, 1))
    observed = [int(rng.choice(k, p=row)) for row in truth]
    return frequencies, starts, observed, truth


def test_jeffreys_closed_form():
    assert np.allclose(jeffreys(np.array([[1.0, 0.0]]), 10), [[10.5 / 11, 0.5 / 11]])
    assert np.allclose(jeffreys(np.array([0.25, 0.25, 0.5]), 4).sum(), 1.0)


def test_informative_simulator_gets_weight_near_one():
    """Classes drawn from the simulated frequencies themselves: a near 1, forecasts near f."""
    frequencies, starts, observed, _ = _data(3000, 3, 1, informative=True)
    model = OutputStatistics(3, seed=0).fit(frequencies, 10_000, starts, observed)
    assert model.simulator_weight == pytest.approx(1.0, abs=0.12)
    fresh, fresh_starts, _, fresh_truth = _data(400, 3, 2, informative=True)
    predicted = model.predict(fresh, 10_000, fresh_starts)
    assert np.abs(predicted - fresh_truth).mean() < 0.05


def test_uninformative_simulator_is_ignored_and_beats_raw():
    """Classes independent of the simulated frequencies: a near 0, better than the raw ones."""
    frequencies, starts, observed, _ = _data(2000, 4, 3, informative=False)
    model = OutputStatistics(4, seed=0).fit(frequencies, 100, starts, observed)
    assert abs(model.simulator_weight) < 0.1
    test_f, test_starts, test_y, _ = _data(500, 4, 4, informative=False)
    rows = np.arange(len(test_y))
    post = model.predict(test_f, 100, test_starts)[rows, test_y]
    raw = jeffreys(test_f, 100)[rows, test_y]
    assert np.mean(np.log(post)) > np.mean(np.log(raw)) + 0.2


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(2, 4))
def test_forecasts_are_distributions_and_reproducible(seed, k):
    frequencies, starts, observed, _ = _data(60, k, seed, informative=True)
    model = OutputStatistics(k, seed=seed).fit(frequencies, 50, starts, observed)
    predicted = model.predict(frequencies, 50, starts)
    assert predicted.shape == (60, k)
    assert np.all(predicted > 0) and np.allclose(predicted.sum(axis=1), 1.0)
    again = OutputStatistics(k, seed=seed).fit(frequencies, 50, starts, observed)
    assert np.array_equal(again.predict(frequencies, 50, starts), predicted)
