"""Tests of redline.games.negotiation: the expected utility model of group decisions.

Oracle tests reproduce the numbers Scholz, Calbert & Smith (2011, J. Theor.
Politics 23(4)) publish for Bueno de Mesquita's 10-actor EC example, to half a
unit of the last published digit. Invariants are checked with hypothesis; the
pinned trajectory (rounds 2-10, not published to this precision) is a
regression test, kept apart.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from redline.games.negotiation import (
    Conventions,
    NegotiationActor,
    classify,
    example_actors,
    expected_utilities,
    risk_exponents,
    simulate_negotiation,
    weighted_median,
    win_probabilities,
)
from redline.games.negotiation_terms import settlement_terms, settlement_terms_runs
from redline.verify import negotiation_checks

FIVE_DECIMALS = 5e-6


@pytest.fixture(scope="module")
def example():
    return simulate_negotiation(example_actors(), rounds=10)


def _position(result, name, round_):
    return float(result.positions[round_, result.names.index(name)])


def _moves(result, round_=0):
    return {move.mover: move for move in result.interactions[round_]}


# ----------------------------------------------------- published numbers (oracle)


def test_initial_mean_and_median(example):
    """Scholz et al. (2011): starting mean 7.38996 (c x s weighted), median 7.0."""
    assert abs(example.mean[0] - 7.38996) <= FIVE_DECIMALS
    assert example.median[0] == 7.0


def test_round_one_moves(example):
    """Scholz et al. (2011), round 1: Belgium compromises with France to 8.41593;
    Luxembourg and Ireland lose confrontations, moving to 7 and 4."""
    moves = _moves(example)
    assert set(moves) == {"Belgium", "Luxembourg", "Ireland"}
    assert moves["Belgium"].kind == "compromise" and moves["Belgium"].proposer == "France"
    assert abs(_position(example, "Belgium", 1) - 8.41593) <= FIVE_DECIMALS
    assert moves["Luxembourg"].kind == "conflict" and _position(example, "Luxembourg", 1) == 7.0
    assert moves["Ireland"].kind == "conflict" and _position(example, "Ireland", 1) == 4.0


def test_mean_after_round_one(example):
    """Scholz et al. (2011): mean 7.46131 after round 1."""
    assert abs(example.mean[1] - 7.46131) <= FIVE_DECIMALS


def test_verification_checks_pass():
    results = negotiation_checks.checks()
    assert len(results) == 6
    failed = [check.name for check in results if not check.passed]
    assert not failed
    assert all(check.source.startswith("Scholz") for check in results)


def test_check_fails_when_the_kind_is_wrong(monkeypatch):
    """A right position reached by the wrong kind of move does not pass."""
    original = simulate_negotiation(example_actors(), rounds=10)
    moves = list(original.interactions[0])
    moves = [move._replace(kind="capitulation") if move.mover == "Luxembourg" else move
             for move in moves]
    forged = dataclasses.replace(original,
                                 interactions=(tuple(moves), *original.interactions[1:]))
    monkeypatch.setattr(negotiation_checks, "simulate_negotiation", lambda *a, **k: forged)
    verdicts = {check.name: check.passed for check in negotiation_checks.checks()}
    assert not verdicts["negotiation.bdm_example.round1_luxembourg"]
    assert verdicts["negotiation.bdm_example.round1_belgium"]


# ------------------------------------------------------------ pinned regression


def test_pinned_trajectory(example):
    """Our means for rounds 1-10 (regression, 1e-6; only round 1 is published)."""
    pinned = [7.461314, 7.552501, 7.590145, 7.358131, 7.349174, 7.414878, 7.510457,
              7.572447, 7.324989, 7.242131]
    np.testing.assert_allclose(example.mean[1:], pinned, atol=1e-6)
    assert example.forecast == example.median[-1] == 7.0
    assert example.positions.shape == (11, 10) and example.risk_exponents.shape == (10, 10)


# ----------------------------------------------------------------- the pieces


def test_weighted_median_is_the_condorcet_winner():
    x = np.array([4.0, 7.0, 10.0, 1.0])
    w = np.array([0.3, 0.1, 0.35, 0.25])
    median = weighted_median(x, w)
    votes = [(w * (np.abs(x - other) - np.abs(x - median))).sum() for other in x]
    assert min(votes) >= 0.0


def test_contest_probabilities_are_complementary():
    x = np.array([0.0, 3.0, 5.0, 9.0])
    w = np.array([0.5, 0.2, 0.8, 0.4])
    p = win_probabilities(x, w, 9.0, denominator="contest")
    off = ~np.eye(4, dtype=bool)
    np.testing.assert_allclose((p + p.T)[off], 1.0)
    pooled = win_probabilities(x, w, 9.0, denominator="all_contests")
    assert (pooled + pooled.T)[off].max() < 1.0 and pooled.max() <= 0.5


def test_risk_exponents_span_half_to_two():
    r = risk_exponents(np.array([-3.0, 0.5, 2.0]))
    np.testing.assert_allclose(r[[0, -1]], [2.0, 0.5])
    np.testing.assert_array_equal(risk_exponents(np.ones(3)), np.ones(3))
    assert risk_exponents(np.array([0.0, 1.0]), risk_scale=5.0)[0] == pytest.approx(1.5)


def test_risk_neutral_utilities_are_twice_the_distance():
    """With r = 1 and Q = 1, U_s - U_sq = 2d and U_f - U_sq = -2d."""
    x = np.array([0.0, 0.25])
    certain = expected_utilities(x, np.array([0.0, 0.0]), np.zeros((2, 2)), np.ones((2, 2)),
                                 1.0, 0.0)
    np.testing.assert_allclose(certain[0, 1], 0.5)
    resisted = expected_utilities(x, np.array([1.0, 1.0]), np.zeros((2, 2)), np.ones((2, 2)),
                                  1.0, 0.0)
    np.testing.assert_allclose(resisted[0, 1], -0.5)


@given(st.floats(-2.0, 2.0), st.floats(-2.0, 2.0))
def test_classification_is_continuous_at_the_compromise_boundary(own, other):
    verdict = classify(own, other)
    if verdict is None:
        assert own > 0.0 and own >= other
        return
    kind, fraction = verdict
    assert 0.0 <= fraction <= 1.0
    if kind == "compromise":
        assert own <= 0.0 < other and fraction == pytest.approx(-own / other)
    assert classify(-0.5, 0.5) == ("compromise", 1.0)


# ----------------------------------------------------------------- invariants


def _grid(low, high, steps):
    return st.integers(0, steps).map(lambda k: low + (high - low) * k / steps)


@st.composite
def negotiations(draw, min_size=2, max_size=6, positions=None):
    n = draw(st.integers(min_size, max_size))
    position = positions if positions is not None else st.one_of(_grid(0.0, 10.0, 10),
                                      st.floats(-50.0, 50.0, allow_nan=False,
                                                allow_subnormal=False))
    actors = [NegotiationActor(f"A{i}", draw(_grid(0.0, 1.0, 20)), draw(position),
                               draw(_grid(0.0, 1.0, 20)))
              for i in range(n)]
    assume(sum(actor.capability * actor.salience for actor in actors) > 0.0)
    return actors


@settings(max_examples=60, deadline=None)
@given(negotiations())
def test_positions_stay_within_the_initial_range(actors):
    result = simulate_negotiation(actors, rounds=6)
    initial = result.positions[0]
    slack = 1e-9 * max(1.0, float(np.abs(initial).max()))
    assert result.positions.min() >= initial.min() - slack
    assert result.positions.max() <= initial.max() + slack
    assert np.all((result.median >= initial.min()) & (result.median <= initial.max()))


@settings(max_examples=40, deadline=None)
@given(negotiations(), st.randoms(use_true_random=False))
def test_permuting_actors_permutes_results(actors, random):
    order = list(range(len(actors)))
    random.shuffle(order)
    base = simulate_negotiation(actors, rounds=5)
    shuffled = simulate_negotiation([actors[i] for i in order], rounds=5)
    np.testing.assert_array_equal(shuffled.positions, base.positions[:, order])
    np.testing.assert_array_equal(shuffled.risk_exponents, base.risk_exponents[:, order])
    np.testing.assert_array_equal(shuffled.mean, base.mean)
    np.testing.assert_array_equal(shuffled.median, base.median)
    for ours, theirs in zip(shuffled.interactions, base.interactions, strict=True):
        assert sorted(ours) == sorted(theirs)


@settings(max_examples=60, deadline=None)
@given(negotiations(max_size=5, positions=_grid(0.0, 10.0, 10)), _grid(0.0, 10.0, 10),
       _grid(0.0, 1.0, 10))
def test_an_actor_without_salience_never_moves_others(actors, position, capability):
    """Under the replication's conventions E(U_ij) >= E(U_ji) when s_j = 0."""
    actors = [*actors, NegotiationActor("Z", capability, position, 0.0)]
    result = simulate_negotiation(actors, rounds=5)
    assert all(move.proposer != "Z" for moves in result.interactions for move in moves)


