"""Verification checks of the exact game solvers in :mod:`redline.games`.

Each check sets a published number, or a closed form from the cited source,
against an independent computation: a numerical optimum or root instead of
the closed form, backward induction instead of the formula, the traced
logit branch against Gambit's published test values. The solvers themselves
are cross-checked against Gambit (pygambit) in ``tests/games/test_games.py``; these
checks do not need it.
"""

from __future__ import annotations

from scipy.optimize import brentq

from redline.games import brinkmanship, deterrence, fearon, qre, reputation
from redline.verify.checks import Check, compare

__all__ = ["checks"]

#: Gambit's test values for ``logit_solve_lambda`` on ``const_sum_game.nfg``
#: (first-strategy probabilities of players 1 and 2), by lambda.
GAMBIT_LOGIT_VALUES = {1.0: [0.643, 0.5883], 2.0: [0.7727, 0.6117], 3.0: [0.8595, 0.6038]}
#: Half a unit in the last published digit of each pair's least precise value.
GAMBIT_LOGIT_TOLERANCE = {1.0: 5e-4, 2.0: 5e-5, 3.0: 5e-5}
GAMBIT_SOURCE = ("Gambit test suite, tests/test_nash.py, LOGIT_LAMBDA_CASES "
                 "'test_logit_lambda_1' (gbt.qre.logit_solve_lambda on "
                 "tests/test_games/const_sum_game.nfg); McKelvey1995 logit QRE")


def checks() -> list[Check]:
    """All verification checks of the game solvers, in a stable order."""
    return [
        _bargaining_range(),
        _risk_return(),
        _commitment_problem(),
        _deterrence_threshold(),
        _red_line(),
        _chain_store(),
        _stripped_down_poker(),
        _brinkmanship_window(),
        *[_logit_qre(lam) for lam in GAMBIT_LOGIT_VALUES],
    ]


def _bargaining_range() -> Check:
    low, high = fearon.bargaining_range(0.6, 0.1, 0.15)
    return compare(
        "games.fearon.bargaining_range",
        "Fearon1995, the bargaining range p - c_A <= x <= p + c_B; worked example p = 0.6, "
        "c_A = 0.1, c_B = 0.15", [0.5, 0.75], [low, high], 1e-12,
        note="closed form of the range at a worked example; establishes units and signs only")


def _risk_return() -> Check:
    p, c_a, c_max = 0.5, 0.1, 0.3
    closed = fearon.risk_return(p, c_a, c_max)
    numeric = fearon.risk_return_numerical(p, c_a, c_max)
    return compare(
        "games.fearon.risk_return", "Fearon1995, 'Private information and incentives to "
        "misrepresent': x* = p + (c_max - c_A)/2, P(war) = (c_max - c_A)/(2 c_max); "
        "p = 0.5, c_A = 0.1, c_max = 0.3",
        [closed.demand, closed.war_probability], [numeric.demand, numeric.war_probability],
        1e-6, checkpoints={
            "closed_form_expected_utility": closed.expected_utility,
            "numerical_expected_utility": numeric.expected_utility,
            "corner": closed.corner},
        note="closed-form optimal demand and P(war) equal the numerical maximum of A's "
             "expected utility (grid + bounded Brent); absolute tolerance on shares")


def _commitment_problem() -> Check:
    p0, c_a, delta = 0.6, 0.05, 0.9

    def war_minus_peace(p1: float) -> float:
        solution = fearon.commitment_problem(p0, p1, c_a, delta)
        return solution.war_value - solution.peace_value

    threshold_p1 = brentq(war_minus_peace, 0.0, p0, xtol=1e-14)
    large = fearon.commitment_problem(p0, 0.2, c_a, delta)
    small = fearon.commitment_problem(p0, 0.58, c_a, delta)
    return compare(
        "games.fearon.commitment_problem", "Powell2006 (and Fearon1995, preventive war): "
        "war iff delta (p0 - p1) > (1 - delta)(1 - p0 + c_A); p0 = 0.6, c_A = 0.05, "
        "delta = 0.9 (critical shift 0.05); shifts 0.4 (war) and 0.02 (peace)",
        [fearon.critical_shift(p0, c_a, delta), 1.0, 0.0],
        [p0 - threshold_p1, float(large.war), float(small.war)], 1e-9,
        checkpoints={"shift_0.4": {"war_value": large.war_value,
                                   "peace_value": large.peace_value, "margin": large.margin},
                     "shift_0.02": {"war_value": small.war_value,
                                    "peace_value": small.peace_value, "margin": small.margin}},
        note="the closed-form critical shift equals the root of war value minus the most the "
             "rising side can credibly promise; war on one side of it, peace on the other")


def _deterrence_threshold() -> Check:
    a_sq, a_dc, a_dd = 0.0, 1.0, -1.5

    def challenge_gain(p: float) -> float:
        game = deterrence.DeterrenceGame(a_sq=a_sq, a_dc=a_dc, a_dd=a_dd, p_hard=p)
        return deterrence.solve_deterrence(game).challenge_utility - a_sq

    root = brentq(challenge_gain, 0.0, 1.0, xtol=1e-14)
    below = deterrence.solve_deterrence(deterrence.DeterrenceGame(a_sq, a_dc, a_dd, 0.3))
    above = deterrence.solve_deterrence(deterrence.DeterrenceGame(a_sq, a_dc, a_dd, 0.5))
    return compare(
        "games.deterrence.critical_credibility", "ZagareKilgour2000, rudimentary asymmetric "
        "deterrence game: challenge iff p < (a_DC - a_SQ)/(a_DC - a_DD); a_SQ = 0, a_DC = 1, "
        "a_DD = -1.5 (threshold 0.4)", [0.4, 1.0, 0.0],
        [root, float(below.challenge), float(above.challenge)], 1e-9,
        checkpoints={"threshold_closed_form": below.threshold,
                     "p=0.3": {"challenge": below.challenge,
                               "conflict_probability": below.conflict_probability},
                     "p=0.5": {"challenge": above.challenge}},
        note="the closed-form critical credibility is where backward induction over the "
             "Defender's types leaves the Challenger indifferent; decisions either side")


