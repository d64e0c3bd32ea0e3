"""Shared hypothesis strategies: scenario numbers and small valid scenarios.

Everything here produces plain data, as a scenario file would hold it after
YAML parsing (floats, lists, one-key mappings), so the same values can be
dumped with ``yaml.safe_dump`` and loaded back. Every scenario dict drawn from
:func:`scenario_dicts` passes :func:`redline.scenario.loader.validate_data`
(tests/scenario/test_loader.py checks that property).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

ACTOR_POOL = ("A", "B", "C", "D")
OUTCOME_RUNGS = ("nuclear_use", "great_power_war")

# ------------------------------------------------------------------ numbers


def finite(low: float, high: float) -> st.SearchStrategy[float]:
    """Finite floats in [low, high] (no NaN, no infinities, no subnormals)."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def constants(low: float = -1e6, high: float = 1e6) -> st.SearchStrategy[float]:
    """A constant scenario number."""
    return finite(low, high)


@st.composite
def uniform_laws(draw: st.DrawFn, low: float = -1e3, high: float = 1e3) -> dict[str, list[float]]:
    """``{uniform: [a, b]}`` with low <= a < b <= high."""
    a, b = sorted([draw(finite(low, high)), draw(finite(low, high))])
    assume(a < b)
    return {"uniform": [a, b]}


@st.composite
def triangular_laws(draw: st.DrawFn, low: float = -1e3, high: float = 1e3
                    ) -> dict[str, list[float]]:
    """``{triangular: [a, c, b]}`` with low <= a <= c <= b <= high and a < b."""
    a, b = sorted([draw(finite(low, high)), draw(finite(low, high))])
    if a == b:
        a, b = (a, high) if a < high else (low, b)
    return {"triangular": [a, draw(finite(a, b)), b]}


def beta_laws() -> st.SearchStrategy[dict[str, list[float]]]:
    """``{beta: [alpha, beta]}`` with both shape parameters in [0.1, 50]."""
    return st.builds(lambda a, b: {"beta": [a, b]}, finite(0.1, 50.0), finite(0.1, 50.0))


def normal_laws() -> st.SearchStrategy[dict[str, list[float]]]:
    """``{normal: [mean, sd]}`` with sd > 0."""
    return st.builds(lambda m, s: {"normal": [m, s]}, finite(-1e3, 1e3), finite(1e-3, 1e2))


def lognormal_laws() -> st.SearchStrategy[dict[str, list[float]]]:
    """``{lognormal: [mu, sigma]}`` with sigma > 0."""
    return st.builds(lambda m, s: {"lognormal": [m, s]}, finite(-5.0, 5.0), finite(1e-3, 2.0))


def distributions() -> st.SearchStrategy[dict[str, list[float]]]:
    """Any named distribution with valid parameters."""
    return st.one_of(uniform_laws(), triangular_laws(), beta_laws(), normal_laws(),
                     lognormal_laws())


def scenario_numbers() -> st.SearchStrategy[Any]:
    """Any scenario number: a finite constant or a distribution with valid parameters."""
    return st.one_of(constants(), distributions())


def numbers_within(low: float, high: float) -> st.SearchStrategy[Any]:
    """A scenario number whose every possible value lies in [low, high]."""
    options = [constants(low, high), uniform_laws(low, high), triangular_laws(low, high)]
    if low <= 0.0 and high >= 1.0:
        options.append(beta_laws())
    return st.one_of(*options)


def probabilities() -> st.SearchStrategy[Any]:
    """A scenario number that is always a probability."""
    return numbers_within(0.0, 1.0)


# --------------------------------------------------------------- scenarios


@st.composite
def actor_entries(draw: st.DrawFn, actor_id: str) -> dict[str, Any]:
    """One actor mapping."""
    actor: dict[str, Any] = {"name": f"Actor {actor_id}",
                             "capability": draw(numbers_within(0.1, 2.0))}
    if draw(st.booleans()):
        actor["war_cost"] = draw(numbers_within(0.0, 0.5))
    if draw(st.booleans()):
        actor["resolve"] = draw(probabilities())
    if draw(st.booleans()):
        actor["optimism"] = draw(numbers_within(-0.2, 0.2))
    if draw(st.booleans()):
        actor["stability_floor"] = draw(finite(0.0, 0.5))
        actor["stability_sensitivity"] = draw(numbers_within(0.0, 2.0))
    if draw(st.integers(0, 3)) == 0:
        actor["reprisal"] = {"bonus": draw(numbers_within(0.0, 2.0)),
                             "weeks": draw(st.integers(1, 4)), "at_start": draw(st.booleans())}
    return actor