@settings(max_examples=30, deadline=None)
@given(negotiations(max_size=4, positions=_grid(0.0, 4.0, 4)), _grid(0.0, 4.0, 4),
       st.sampled_from([Conventions(perspective="own"),
                        Conventions(status_quo_probability=0.5)]))
def test_passive_switch_silences_actors_without_salience(actors, position, conventions):
    actors = [*actors, NegotiationActor("Z", 1.0, position, 0.0)]
    guarded = dataclasses.replace(conventions, passive_without_salience=True)
    result = simulate_negotiation(actors, rounds=3, conventions=guarded)
    assert all(move.proposer != "Z" for moves in result.interactions for move in moves)


def test_without_the_switch_an_actor_without_salience_can_move_others():
    actors = [NegotiationActor("A0", 1.0, 2.0, 0.1), NegotiationActor("A1", 1.0, 3.0, 0.6),
              NegotiationActor("A2", 0.2, 2.0, 0.9), NegotiationActor("Z", 0.5, 4.0, 0.0)]
    free = simulate_negotiation(actors, rounds=1, conventions=Conventions(perspective="own"))
    assert _moves(free)["A0"].proposer == "Z"
    guarded = Conventions(perspective="own", passive_without_salience=True)
    moves = _moves(simulate_negotiation(actors, rounds=1, conventions=guarded))
    assert all(move.proposer != "Z" for move in moves.values())


