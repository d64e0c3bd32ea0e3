"""The backtest's targets: ICB codes and simulated weeks fall into the same classes."""

from __future__ import annotations

import csv
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from redline.arrays.state import NEVER
from redline.history.cases import build_cases
from redline.history.forecast import _duration, _response, _violence_classes
from redline.history.icb import load_icb, shipped_path
from redline.history.mapping import RESPONSE_RUNGS
from redline.history.targets import (
    DURATION_DAYS,
    TIMING_DAYS,
    days_class,
    majres_class,
    sevvio_class,
    weeks_class,
)
from redline.scenario.models import OUTCOMES


@pytest.mark.parametrize(("days", "expected"), [
    (1, 0), (7, 0), (8, 1), (30, 1), (31, 2), (90, 2), (91, 3), (485, 3),
    (None, None), (0, None), (-9, None)])
def test_timing_bins_are_inclusive_upper_edges(days, expected):
    assert days_class(days, TIMING_DAYS) == expected


@pytest.mark.parametrize(("week", "timing", "duration"), [
    (0, 0, 0), (1, 0, 0), (2, 1, 0), (4, 1, 0), (5, 2, 1), (12, 2, 1), (13, 3, 1),
    (14, 3, 2), (26, 3, 2), (27, 3, 3), (NEVER, 3, 3)])
def test_a_simulated_week_is_day_seven_w(week, timing, duration):
    weeks = np.array([week], dtype=np.int64)
    assert weeks_class(weeks, TIMING_DAYS)[0] == timing
    assert weeks_class(weeks, DURATION_DAYS)[0] == duration
    # the same day count gives the same class on both sides
    if week not in (0, NEVER):
        assert days_class(7 * week, TIMING_DAYS) == timing


@given(st.integers(1, 10_000))
def test_week_and_day_classes_agree(days):
    weeks = days // 7
    if weeks and days % 7 == 0:
        assert weeks_class(np.array([weeks]), DURATION_DAYS)[0] == days_class(days,
                                                                              DURATION_DAYS)


def test_majres_classes():
    assert [majres_class(code) for code in range(1, 10)] == [0, 0, 0, 0, 0, 1, 1, 2, 2]
    assert majres_class(None) is None and majres_class(-9) is None


def test_sevvio_classes():
    assert [sevvio_class(code) for code in range(1, 5)] == [0, 1, 2, 3]
    assert sevvio_class(None) is None and sevvio_class(0) is None


def test_actor_cases_count_the_csv_codes():
    """The classes of the shipped data equal a direct count of the CSV's codes."""
    with shipped_path(2).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    expected = Counter(majres_class(int(r["majres"])) for r in rows if r["majres"])
    expected_timing = Counter(days_class(int(r["trgresra"]), TIMING_DAYS)
                              for r in rows if r["trgresra"])
    expected_violence = Counter(sevvio_class(int(r["sevvio"])) for r in rows if r["sevvio"])
    actors = build_cases(load_icb()).actors
    assert len(actors) == len(rows)
    assert Counter(a.majres for a in actors) == expected
    assert Counter(a.actor_violence for a in actors) == expected_violence
    assert Counter(a.timing for a in actors if a.timing is not None) == Counter(
        {k: v for k, v in expected_timing.items() if k is not None})


def test_response_is_the_highest_rung_reached_and_its_week():
    ids = [f"ca_{rung}" for rung in RESPONSE_RUNGS] + ["other"]
    weeks = np.array([
        [NEVER, NEVER, NEVER, 1],   # no response: non-military, never (> 90 days)
        [1, NEVER, NEVER, 1],       # pressure in week 1
        [1, 6, NEVER, 1],           # a show of force in week 6 (42 days)
        [2, 3, 20, NEVER],          # clashes in week 20
    ], dtype=np.int64)
    majres, timing = _response(weeks != NEVER, weeks, ids)
    assert majres.tolist() == [0, 0, 1, 2]
    assert timing.tolist() == [3, 0, 2, 3]


def test_actor_violence_is_the_highest_violent_rung_the_actor_reached():
    ids = ["ca_pressure", "ca_clashes", "ca_serious_clashes", "ca_war"]
    happened = np.array([
        [True, False, False, False],   # pressure only: no violence
        [True, True, False, False],    # minor clashes
        [False, True, True, False],    # serious clashes
        [False, False, False, True],   # war without the rungs below recorded: war
    ])
    counts = _violence_classes(happened, ids, "ca_{}")
    assert counts.tolist() == [1.0, 1.0, 1.0, 1.0]
    assert _violence_classes(happened[1:2], ids, "ca_{}").tolist() == [0.0, 1.0, 0.0, 0.0]


def test_duration_ends_at_the_first_end():
    settled, ongoing = OUTCOMES.index("settlement"), OUTCOMES.index("ongoing")
    collapse = OUTCOMES.index("military_collapse")
    outcome = np.array([settled, ongoing, collapse, collapse, ongoing])
    end = np.array([26, 26, 3, 20, 26])
    abates = np.array([2, NEVER, NEVER, 8, 15])
    assert _duration(outcome, end, abates).tolist() == [0, 3, 0, 1, 2]