@st.composite
def ladders(draw: st.DrawFn, actor_ids: list[str]) -> list[dict[str, Any]]:
    """2-4 rungs with strictly increasing severities."""
    count = draw(st.integers(2, 4))
    severities = sorted(draw(st.lists(finite(0.5, 20.0), min_size=count, max_size=count,
                                      unique=True)))
    ladder = []
    for i, severity in enumerate(severities):
        rung: dict[str, Any] = {"id": f"r{i}", "severity": severity,
                                "effect": draw(numbers_within(0.0, 0.3)),
                                "cost": draw(numbers_within(0.0, 0.1))}
        if draw(st.booleans()):
            rung["harm"] = draw(numbers_within(0.0, 5.0))
        if draw(st.booleans()):
            rung["users"] = draw(st.lists(st.sampled_from(actor_ids), min_size=1, unique=True))
        if draw(st.integers(0, 3)) == 0:
            rung["needs_permission_from"] = [draw(st.sampled_from(actor_ids))]
        ladder.append(rung)
    if draw(st.booleans()):
        ladder[-1]["outcome"] = draw(st.sampled_from(OUTCOME_RUNGS))
    return ladder


@st.composite
def conditions(draw: st.DrawFn, parts: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """A condition over the elements in ``parts`` (ids of actors, rungs, ...)."""
    actor = st.sampled_from(parts["actors"])
    rung = st.sampled_from(parts["rungs"])
    leaves = [
        st.builds(lambda w: {"week_at_least": w}, st.integers(0, 6)),
        st.builds(lambda a, r: {"reached": {"actor": a, "rung": r}}, actor, rung),
        st.builds(lambda a, r: {"posture_at_least": {"actor": a, "rung": r}}, actor, rung),
        st.builds(lambda a, r: {"posture_is": {"actor": a, "rung": r}}, actor, rung),
        st.builds(lambda a, r: {"permitted": {"actor": a, "rung": r}}, actor, rung),
        st.just({"settled": True}),
        st.builds(lambda o: {"outcome": o}, st.sampled_from(OUTCOME_RUNGS)),
        st.builds(lambda a, v: {"stability_below": {"actor": a, "value": v}}, actor,
                  finite(0.0, 1.0)),
    ]
    if parts.get("front"):
        front = parts["front"]
        leaves += [st.just({"front_active": front}),
                   st.builds(lambda v: {"control_below": {"front": front, "value": v}},
                             finite(0.0, 1.0))]
    if parts.get("deployment"):
        leaves.append(st.just({"deployment_in_combat": parts["deployment"]}))
    if parts.get("red_line"):
        line = parts["red_line"]
        leaves += [st.just({"red_line_crossed": line}), st.just({"red_line_enforced": line}),
                   st.builds(lambda o, r, v: {"belief_below": {"observer": o, "red_line": line,
                                                               "rung": r, "value": v}},
                             actor, rung, finite(0.0, 1.0))]
    if parts.get("policy"):
        leaves.append(st.just({"policy_fired": parts["policy"]}))
    leaf = st.one_of(*leaves)
    if depth >= 2:
        return draw(leaf)
    inner = conditions(parts, depth + 1)
    return draw(st.one_of(
        leaf,
        st.builds(lambda items: {"all": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda items: {"any": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda item: {"not": item}, inner),
        st.builds(lambda weeks, item: {"held_for": {"weeks": weeks, "condition": item}},
                  st.integers(1, 4), inner),
        st.builds(lambda item: {"ever": item}, inner),
    ))


@st.composite
def scenario_dicts(draw: st.DrawFn, max_horizon: int = 12) -> dict[str, Any]:
    """A small valid scenario: 2-4 actors on two sides, a 2-4 rung ladder, options."""
    actor_ids = list(ACTOR_POOL[: draw(st.integers(2, 4))])
    leaders = actor_ids[:2]
    members: dict[str, list[str]] = {leaders[0]: [leaders[0]], leaders[1]: [leaders[1]]}
    for actor_id in actor_ids[2:]:
        members[draw(st.sampled_from(leaders))].append(actor_id)
    side_one = members[leaders[1]]
    ladder = draw(ladders(actor_ids))
    rung_ids = [rung["id"] for rung in ladder]
    horizon = draw(st.integers(1, max_horizon))
    scenario: dict[str, Any] = {
        "name": "generated",
        "start": dt.date(2024, 1, 1) + dt.timedelta(days=draw(st.integers(0, 3650))),
        "horizon": horizon,
        "actors": {actor_id: draw(actor_entries(actor_id)) for actor_id in actor_ids},
        "sides": members,
        "ladder": ladder,
    }
    parts: dict[str, Any] = {"actors": actor_ids, "rungs": rung_ids}
    usable = [rung["id"] for rung in ladder if leaders[0] in rung.get("users", actor_ids)
              and "outcome" not in rung]
    if usable and draw(st.booleans()):
        scenario["actors"][leaders[0]]["initial_posture"] = draw(st.sampled_from(usable))
    if draw(st.booleans()):
        scenario["commitments"] = draw(st.lists(st.builds(
            lambda by, to, kept, weight: {"by": by, "to": to, "what": "a promise",
                                          "kept": kept, "weight": weight},
            st.sampled_from(actor_ids), st.sampled_from(actor_ids), st.booleans(),
            finite(0.1, 3.0)), max_size=3))
    if draw(st.booleans()):
        declared = draw(st.integers(1, len(ladder) - 1))
        red_line: dict[str, Any] = {
            "id": "rl0",
            "owner": leaders[0],
            "applies_to": draw(st.lists(st.sampled_from(side_one), min_size=1, unique=True)),
            "declared_at": rung_ids[declared],
            "threshold": draw(numbers_within(0.0, 25.0)),
            "response": draw(st.sampled_from(rung_ids)),
            "follow_through": draw(probabilities()),
        }
        if draw(st.booleans()):
            red_line["tolerated"] = rung_ids[draw(st.integers(0, declared - 1))]
        if draw(st.booleans()):
            red_line["fallback"] = draw(st.sampled_from(rung_ids))
        if draw(st.booleans()):
            red_line["priors"] = {leaders[1]: draw(numbers_within(0.0, 25.0))}
        if draw(st.booleans()):
            red_line["tested_at_start"] = False
        if draw(st.booleans()):  # a graded schedule: rungs in increasing severity
            ats = sorted(draw(st.lists(st.integers(0, len(ladder) - 1), min_size=1,
                                       max_size=3, unique=True)))
            red_line["responses"] = [
                {"at": rung_ids[at], "response": draw(st.sampled_from(rung_ids)),
                 **({"fallback": draw(st.sampled_from(rung_ids))} if draw(st.booleans())
                    else {})} for at in ats]
        if draw(st.booleans()):  # also a self-limit of its owner
            red_line["applies_to"] = [leaders[0], *red_line["applies_to"]]
            if draw(st.booleans()):
                red_line["audience_cost"] = draw(numbers_within(0.0, 5.0))
        scenario["red_lines"] = [red_line]
        parts["red_line"] = "rl0"
    if draw(st.booleans()):
        exponents = draw(st.sampled_from([(1.0, 0.0), (1.0, 1.0)]))
        scenario["fronts"] = {"f0": {
            "attacker": leaders[0],
            "defender": leaders[1],
            "forces": {leaders[0]: draw(numbers_within(100.0, 5000.0)),
                       leaders[1]: draw(numbers_within(100.0, 5000.0))},
            "attrition": {leaders[0]: draw(numbers_within(0.0, 0.05)),
                          leaders[1]: draw(numbers_within(0.0, 0.05))},
            "control": draw(probabilities()),
            "exponent_enemy": exponents[0],
            "exponent_own": exponents[1],
            "active": draw(st.booleans()),
        }}
        if draw(st.booleans()):
            scenario["fronts"]["f0"]["reinforcement"] = {
                leaders[1]: draw(numbers_within(0.0, 100.0))}
        if draw(st.booleans()):
            scenario["fronts"]["f0"]["diverts"] = {leaders[1]: draw(probabilities())}
        if draw(st.booleans()):
            scenario["fronts"]["f0"]["fights_at"] = draw(st.sampled_from(ladder))["id"]
        parts["front"] = "f0"
        if draw(st.booleans()):
            scenario["deployments"] = [{
                "id": "d0",
                "actor": draw(st.sampled_from(side_one)),
                "front": "f0",
                "side": leaders[1],
                "strength": draw(numbers_within(0.0, 2000.0)),
                "exists": draw(probabilities()),
                "active": draw(st.booleans()),
                "combat_delay_weeks": draw(numbers_within(0.0, 4.0)),
            }]
            parts["deployment"] = "d0"
    if draw(st.booleans()):
        scenario["pressures"] = {"s0": {
            "by": [leaders[0]],
            "target": draw(st.sampled_from(actor_ids)),
            "cost": draw(numbers_within(0.0, 0.05)),
            "active": draw(st.booleans()),
        }}
        parts["pressure"] = "s0"
    if draw(st.booleans()):
        actions: list[dict[str, Any]] = [{"offer_talks": {"hazard": draw(finite(0.0, 1.0))}}]
        gated = [rung for rung in ladder if rung.get("needs_permission_from")]
        if gated:
            rung = draw(st.sampled_from(gated))
            actions.append({"permit": {"actor": draw(st.sampled_from(actor_ids)),
                                       "rung": rung["id"],
                                       "by": rung["needs_permission_from"][0]}})
        if parts.get("deployment"):
            actions.append({"deploy": "d0"})
        if parts.get("front"):
            actions.append({"open_front": "f0"})
            ending = draw(st.sampled_from([None, "close", leaders[0], leaders[1]]))
            if ending == "close":
                actions.append({"close_front": "f0"})
            elif ending is not None:
                actions.append({"withdraw": {"front": "f0", "actor": ending}})
        if parts.get("pressure"):
            actions.append({draw(st.sampled_from(["apply_pressure", "lift_pressure"])): "s0"})
        if draw(st.booleans()):
            actions.append({"support": {"by": actor_ids[-1], "to": leaders[1],
                                        "level": draw(probabilities())}})
        if draw(st.booleans()):
            actions.append({"concede": {"by": draw(st.sampled_from(leaders)),
                                        "value": draw(numbers_within(0.0, 0.5))}})
        adoptable = [rung["id"] for rung in ladder if leaders[0] in rung.get("users", actor_ids)]
        if adoptable and draw(st.booleans()):  # a posture adopted, held or a one-off act
            target: dict[str, Any] = {"actor": leaders[0], "rung": draw(st.sampled_from(adoptable))}
            if draw(st.booleans()):
                target["weeks"] = draw(st.integers(1, 4))
            actions.append({"adopt": target})
        if draw(st.booleans()):
            actions.append({"record": "an event"})
        policy: dict[str, Any] = {
            "id": "p0",
            "when": draw(conditions(parts)),
            "then": draw(st.permutations(actions)),
            "delay_weeks": draw(numbers_within(0.0, 3.0)),
        }
        chance = "hazard" if draw(st.booleans()) else "probability"
        policy[chance] = draw(probabilities())
        scenario["policies"] = [policy]
        parts["policy"] = "p0"
    if draw(st.booleans()):
        by_week = draw(st.integers(1, horizon + 2))
        scenario["questions"] = [{"id": "q0", "event": draw(conditions(parts)),
                                  "by_week": by_week,
                                  "from_week": draw(st.integers(0, by_week))}]
    if draw(st.booleans()):
        scenario["model"] = {"rationality": draw(finite(0.0, 20.0)),
                             "talks_hazard": draw(finite(0.0, 1.0)),
                             "break_hazard": draw(finite(0.0, 1.0)),
                             "power_shift": draw(finite(0.0, 0.5))}
    return scenario