@settings(max_examples=30, deadline=None)
@given(negotiations(), st.floats(-100.0, 100.0, allow_nan=False, allow_subnormal=False))
def test_nothing_moves_when_all_agree(actors, position):
    actors = [dataclasses.replace(actor, position=position) for actor in actors]
    result = simulate_negotiation(actors, rounds=4)
    assert np.all(result.positions == position)
    assert all(not moves for moves in result.interactions)
    assert result.forecast == position


def test_forecast_does_not_depend_on_units(example):
    """With the range of initial positions as the unit, x -> a x + b maps the trajectory."""
    rescaled = [dataclasses.replace(actor, position=(actor.position - 4.0) / 6.0)
                for actor in example_actors()]
    result = simulate_negotiation(rescaled, rounds=10)
    np.testing.assert_allclose(result.positions * 6.0 + 4.0, example.positions, atol=1e-9)
    assert [[m.kind for m in r] for r in result.interactions] == \
        [[m.kind for m in r] for r in example.interactions]


def test_no_rounds_and_one_actor():
    lone = simulate_negotiation([NegotiationActor("A", 1.0, 3.0, 0.5)], rounds=3)
    assert lone.forecast == 3.0 and lone.rounds == 3
    start = simulate_negotiation(example_actors(), rounds=0)
    assert start.positions.shape == (1, 10) and start.risk_exponents.shape == (0, 10)
    assert start.interactions == ()


# ------------------------------------------------------------ conventions switch


def _round_one(conventions, rounds=1):
    return simulate_negotiation(example_actors(), rounds=rounds, conventions=conventions)


def test_median_weight_changes_the_median_only():
    actors = [NegotiationActor("A", 1.0, 0.0, 0.1), NegotiationActor("B", 0.5, 1.0, 1.0),
              NegotiationActor("C", 0.3, 0.4, 0.5)]
    base = simulate_negotiation(actors, rounds=4)
    by_capability = simulate_negotiation(actors, rounds=4,
                                         conventions=Conventions(median_weight="capability"))
    np.testing.assert_array_equal(base.positions, by_capability.positions)
    np.testing.assert_array_equal(base.mean, by_capability.mean)
    assert base.median[0] == 1.0 and by_capability.median[0] == 0.0


def test_risk_switch():
    neutral = _round_one(Conventions(risk=False))
    np.testing.assert_array_equal(neutral.risk_exponents, 1.0)
    assert _position(neutral, "Belgium", 1) == pytest.approx(9.8241, abs=1e-4)
    # with every r = 1 the perspective no longer matters
    own = _round_one(Conventions(risk=False, perspective="own"), rounds=5)
    np.testing.assert_array_equal(own.positions, _round_one(Conventions(risk=False),
                                                            rounds=5).positions)


@pytest.mark.parametrize(("conventions", "belgium"), [
    (Conventions(risk_adjusted_votes=False), 8.42722),
    (Conventions(perspective="own"), 8.77875),
    (Conventions(risk_scale=5.0), 8.85199),
    (Conventions(vote_weight="capability"), 8.41106),
])
def test_switches_that_move_belgiums_compromise(conventions, belgium):
    """Each of these conventions enters the published 8.41593 (pinned, 1e-5)."""
    result = _round_one(conventions)
    assert _moves(result)["Belgium"].kind == "compromise"
    assert _position(result, "Belgium", 1) == pytest.approx(belgium, abs=1e-5)
    assert result.mean[0] == pytest.approx(7.38996, abs=FIVE_DECIMALS)


