"""The ICB library: loading, clear errors, and the crises commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from redline.history.codebook import CODEBOOK, WHEN, meaning
from redline.history.icb import ICBDataError, load_icb, shipped_path
from tests.support.paths import ROOT


def redline(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "redline", *map(str, args)],
                          capture_output=True, text=True, timeout=600, check=False)


def test_shipped_data_loads_whole():
    data = load_icb()
    assert len(data.crises) == 446
    assert len(data.actors) == 982
    assert data.crises["yrtrig"].min() == 1918 and data.crises["yrtrig"].max() == 2004
    assert set(data.crises["viol"].dropna().astype(int)) == {1, 2, 3, 4}


def test_shipped_data_is_the_shared_copy():
    shared = ROOT.parent / "shared" / "data" / "icb"
    if not shared.is_dir():
        pytest.skip("no shared data beside the project")
    for level in (1, 2):
        assert shipped_path(level).read_bytes() == (
            shared / shipped_path(level).name).read_bytes()


def _rewrite(tmp_path: Path, level: int, edit) -> Path:
    lines = shipped_path(level).read_text(encoding="utf-8").splitlines()
    out = tmp_path / f"icb{level}.csv"
    out.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return out


def test_missing_column_names_file_and_column(tmp_path):
    bad = _rewrite(tmp_path, 1,
                   lambda lines: [lines[0].replace(",viol,", ",violence,"), *lines[1:]])
    with pytest.raises(ICBDataError) as error:
        load_icb(bad, None)
    assert error.value.column == "viol" and error.value.line == 1
    assert str(bad) in str(error.value)


def test_malformed_value_names_line_and_column(tmp_path):
    def edit(lines):
        header = lines[0].split(",")
        row = lines[3].split(",")
        row[header.index("triggr")] = "nine"
        return [lines[0], lines[1], lines[2], ",".join(row), *lines[4:]]
    bad = _rewrite(tmp_path, 2, edit)
    with pytest.raises(ICBDataError) as error:
        load_icb(None, bad)
    assert (error.value.line, error.value.column) == (4, "triggr")
    assert "'nine' is not a number" in str(error.value)


def test_actor_of_an_unknown_crisis_is_an_error(tmp_path):
    bad = _rewrite(tmp_path, 1, lambda lines: [lines[0], *lines[2:]])
    with pytest.raises(ICBDataError, match="crisis 1 is not in"):
        load_icb(bad, None)


@pytest.mark.slow
def test_backtest_cli_errors_exit_2_without_traceback(tmp_path):
    bad = _rewrite(tmp_path, 1,
                   lambda lines: [lines[0].replace(",forout,", ",form,"), *lines[1:]])
    for args in (["--icb1", tmp_path / "nothing.csv"], ["--icb1", bad],
                 ["--test-from", "1800"]):
        done = redline("backtest", *args, "--json")
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and done.stdout == ""
    assert f"{bad}:1: column 'forout'" in redline("backtest", "--icb1", bad).stderr


def test_codebook_meanings_and_timing():
    assert meaning("viol", 4) == "full-scale war"
    assert meaning("outcom", 1) == "victory"
    assert meaning("triggr", 9) == "violent act"
    assert meaning("gravty", None) == "missing"
    assert set(WHEN) >= set(CODEBOOK) - {"break"} | {"break"}
    assert {name for name, when in WHEN.items() if when == "after"} >= {
        "viol", "outcom", "outfor", "forout", "crismg"}


@pytest.mark.slow
def test_crises_list_search_and_show():
    done = redline("crises", "--search", "cuban missiles", "--json")
    assert done.returncode == 0, done.stderr
    crises = json.loads(done.stdout)["crises"]
    assert [c["crisno"] for c in crises] == [196]
    assert {"crisno", "name", "years", "actors", "violence", "outcome"} <= set(crises[0])
    assert crises[0]["actors"] == ["USA", "CUB", "RUS"]
    shown = redline("crises", "show", "196", "--json")
    assert shown.returncode == 0, shown.stderr
    usa = {v["variable"]: v for v in json.loads(shown.stdout)["actors"]["USA"]}
    assert usa["nuclear"]["meaning"] == "developed, with second strike"
    assert usa["outcom"]["known"] == "after"
    missing = redline("crises", "show", "9999")
    assert missing.returncode == 2 and "no crisis number 9999" in missing.stderr
