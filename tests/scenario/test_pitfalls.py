"""Valid scenarios that probably say something else: validate warns, at the line (issue 20)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from redline.scenario.loader import load_scenario
from redline.scenario.pitfalls import file_warnings
from tests.support.paths import MINI


def _validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "redline", "validate", *map(str, paths)],
                          capture_output=True, text=True, timeout=300, check=False)


def _line(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_the_mini_scenario_has_no_pitfall():
    assert file_warnings(MINI, load_scenario(MINI)) == []


def test_a_red_line_crossed_at_the_start_is_flagged(tmp_path):
    text = MINI.read_text(encoding="utf-8").replace(
        "B: {name: Beta, capability: {uniform: [0.5, 1.0]}, war_cost: 0.2}",
        "B: {name: Beta, capability: {uniform: [0.5, 1.0]}, war_cost: 0.2, "
        "initial_posture: strike}")
    path = tmp_path / "crossed.yaml"
    path.write_text(text, encoding="utf-8")
    warnings = file_warnings(path, load_scenario(path))
    assert len(warnings) == 1
    assert warnings[0].line == _line(text, "declared_at: strike")
    assert "crossed at the start: B starts at 'strike'" in warnings[0].message
    assert "tested_at_start: false" in warnings[0].expected
    done = _validate(path)
    assert done.returncode == 0 and done.stdout.startswith("ok:")
    assert "crossed at the start" in done.stderr
    # a line that tests the start answers the crossing in week 1: nothing to warn about
    path.write_text(text.replace("follow_through: 0.2}", "follow_through: 0.2, "
                                 "tested_at_start: false}"), encoding="utf-8")
    assert file_warnings(path, load_scenario(path)) == []


def test_a_red_line_on_its_own_owner_and_a_deadline_past_the_horizon_are_flagged(tmp_path):
    text = MINI.read_text(encoding="utf-8").replace("applies_to: [B, C]", "applies_to: [A, B, C]")
    text = text.replace("event: {outcome: nuclear_use}, by_week: 20",
                        "event: {outcome: nuclear_use}, by_week: 30")
    path = tmp_path / "odd.yaml"
    path.write_text(text, encoding="utf-8")
    warnings = file_warnings(path, load_scenario(path))
    messages = {warning.line: warning.message for warning in warnings}
    assert "applies to its own owner 'A'" in messages[_line(text, "applies_to: [A, B, C]")]
    assert "without audience_cost" in messages[_line(text, "applies_to: [A, B, C]")]
    assert "past the horizon (week 20)" in messages[_line(text, "by_week: 30")]
    assert len(warnings) == 2
    # a self-limit with its audience cost says what it means: nothing to warn about
    path.write_text(text.replace("applies_to: [A, B, C]",
                                 "applies_to: [A, B, C], audience_cost: 0.5"), encoding="utf-8")
    warnings = file_warnings(path, load_scenario(path))
    assert [w for w in warnings if "own owner" in w.message] == []


@pytest.mark.slow
def test_a_resolution_after_its_deadline_is_flagged_and_a_missing_scenario_refused(tmp_path):
    scenario = tmp_path / "mini.yaml"
    scenario.write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    resolutions = tmp_path / "mini.resolutions.yaml"
    text = ("resolutions:\n"
            "  - {question: strike_used, outcome: true, date: 2024-04-01}\n"
            "  - {question: nuclear, outcome: false}\n")
    resolutions.write_text(text, encoding="utf-8")
    done = _validate(resolutions)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (f"ok: {resolutions} (2 resolutions of scenario mini's "
                                   "2 questions)")
    warning, = done.stderr.splitlines()
    assert warning.startswith(f"{resolutions}:2:")
    assert "after its deadline 2024-03-11 (week 10): it is scored as false" in warning
    scenario.unlink()
    done = _validate(resolutions)
    assert done.returncode == 2 and done.stdout == ""
    assert "no scenario beside this resolutions file" in done.stderr


def test_a_built_in_scenario_is_checked_with_its_resolutions():
    done = _validate(Path("cuba-1962"))
    assert done.returncode == 0, done.stderr
    assert "ok: cuba-1962 resolutions (14 resolutions" in done.stdout
    assert "'us_offensive_missiles' is crossed at the start" in done.stderr
