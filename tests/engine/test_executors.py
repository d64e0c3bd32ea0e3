"""Chunks on a Dask cluster give exactly the single-process result."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import redline
from redline.engine.executors import DaskExecutor


@pytest.mark.slow
def test_two_worker_processes_on_loopback_give_the_same_result():
    scenario = redline.load("kursk-2024")
    alone = redline.simulate(scenario, runs=5000, seed=9, chunk_size=1024)
    with DaskExecutor(workers=2) as executor:
        spread = redline.simulate(scenario, runs=5000, seed=9, chunk_size=2048,
                                  executor=executor, keep_runs=True)
    assert spread.to_dict() == alone.to_dict()
    assert spread.to_frame().equals(alone.to_frame())
    assert spread.per_run["outcome"].shape == (5000,)


def test_executor_needs_workers_or_a_scheduler():
    with pytest.raises(ValueError, match="either"):
        DaskExecutor()
    with pytest.raises(ValueError, match="either"):
        DaskExecutor(workers=2, scheduler="tcp://127.0.0.1:8786")


@pytest.mark.slow
def test_cli_workers_matches_single_process():
    def run(*extra):
        out = subprocess.run([sys.executable, "-m", "redline", "run", "kursk-2024", "--runs",
                              "2048", "--seed", "4", "--json", "--no-db", *extra],
                             capture_output=True, text=True, check=False)
        assert out.returncode == 0, out.stderr
        document = json.loads(out.stdout)
        document.pop("run_id", None)
        return document

    assert run("--workers", "2") == run()


def test_cli_rejects_a_bad_scheduler_address():
    out = subprocess.run([sys.executable, "-m", "redline", "run", "kursk-2024", "--scheduler",
                          "nonsense", "--no-db"], capture_output=True, text=True, check=False)
    assert out.returncode == 2 and "tcp://" in out.stderr


@pytest.mark.slow
def test_analyses_use_the_same_executor_with_the_same_result():
    """Hypotheses and interventions on two worker processes equal the single-process run."""
    from redline.analysis.hypotheses import evaluate_hypotheses
    from redline.analysis.interventions import compare

    scenario = redline.load("kursk-2024")
    alone_h = evaluate_hypotheses(scenario, runs=2048, seed=2).to_dict()
    alone_c = compare(scenario, {"deployments.prk_kursk.exists": 0}, runs=2048, seed=2).to_dict()
    with DaskExecutor(workers=2) as executor:
        spread_h = evaluate_hypotheses(scenario, runs=2048, seed=2, executor=executor).to_dict()
        spread_c = compare(scenario, {"deployments.prk_kursk.exists": 0}, runs=2048, seed=2,
                           executor=executor).to_dict()
    assert spread_h == alone_h
    assert spread_c == alone_c
