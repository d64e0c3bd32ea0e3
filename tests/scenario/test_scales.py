"""One scale for every scenario: validate warns about numbers outside their unit's range."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from redline.scenario.scales import RANGES, _extent, scale_warnings
from redline.scenario.yaml_source import read_yaml
from tests.support.paths import MINI


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "redline", "validate", str(path)],
                          capture_output=True, text=True, timeout=300, check=False)


def test_numbers_outside_their_range_are_warned_at_their_line(tmp_path):
    text = MINI.read_text(encoding="utf-8").replace(
        "{id: war, severity: 2, effect: 0.05, cost: 0.001}",
        "{id: war, severity: 2, effect: 0.05, cost: 80}")
    text += "model:\n  rationality: 50\n  switching_cost: 0.1\n"
    path = tmp_path / "loud.yaml"
    path.write_text(text, encoding="utf-8")
    done = _validate(path)
    assert done.returncode == 0 and "ok:" in done.stdout
    lines = done.stderr.splitlines()
    cost_line = next(i for i, line in enumerate(text.splitlines(), 1) if "cost: 80" in line)
    assert any(line.startswith(f"{path}:{cost_line}:") and "cost 80" in line
               and "share of the stakes per week" in line for line in lines)
    assert sum("fixed without a source" in line for line in lines) == 2


def test_sourced_judgements_and_in_range_numbers_are_quiet(tmp_path):
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    data["model"] = {"rationality": 50, "sources": {"rationality": "judgement: a test"}}
    path = tmp_path / "quiet.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = _validate(path)
    assert done.returncode == 0 and done.stderr == ""


def test_a_source_for_an_unknown_parameter_is_an_error(tmp_path):
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    data["model"] = {"sources": {"rationalty": "typo"}}
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = _validate(path)
    assert done.returncode == 2 and "rationalty" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(("spec", "extent"), [
    (0.3, (0.3, 0.3)), ({"uniform": [0.1, 0.4]}, (0.1, 0.4)), ({"beta": [2, 5]}, (0.0, 1.0)),
    ({"normal": [1.0, 0.5]}, (-0.5, 2.5)), ("text", None), (True, None)])
def test_extent_of_numbers_and_laws(spec, extent):
    assert _extent(spec) == (pytest.approx(extent) if extent else None)


def test_built_in_scenarios_are_in_range():
    from redline.scenarios import builtin_names, resolve
    for name in builtin_names():
        path = resolve(name)
        data, source, _ = read_yaml(path.read_text(encoding="utf-8"), str(path))
        assert scale_warnings(data, source, str(path)) == [], name


def test_every_range_has_its_unit_and_anchor():
    assert all(r.low < r.high and r.unit and r.anchor for r in RANGES.values())


def test_a_pressure_cost_is_checked_in_the_unit_of_a_rung_cost(tmp_path):
    text = MINI.read_text(encoding="utf-8") + (
        "pressures:\n  embargo: {by: [B], target: A, cost: 40}\n")
    path = tmp_path / "sanctions.yaml"
    path.write_text(text, encoding="utf-8")
    done = _validate(path)
    assert done.returncode == 0 and "ok:" in done.stdout
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "cost: 40" in row)
    assert any(row.startswith(f"{path}:{line}:") and "cost 40" in row
               for row in done.stderr.splitlines())
