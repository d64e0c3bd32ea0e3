"""The backtest on a small slice of the ICB data (few runs, few evaluations, still minutes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from redline.history.backtest import run_backtest
from redline.history.baselines import climatology
from redline.history.cases import build_cases
from redline.history.icb import load_icb, shipped_path
from redline.history.posterior import QUICK_DESIGN

#: The slice: crises 1-70 (1918-1937); test on those triggered from 1935 on.
LAST_CRISIS, TEST_FROM = 70, 1935

#: Every test here waits on the slice's backtest (the ``result`` fixture, measured: 99 s on the
#: 2-core development machine) or runs backtests of its own (the rolling one: 204 s).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("icb")
    paths = []
    for level in (1, 2):
        lines = shipped_path(level).read_text(encoding="utf-8").splitlines()
        column = lines[0].split(",").index("crisno")
        keep = [lines[0]] + [line for line in lines[1:]
                             if int(line.split(",")[column]) <= LAST_CRISIS]
        path = folder / f"icb{level}.csv"
        path.write_text("\n".join(keep) + "\n", encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]


@pytest.fixture(scope="module")
def result(small):
    return run_backtest(load_icb(*small), TEST_FROM, runs=20, seed=5, max_evaluations=4,
                        design_points=QUICK_DESIGN)


def test_split_and_case_counts(small, result):
    cases = build_cases(load_icb(*small))
    train, test = cases.split(TEST_FROM)
    assert result.train_n == len(train.crises) and result.test_n == len(test.crises)
    assert all(c.year < TEST_FROM for c in train.crises)
    assert all(c.year >= TEST_FROM for c in test.crises)
    assert len(result.targets["outcome"].observed) == sum(a.outcome is not None
                                                         for a in test.actors)
    assert len(result.targets["majres"].observed) == sum(a.majres is not None
                                                        for a in test.actors)


def test_climatology_equals_training_base_rates(small, result):
    train, _ = build_cases(load_icb(*small)).split(TEST_FROM)
    violence = result.targets["violence"].forecasts["climatology"]
    expected = climatology([c.violence for c in train.crises], 4)
    assert np.allclose(violence, expected[None, :])
    agreement = result.targets["agreement"].forecasts["climatology"][0, 1]
    yes = sum(c.agreement for c in train.crises)
    assert agreement == pytest.approx((yes + 1) / (len(train.crises) + 2))


def test_every_forecast_is_a_distribution(result):
    for target in result.targets.values():
        for forecast in target.forecasts.values():
            assert np.allclose(forecast.sum(axis=1), 1.0)
            assert np.all(forecast >= 0)


def test_raw_is_the_smoothed_posterior_predictive(small, result):
    """raw: simulated frequencies averaged over posterior draws, half a run per class."""
    from redline.history.backtest import predictive
    from redline.history.mapping import crisis_type
    from redline.history.postprocess import jeffreys
    _, test = build_cases(load_icb(*small)).split(TEST_FROM)
    kind = crisis_type(test.crises[0].start)
    simulated = predictive(result.calibration, [kind], 20, 5, None)[kind]["violence"]
    raw = result.targets["violence"].forecasts["raw"][0]
    assert np.allclose(raw, jeffreys(simulated, 20))


def test_paired_differences_are_mean_differences(result):
    for name, target in result.targets.items():
        for baseline in ("raw", "climatology", "logistic"):
            for key, value in target.differences(baseline).items():
                expected = target.scores("redline")[key] - target.scores(baseline)[key]
                assert value["difference"] == pytest.approx(expected, abs=1e-12), name


def test_same_seed_same_result_for_any_number_of_workers(small, result):
    again = run_backtest(load_icb(*small), TEST_FROM, runs=20, seed=5, max_evaluations=4,
                         design_points=QUICK_DESIGN, workers=2)
    assert json.dumps(again.to_dict(), default=str) == json.dumps(result.to_dict(), default=str)


def test_backtest_json_keys_through_the_cli(small, tmp_path):
    plot = tmp_path / "reliability.png"
    done = subprocess.run(
        [sys.executable, "-m", "redline", "backtest", "--icb1", str(small[0]), "--icb2",
         str(small[1]), "--test-from", str(TEST_FROM), "--quick",
         "--json", "--plot", str(plot)],
        capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {"train_n", "test_n", "targets"} <= set(data)
    for target, score in (("violence", "rps"), ("outcome", "rps"), ("agreement", "brier"),
                          ("majres", "rps"), ("actor_violence", "rps"), ("timing", "rps"),
                          ("duration", "rps")):
        assert {"n", "redline", "raw", "climatology", "logistic"} <= set(
            data["targets"][target])
        for model in ("redline", "raw", "climatology", "logistic"):
            assert {score, "log"} <= set(data["targets"][target][model])
    assert set(data["calibration"]["intervals_95"]) == set(data["calibration"]["parameters"])
    assert plot.stat().st_size > 1000


def test_rolling_splits_each_calibrated_on_what_came_before(small, result):
    from redline.history.backtest import run_rolling
    rolling = run_rolling(load_icb(*small), (1930, 1935), runs=20, seed=5, max_evaluations=4,
                          design_points=QUICK_DESIGN)
    data = rolling.to_dict()
    assert [s["test_from"] for s in data["splits"]] == [1930, 1935]
    assert data["splits"][0]["train_n"] < data["splits"][1]["train_n"]
    assert data["splits"][1]["targets"] == json.loads(json.dumps(result.target_scores()))
    average = data["average"]["violence"]["redline"]["rps"]
    assert average == pytest.approx(np.mean([s["targets"]["violence"]["redline"]["rps"]
                                             for s in data["splits"]]))


def test_workers_end_when_the_backtest_is_killed(small):
    """kill -9 of the command leaves no worker process behind."""
    import os
    import signal
    import time

    import psutil
    process = subprocess.Popen(
        [sys.executable, "-m", "redline", "backtest", "--icb1", str(small[0]), "--icb2",
         str(small[1]), "--test-from", str(TEST_FROM), "--workers", "2", "--json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    main = psutil.Process(process.pid)
    deadline = time.monotonic() + 120
    workers: list[psutil.Process] = []
    def command_line(child: psutil.Process) -> str:
        """The child's command line; empty for one that ended (or is a zombie) meanwhile."""
        try:
            return " ".join(child.cmdline())
        except psutil.NoSuchProcess:  # ZombieProcess is a NoSuchProcess
            return ""

    while time.monotonic() < deadline and len(workers) < 2:
        workers = [child for child in main.children(recursive=True)
                   if "spawn_main" in command_line(child)]
        time.sleep(0.2)
    assert len(workers) == 2, "the pool did not start"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    _, alive = psutil.wait_procs(workers, timeout=15)
    assert not alive, [w.pid for w in alive]
