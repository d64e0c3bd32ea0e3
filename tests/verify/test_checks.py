"""`redline verify`: the checks, their JSON form, and the exit status."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest
from typer.testing import CliRunner

from redline import cli
from redline.verify import registry
from redline.verify.checks import compare

KEYS = {"name", "source", "published", "ours", "tolerance", "pass", "checkpoints"}


def test_simulator_suite_passes_with_the_documented_keys():
    out = subprocess.run([sys.executable, "-m", "redline", "verify", "--suite", "simulator",
                          "--json"], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert document["failed"] == 0
    assert document["checks"] and all(KEYS <= set(check) for check in document["checks"])


def test_a_failing_check_makes_the_exit_status_non_zero(monkeypatch):
    failing = types.ModuleType("failing_suite")
    failing.checks = lambda: [compare("demo", "nowhere", 1.0, 2.0, 0.1)]
    monkeypatch.setitem(sys.modules, "failing_suite", failing)
    monkeypatch.setitem(registry.SUITES, "failing", "failing_suite")
    result = CliRunner().invoke(cli.app, ["verify", "--suite", "failing"])
    assert result.exit_code == 1
    assert "NO" in result.output


def test_unknown_suite_is_a_usage_error():
    result = CliRunner().invoke(cli.app, ["verify", "--suite", "nope"])
    assert result.exit_code == 2


@pytest.mark.parametrize(("published", "ours", "tolerance", "relative", "passed"), [
    (1.0, 1.05, 0.1, False, True), (1.0, 1.2, 0.1, False, False),
    (100.0, 104.0, 0.05, True, True), (100.0, 106.0, 0.05, True, False),
    ([1.0, 2.0], [1.0], 0.1, False, False), (1.0, float("nan"), 1.0, False, False),
])
def test_compare(published, ours, tolerance, relative, passed):
    assert compare("x", "y", published, ours, tolerance, relative=relative).passed is passed