def _red_line() -> Check:
    severities = [1.0, 2.0, 3.0, 4.0, 5.0]
    game = deterrence.red_line_game(
        severities, [1.0, 2.0, 2.8, 3.4, 3.8],
        lambda s: float(deterrence.triangular_cdf(s, 1.5, 3.0, 6.0)),
        follow_through=0.7, harm=6.0, fallback_harm=1.0)
    solution = deterrence.solve_red_line(game)
    harm = 0.7 * 6.0 + 0.3 * 1.0
    brute = max(range(5), key=lambda k: game.gains[k] - game.threshold_cdf[k] * harm)
    cdf = float(deterrence.triangular_cdf(severities[brute], 1.5, 3.0, 6.0))
    return compare(
        "games.deterrence.red_line", "Schelling1966; DixitSkeath2015 ch. 14: EU(s) = g(s) - "
        "F(s)(rho H + (1 - rho) H_f); ladder 1..5, gains (1, 2, 2.8, 3.4, 3.8), T triangular "
        "(1.5, 3, 6), rho = 0.7, H = 6, H_f = 1",
        [severities[brute], cdf], [solution.severity, solution.enforcement_probability], 1e-12,
        checkpoints={"expected_utilities": list(solution.expected_utilities),
                     "declared_response_probability": solution.declared_response_probability},
        note="solver's optimal severity and enforcement probability equal a direct "
             "enumeration of expected utilities; a consistency check, not a published value")


def _chain_store() -> Check:
    a, b, prior = 2.0, 0.5, 0.2
    stage = reputation.chain_store_stage(prior, 2, a, b)
    entrant_gain_at_threshold = b - reputation.chain_store_stage(b**2, 2, a, b).fought
    return compare(
        "games.reputation.chain_store", "KrepsWilson1982, sequential equilibrium of the "
        "finite chain store: weak incumbent fights with (1 - b^(k-1)) p_k / ((1 - p_k) "
        "b^(k-1)), posterior b^(k-1); a = 2, b = 0.5, p_2 = 0.2",
        [0.25, 0.5], [stage.fight, stage.posterior_after_fight], 1e-12,
        checkpoints={"entry_probability_stage_2": stage.entry,
                     "entrant_gain_at_threshold_b^2": entrant_gain_at_threshold,
                     "weak_value_at_b_stage_1": reputation.weak_incumbent_value(b, 1, a, b),
                     "weak_value_stage_2": reputation.weak_incumbent_value(prior, 2, a, b)},
        note="bluffing probability from the closed form and the posterior by Bayes' rule; "
             "entrant indifferent at b^k and the weak incumbent's continuation worth 1 at b^(k-1)")


def _stripped_down_poker() -> Check:
    solution = reputation.solve_bluffing(reputation.stripped_down_poker())
    return compare(
        "games.reputation.stripped_down_poker", "Reiley2008 (stripped-down poker); Gambit "
        "tutorial game stripped_down_poker.efg: Queen bets w.p. 1/3, Bob calls w.p. 2/3, "
        "value 1/3 to Alice", [1 / 3, 2 / 3, 1 / 3],
        [solution.bluff, solution.call, solution.sender_value], 1e-12,
        checkpoints={"posterior_after_bet": solution.posterior},
        note="the bluffing-game solver (receiver and weak type each made indifferent) "
             "reproduces the published equilibrium and value")


def _brinkmanship_window() -> Check:
    game = brinkmanship.cuban_missile_crisis(0.5)

    def soft_margin(q: float) -> float:
        kind = game.soft
        return kind.comply - (q * kind.disaster + (1.0 - q) * kind.acquiesce)

    def threat_margin(q: float) -> float:
        return brinkmanship.brinkmanship_outcome(game, q).threat_value - game.no_threat

    low = brentq(soft_margin, 0.0, 1.0, xtol=1e-14)
    high = brentq(threat_margin, low + 1e-9, 1.0, xtol=1e-14)
    return compare(
        "games.brinkmanship.window", "DixitSkeath2015 ch. 14 (Cuban missile crisis): "
        "effectiveness q >= 1/3, acceptability q <= 0.375 (1 - p)/p; p = 1/2",
        [1 / 3, 0.375], [low, high], 1e-9,
        checkpoints={"closed_form": list(brinkmanship.threat_window(game)),
                     "open_iff_p_at_most": 9 / 17},
        note="roots of the soft-liners' and the threatener's indifference conditions equal "
             "the closed-form bounds of the brinkmanship window")


def _logit_qre(lam: float) -> Check:
    payoff_a, payoff_b = qre.GAMBIT_CONST_SUM
    points = qre.logit_qre(payoff_a, payoff_b, list(GAMBIT_LOGIT_VALUES))
    ours = {point.lam: [float(point.row[0]), float(point.column[0])] for point in points}
    checkpoints = {f"lambda={key:g}": {"published": GAMBIT_LOGIT_VALUES[key], "ours": ours[key]}
                   for key in GAMBIT_LOGIT_VALUES}
    return compare(
        f"games.qre.gambit_const_sum.lambda_{lam:g}", GAMBIT_SOURCE,
        GAMBIT_LOGIT_VALUES[lam], ours[lam], GAMBIT_LOGIT_TOLERANCE[lam],
        checkpoints=checkpoints,
        note="principal logit branch traced from lambda = 0; tolerance is half a unit in the "
             "last published digit (absolute probability)")