def test_contest_denominator_sets_off_a_stampede():
    """Eq. 30-31 as printed (P_ij + P_ji = 1) does not reproduce the published round."""
    result = _round_one(Conventions(probability_denominator="contest"))
    assert len(result.interactions[0]) == 8
    assert abs(result.mean[1] - 7.46131) > 0.1


@pytest.mark.parametrize("order", ["enforceability", "least_move"])
def test_offer_order_decides_luxembourgs_move(order):
    result = _round_one(Conventions(offer_order=order))
    assert _moves(result)["Luxembourg"].kind == "compromise"
    assert _position(result, "Belgium", 1) == pytest.approx(8.41593, abs=FIVE_DECIMALS)


def test_compromise_choice_matters_from_round_four(example):
    nearest = _round_one(Conventions(compromise_choice="least_move"), rounds=10)
    np.testing.assert_array_equal(nearest.positions[:4], example.positions[:4])
    assert _moves(example, 3)["Belgium"].proposer == "Netherlands"
    assert _moves(nearest, 3)["Belgium"].proposer == "France"


def test_status_quo_probability_brings_in_the_median():
    result = _round_one(Conventions(status_quo_probability=0.5))
    assert _moves(result)["Belgium"].kind == "conflict"


def test_current_range_differs_once_an_extreme_actor_moves():
    actors = [NegotiationActor("A0", 1.0, 1.0, 0.3), NegotiationActor("A1", 0.2, 2.0, 0.1),
              NegotiationActor("A2", 0.2, 1.0, 0.9), NegotiationActor("A3", 0.5, 0.0, 0.6)]
    initial = simulate_negotiation(actors, rounds=4)
    current = simulate_negotiation(actors, rounds=4,
                                   conventions=Conventions(utility_range="current"))
    np.testing.assert_array_equal(initial.positions[:2], current.positions[:2])
    assert not np.allclose(initial.positions, current.positions)


@pytest.mark.parametrize("field", [
    {"utility_range": "fixed"}, {"offer_order": "random"}, {"risk_scale": 1.0},
    {"status_quo_probability": 1.5}, {"perspective": "mine"},
])
def test_invalid_conventions(field):
    with pytest.raises(ValueError, match="Conventions"):
        Conventions(**field)


@pytest.mark.parametrize(("actors", "rounds", "message"), [
    ([NegotiationActor("A", -1.0, 0.0, 0.5)], 1, "capability"),
    ([NegotiationActor("A", 1.0, 0.0, 1.5)], 1, "salience"),
    ([NegotiationActor("A", 1.0, float("nan"), 0.5)], 1, "position"),
    ([NegotiationActor("A", 1.0, 0.0, 0.0), NegotiationActor("B", 0.0, 1.0, 1.0)], 1,
     "nothing to forecast"),
    ([], 1, "at least one"),
    ([NegotiationActor("A", 1.0, 0.0, 0.5)], -1, "rounds"),
])
def test_invalid_inputs(actors, rounds, message):
    with pytest.raises(ValueError, match=message):
        simulate_negotiation(actors, rounds=rounds)


# ------------------------------------------------------------ settlement terms


def test_settlement_terms_on_the_example_rescaled(example):
    actors = example_actors()
    terms = settlement_terms({a.name: (a.position - 4.0) / 6.0 for a in actors},
                             capability={a.name: a.capability for a in actors},
                             salience={a.name: a.salience for a in actors})
    assert terms == pytest.approx((example.forecast - 4.0) / 6.0)


def test_settlement_terms_validates():
    with pytest.raises(ValueError, match="share"):
        settlement_terms({"A": 1.2}, {"A": 1.0}, {"A": 0.5})
    with pytest.raises(ValueError, match="required"):
        settlement_terms({"A": 0.2, "B": 0.8}, {"A": 1.0}, {"A": 0.5, "B": 0.5})


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(_grid(0.0, 1.0, 10), _grid(0.05, 1.0, 19), _grid(0.05, 1.0, 19)),
                min_size=2, max_size=5))
def test_settlement_terms_runs_match_single_runs(rows):
    positions, capability, salience = (np.array(column) for column in zip(*rows, strict=True))
    runs = np.stack([capability, capability[::-1], capability])
    terms = settlement_terms_runs(positions, runs, salience, rounds=4)
    assert terms.shape == (3,) and terms[0] == terms[2]
    assert np.all((terms >= positions.min()) & (terms <= positions.max()))
    names = [f"actor{i}" for i in range(len(rows))]
    single = settlement_terms(dict(zip(names, positions, strict=True)),
                              dict(zip(names, runs[1], strict=True)),
                              dict(zip(names, salience, strict=True)), rounds=4)
    assert terms[1] == single
