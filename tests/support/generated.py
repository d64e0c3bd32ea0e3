"""Synthetic crises of any size, shaped like kursk-2024, for the tests and the scaling study.

Usage::

    from tests.support.generated import generated_scenario
    scenario = generated_scenario(actors=20, horizon=52, seed=0)

A generated scenario has the structure of the flagship scenario, scaled with
the number of actors ``n`` (5 to 40):

- two sides, each keyed by its leader (``A0``, ``B0``). Side A has members
  ``A1...`` (``A1`` plays North Korea: small, nuclear, sends troops) and
  outside supporters ``SA1...`` (``SA1`` plays China: a great power that
  mediates). Side B has a great-power supplier ``B1`` (the United States:
  its permission is needed for deep strikes), members ``B2...`` and outside
  supporters ``SB1...``. Of the ``n - 2`` non-leaders about 15% are side-A
  members, 20% side-A supporters, 10% side-B supporters, the rest side-B
  members (kursk-2024 has 1, 2, 1 and 6 of 10);
- one shared ladder of nine rungs, from ``restraint`` to ``nuclear_use``,
  with kursk-2024's severities, a supplier's permission on ``deep_strike``
  and terminal rungs for great-power war and nuclear use;
- ``2 + n // 10`` red lines: side A's nuclear red line on deep strikes (with
  observers' priors), side B's on a nuclear signal, then alternately side-A
  members' lines on allied troops and side-B members' lines on strategic
  strikes;
- ``max(1, round(n / 5))`` fronts: a salient held by B in A's territory, the
  main front, then alternately active fronts and inactive "second fronts"
  that tie down the defender's capability and are opened by a policy;
- two deployments (``A1``'s troops to the salient, ``A0``'s mobilisation);
- exactly one conditional policy per actor (lifting the strike ban,
  mobilising, stepping up or cutting support, opening a second front,
  offering talks);
- ``n // 2 + 2`` past commitments, twelve forecast questions and one
  observation; no hypotheses or interventions, which :func:`redline.simulate`
  does not use.

Uncertain numbers are uniform, triangular or beta distributions, like
kursk-2024's; their centres are drawn from a generator seeded by
``(seed, actors)``, so a scenario is a pure function of its arguments. The
scenario is built as a mapping and validated by the project's loader
(:func:`redline.scenario.loader.validate_data`), which checks it exactly as it
checks a YAML file; nothing is written to disk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from redline import Scenario
from redline.scenario.loader import validate_data

MIN_ACTORS = 5
MAX_ACTORS = 40

#: The shared escalation ladder: (id, severity, effect, cost, harm, outcome), as in kursk-2024.
LADDER: tuple[tuple[str, float, float, float, float, str | None], ...] = (
    ("restraint", 0, 0.0, 0.0, 0.0, None),
    ("conventional_war", 2, 0.05, 0.004, 0.0, None),
    ("cross_border_raids", 3, 0.07, 0.0045, 0.0, None),
    ("deep_strike", 5, 0.1, 0.005, 0.0, None),
    ("strategic_conventional", 6, 0.055, 0.008, 0.1, None),
    ("allied_troops", 7, 0.02, 0.002, 0.0, None),
    ("nuclear_signal", 8, 0.05, 0.006, 0.0, None),
    ("allied_direct_combat", 9, 0.5, 0.3, 1.0, "great_power_war"),
    ("nuclear_use", 10, 1.0, 5.0, 3.0, "nuclear_use"),
)

#: Global parameters: kursk-2024's ``model:`` block.
MODEL = {
    "rationality": 50.0,
    "planning_weeks": 26,
    "switching_cost": 0.1,
    "decisiveness": 1.0,
    "talks_hazard": 0.02,
    "break_hazard": 0.02,
    "power_shift": 0.03,
    "trust_prior": [1.0, 1.0],
    "collapse_share": 0.05,
    "cost_per_loss": 1.0e-6,
    "war_cost_growth": 1.0,
}


@dataclass(frozen=True)
class Cast:
    """Who is who in a generated scenario: the actor ids by role."""

    a_leader: str
    a_members: tuple[str, ...]
    a_supporters: tuple[str, ...]
    b_leader: str
    b_supplier: str
    b_members: tuple[str, ...]  # side-B members other than the leader and the supplier
    b_supporters: tuple[str, ...]

    @property
    def side_a(self) -> tuple[str, ...]:
        """Side A's leader and members."""
        return (self.a_leader, *self.a_members)

    @property
    def side_b(self) -> tuple[str, ...]:
        """Side B's leader, supplier and members."""
        return (self.b_leader, self.b_supplier, *self.b_members)

    @property
    def everyone(self) -> tuple[str, ...]:
        """Every actor id, in the order the scenario lists them."""
        return (*self.side_a, *self.a_supporters, *self.side_b, *self.b_supporters)


def cast(actors: int) -> Cast:
    """Split ``actors`` into the roles of a generated scenario (see the module docstring)."""
    _check_actors(actors)
    rest = actors - 2
    a_members = max(1, round(0.15 * rest))
    a_supporters = max(1, round(0.2 * rest))
    b_supporters = round(0.1 * rest)
    b_members = rest - a_members - a_supporters - b_supporters  # at least 1: the supplier
    return Cast(
        a_leader="A0",
        a_members=tuple(f"A{i}" for i in range(1, a_members + 1)),
        a_supporters=tuple(f"SA{i}" for i in range(1, a_supporters + 1)),
        b_leader="B0",
        b_supplier="B1",
        b_members=tuple(f"B{i}" for i in range(2, b_members + 1)),
        b_supporters=tuple(f"SB{i}" for i in range(1, b_supporters + 1)),
    )


def generated_scenario(actors: int, horizon: int = 52, seed: int = 0) -> Scenario:
    """A validated synthetic crisis with ``actors`` actors, shaped like kursk-2024.

    Parameters
    ----------
    actors : number of actors, from 5 to 40.
    horizon : weeks to simulate.
    seed : seed of the scenario's parameters; the same (actors, seed) give the
        same scenario.

    Raises
    ------
    ValueError
        If ``actors`` is outside 5-40.
    redline.ScenarioError
        If the generated data does not validate (a bug in this module).

    """
    data = generated_data(actors, horizon=horizon, seed=seed)
    return validate_data(data, file=f"<generated: {actors} actors, seed {seed}>")


def generated_data(actors: int, horizon: int = 52, seed: int = 0) -> dict[str, Any]:
    """The scenario mapping behind :func:`generated_scenario` (plain types, YAML-ready)."""
    _check_actors(actors)
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1 week, got {horizon}")
    rng = np.random.default_rng([seed, actors])
    who = cast(actors)
    fronts, openers = _fronts(who, rng)
    active = [front for front in fronts.values() if front.get("active", True)]
    on_fronts = {actor for front in active for actor in (front["attacker"], front["defender"])}
    deployments = _deployments(who, fronts, rng)
    red_lines = _red_lines(who, rng)
    return {
        "name": f"generated-{actors}-actors-seed-{seed}",
        "title": f"Synthetic crisis: {actors} actors, shaped like kursk-2024 (seed {seed})",
        "description": (
            "Generated by tests/support/generated.py for the scaling study: two sides with"
            " leaders, members and outside supporters, a nine-rung ladder, red lines, fronts,"
            " deployments and one conditional policy per actor. Not a real crisis."
        ),
        "start": "2025-01-06",
        "step": "week",
        "horizon": int(horizon),
        "actors": _actors(who, rng),
        "sides": {who.a_leader: list(who.side_a), who.b_leader: list(who.side_b)},
        "support": _support(who, rng),
        "ladder": _ladder(who, on_fronts),
        "red_lines": red_lines,
        "fronts": fronts,
        "deployments": deployments,
        "policies": _policies(who, openers, red_lines, rng),
        "commitments": _commitments(who, rng),
        "questions": _questions(who, horizon),
        "observations": [{
            "id": "troops_reported",
            "text": f"{who.a_members[0]}'s troops are reported on the salient.",
            "event": {"deployment_exists": deployments[0]["id"]},
            "by_week": 0,
            "observed": True,
            "reliability": 0.7,
            "source": "synthetic",
        }],
        "model": dict(MODEL),
    }


# ------------------------------------------------------------------- helpers


def _check_actors(actors: int) -> None:
    if not MIN_ACTORS <= actors <= MAX_ACTORS:
        raise ValueError(f"actors must be from {MIN_ACTORS} to {MAX_ACTORS}, got {actors}")


def _round(value: float, digits: int = 3) -> float:
    return float(round(float(value), digits))


def _sig(value: float, digits: int = 3) -> float:
    """``value`` to ``digits`` significant digits (for capabilities and forces)."""
    if value == 0:
        return 0.0
    return _round(value, digits - 1 - math.floor(math.log10(abs(value))))


def _uniform(low: float, high: float) -> dict[str, list[float]]:
    return {"uniform": [_sig(low), _sig(high)]}


def _triangular(low: float, mode: float, high: float) -> dict[str, list[float]]:
    return {"triangular": [_sig(low), _sig(mode), _sig(high)]}


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return _sig(math.exp(rng.uniform(math.log(low), math.log(high))))


def _share_triangle(rng: np.random.Generator, low: float, high: float,
                    spread: float) -> dict[str, list[float]]:
    """A triangular share around a mode drawn in [low, high], kept inside [0, 1]."""
    mode = _round(rng.uniform(low, high), 2)
    return _triangular(max(0.0, mode - spread), mode, min(1.0, mode + spread))


# -------------------------------------------------------------------- actors


def _actors(who: Cast, rng: np.random.Generator) -> dict[str, dict[str, Any]]:
    actors: dict[str, dict[str, Any]] = {
        who.a_leader: {
            "name": "Side A leader",
            "capability": 1.0,
            "nuclear": True,
            "great_power": True,
            "resolve": _share_triangle(rng, 0.65, 0.8, 0.15),
            "war_cost": _uniform(0.08, _round(rng.uniform(0.2, 0.3), 2)),
            "cost_sensitivity": {"beta": [2, 5]},
            "optimism": _uniform(0.0, _round(rng.uniform(0.15, 0.25), 2)),
            "stability": _share_triangle(rng, 0.7, 0.85, 0.1),
            "stability_floor": 0.3,
            "stability_sensitivity": _uniform(0.1, 0.6),
            "initial_posture": "conventional_war",
        },
    }
    for i, actor in enumerate(who.a_members):
        first = i == 0  # plays North Korea: small, nuclear, sends troops
        actors[actor] = {
            "name": f"Side A member {i + 1}",
            "capability": 0.04 if first else _log_uniform(rng, 0.02, 0.3),
            "nuclear": first,
            "resolve": _round(rng.uniform(0.4, 0.7), 2),
            "war_cost": 0.05,
        }
    for i, actor in enumerate(who.a_supporters):
        first = i == 0  # plays China: a great power, outside the war
        actors[actor] = {
            "name": f"Supporter of side A {i + 1}",
            "capability": 2.72 if first else _log_uniform(rng, 0.01, 0.2),
            "nuclear": first,
            "great_power": first,
            "resolve": _round(rng.uniform(0.25, 0.5), 2),
            "war_cost": 0.05,
        }
    actors[who.b_leader] = {
        "name": "Side B leader",
        "capability": _round(rng.uniform(0.4, 0.8), 2),
        "resolve": _share_triangle(rng, 0.75, 0.9, 0.1),
        "war_cost": _uniform(0.15, _round(rng.uniform(0.3, 0.4), 2)),
        "cost_sensitivity": {"beta": [3, 4]},
        "optimism": _uniform(-0.05, _round(rng.uniform(0.1, 0.2), 2)),
        "stability": _share_triangle(rng, 0.6, 0.75, 0.1),
        "stability_floor": 0.25,
        "stability_sensitivity": _uniform(0.2, 0.8),
        "initial_posture": "cross_border_raids",
    }
    actors[who.b_supplier] = {
        "name": "Side B supplier (great power)",
        "capability": _log_uniform(rng, 4.0, 9.0),
        "nuclear": True,
        "great_power": True,
        "resolve": 0.5,
        "war_cost": 0.05,
        "cost_sensitivity": {"triangular": [0.5, 1.0, 1.5]},
    }
    for i, actor in enumerate(who.b_members):
        nuclear = i % 3 == 0  # like the UK and France among kursk-2024's six
        actors[actor] = {
            "name": f"Side B member {i + 2}",
            "capability": _log_uniform(rng, 0.05, 1.8),
            "nuclear": nuclear,
            "great_power": nuclear,
            "resolve": _round(rng.uniform(0.4, 0.7), 2),
            "war_cost": 0.05,
        }
    for i, actor in enumerate(who.b_supporters):
        actors[actor] = {
            "name": f"Supporter of side B {i + 1}",
            "capability": _log_uniform(rng, 0.005, 0.1),
            "resolve": _round(rng.uniform(0.2, 0.4), 2),
            "war_cost": 0.1,
        }
    return actors


def _nuclear(who: Cast, actors: tuple[str, ...]) -> list[str]:
    """The nuclear actors among ``actors`` (leader A0, A1, B1 and every third B member)."""
    nuclear_b = set(who.b_members[::3])
    return [a for a in actors
            if a in {who.a_leader, who.b_supplier} or a in nuclear_b or a == who.a_members[0]]


def _support(who: Cast, rng: np.random.Generator) -> list[dict[str, Any]]:
    support: list[dict[str, Any]] = [{"by": who.b_supplier, "to": who.b_leader, "level": 0.028}]
    for actor in who.b_members:
        low = _round(rng.uniform(0.02, 0.09), 3)
        support.append({"by": actor, "to": who.b_leader, "level": _uniform(low, low + 0.04)})
    for i, actor in enumerate(who.a_members):
        low = 0.4 if i == 0 else _round(rng.uniform(0.05, 0.3), 2)
        support.append({"by": actor, "to": who.a_leader,
                        "level": _uniform(low, low + (0.4 if i == 0 else 0.1))})
    for i, actor in enumerate(who.a_supporters):
        if i == 0:
            level: Any = {"triangular": [0.005, 0.01, 0.02]}
        else:
            low = _round(rng.uniform(0.03, 0.1), 3)
            level = _uniform(low, low + 0.1)
        support.append({"by": actor, "to": who.a_leader, "level": level})
    for actor in who.b_supporters:  # aligns them with side B (as kursk-2024's Georgia)
        support.append({"by": actor, "to": who.b_leader, "level": _round(rng.uniform(0, 0.02))})
    return support


# -------------------------------------------------------------------- ladder


def _ladder(who: Cast, on_fronts: set[str]) -> list[dict[str, Any]]:
    fighting = [a for a in who.everyone if a in on_fronts or a in (who.a_leader, who.b_leader)]
    fighting_b = [a for a in fighting if a in who.side_b]
    allied_troops = list(who.b_members) or [who.b_supplier]
    users = {
        "restraint": fighting,
        "conventional_war": fighting,
        "cross_border_raids": fighting_b,
        "deep_strike": fighting_b,
        "strategic_conventional": list(who.side_a),
        "allied_troops": allied_troops,
        "nuclear_signal": _nuclear(who, who.side_a),
        "allied_direct_combat": [who.b_supplier, *who.b_members],
        "nuclear_use": [a for a in _nuclear(who, (*who.side_a, *who.side_b))
                        if a != who.a_members[0]],
    }
    ladder = []
    for rung, severity, effect, cost, harm, outcome in LADDER:
        entry: dict[str, Any] = {"id": rung, "label": rung.replace("_", " "),
                                 "severity": severity, "effect": effect, "cost": cost,
                                 "harm": harm, "users": list(users[rung])}
        if rung == "deep_strike":
            entry["needs_permission_from"] = [who.b_supplier]
        if outcome is not None:
            entry["outcome"] = outcome
        ladder.append(entry)
    return ladder


def _red_lines(who: Cast, rng: np.random.Generator) -> list[dict[str, Any]]:
    count = 2 + len(who.everyone) // 10
    applies_a = list(who.side_b)
    red_lines = [
        {
            "id": "a_deep_strike",
            "owner": who.a_leader,
            "applies_to": list(applies_a),
            "tolerated": "cross_border_raids",
            "declared_at": "deep_strike",
            "threshold": _triangular(3.2, _round(rng.uniform(5.5, 6.5), 2), 9.5),
            "response": "nuclear_use",
            "fallback": "strategic_conventional",
            "follow_through": {"beta": [1, 15]},
            "priors": {observer: _triangular(_round(rng.uniform(3.1, 3.5), 2),
                                             _round(rng.uniform(5.0, 8.0), 2), 10.0)
                       for observer in applies_a[:8]},
        },
        {
            "id": "b_nuclear_signal",
            "owner": who.b_supplier,
            "applies_to": _nuclear(who, who.side_a),
            "tolerated": "strategic_conventional",
            "declared_at": "nuclear_signal",
            "threshold": _triangular(6.5, _round(rng.uniform(8.0, 9.0), 2), 10.0),
            "response": "allied_direct_combat",
            "follow_through": {"beta": [2, 6]},
            "priors": {who.a_leader: {"triangular": [7.0, 9.0, 10.0]}},
        },
    ]
    for k in range(2, count):
        if k % 2 == 0:  # a side-A member's line on allied troops, answered by strikes
            owner = who.a_members[(k // 2 - 1) % len(who.a_members)]
            red_lines.append({
                "id": f"a_allied_troops_{k}",
                "owner": owner,
                "applies_to": list(who.b_members) or [who.b_supplier],
                "tolerated": "deep_strike",
                "declared_at": "allied_troops",
                "threshold": _triangular(5.5, _round(rng.uniform(7.0, 8.0), 2), 9.5),
                "response": "strategic_conventional",
                "follow_through": {"beta": [2, 8]},
            })
        else:  # a side-B member's line on strategic strikes, answered by allied troops
            owners = who.b_members or (who.b_supplier,)
            owner = owners[(k // 2 - 1) % len(owners)]
            red_lines.append({
                "id": f"b_strategic_{k}",
                "owner": owner,
                "applies_to": list(who.side_a),
                "tolerated": "conventional_war",
                "declared_at": "strategic_conventional",
                "threshold": _triangular(2.5, _round(rng.uniform(4.5, 6.0), 2), 8.0),
                "response": "allied_troops",
                "follow_through": {"beta": [3, 5]},
            })
    return red_lines


# ------------------------------------------------------- fronts, deployments


def _fronts(who: Cast, rng: np.random.Generator
            ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The fronts by id, and the actor that opens each inactive front (its attacker)."""
    count = max(1, round(len(who.everyone) / 5))
    deployer = who.a_members[0]
    size = rng.uniform(0.8, 1.2)
    fronts: dict[str, dict[str, Any]] = {
        "salient": {  # B holds ground in A's territory (kursk-2024's Kursk)
            "attacker": who.b_leader,
            "defender": who.a_leader,
            "forces": {who.b_leader: _triangular(10000 * size, 15000 * size, 20000 * size),
                       who.a_leader: _triangular(35000 * size, 45000 * size, 50000 * size)},
            "control": _share_triangle(rng, 0.5, 0.6, 0.1),
            "attrition": {who.b_leader: {"triangular": [0.03, 0.05, 0.07]},
                          who.a_leader: {"triangular": [0.008, 0.013, 0.018]},
                          deployer: {"triangular": [0.003, 0.007, 0.012]}},
            "reinforcement": {who.a_leader: _uniform(1000, 2500),
                              who.b_leader: _uniform(300, 800)},
            "control_speed": {"triangular": [0.01, 0.025, 0.04]},
            "weight": 0.1,
        },
    }
    if count >= 2:
        fronts["main"] = {  # A advances on B (kursk-2024's Donbas)
            "attacker": who.a_leader,
            "defender": who.b_leader,
            "forces": {who.a_leader: _triangular(500000, 560000, 620000),
                       who.b_leader: _triangular(300000, 380000, 450000)},
            "control": _uniform(0.74, 0.79),
            "attrition": {who.b_leader: {"triangular": [0.013, 0.018, 0.024]},
                          who.a_leader: {"triangular": [0.0045, 0.0065, 0.009]}},
            "reinforcement": {who.a_leader: _uniform(5000, 7000),
                              who.b_leader: _uniform(4000, 7000)},
            "control_speed": {"triangular": [0.001, 0.0025, 0.004]},
            "weight": 0.3,
        }
    openers_pool = [*who.b_supporters, *who.b_members]
    a_pool = [*who.a_members, who.a_leader]
    b_pool = list(who.b_members) or [who.b_leader]
    openers: dict[str, str] = {}
    for k in range(2, count):
        front_id = f"front_{k}"
        if k % 2 == 1 and len(openers) < len(openers_pool):
            # a second front that ties the defender down (kursk-2024's Georgia)
            attacker = openers_pool[len(openers)]
            defender = a_pool[(k // 2) % len(a_pool)]
            openers[front_id] = attacker
            fronts[front_id] = {
                "attacker": attacker,
                "defender": defender,
                "forces": {attacker: _sig(rng.uniform(5000, 30000)),
                           defender: _sig(rng.uniform(3000, 10000))},
                "control": 0.0,
                "attrition": {attacker: 0.0, defender: 0.0},
                "control_speed": 0.0,
                "weight": 0.02,
                "active": False,
                "diverts": {defender: _uniform(0.02, _round(rng.uniform(0.04, 0.06), 3))},
            }
            continue
        a_actor = a_pool[(k // 2 - 1) % len(a_pool)]
        b_actor = b_pool[(k // 2 - 1) % len(b_pool)]
        attacker, defender = (a_actor, b_actor) if k % 4 == 2 else (b_actor, a_actor)
        scale = rng.uniform(20000, 100000)
        fronts[front_id] = {
            "attacker": attacker,
            "defender": defender,
            "forces": {attacker: _triangular(0.8 * scale, scale, 1.2 * scale),
                       defender: _triangular(0.6 * scale, 0.8 * scale, 1.0 * scale)},
            "control": _uniform(*sorted(_round(x, 2) for x in (rng.uniform(0.2, 0.5),
                                                               rng.uniform(0.55, 0.8)))),
            "attrition": {attacker: {"triangular": [0.005, 0.01, 0.015]},
                          defender: {"triangular": [0.008, 0.012, 0.02]}},
            "reinforcement": {attacker: _uniform(0.01 * scale, 0.03 * scale),
                              defender: _uniform(0.01 * scale, 0.03 * scale)},
            "control_speed": {"triangular": [0.002, 0.005, 0.01]},
            "weight": 0.1,
        }
    return fronts, openers


def _deployments(who: Cast, fronts: dict[str, Any], rng: np.random.Generator
                 ) -> list[dict[str, Any]]:
    troops = _round(rng.uniform(8000, 12000), -3)
    return [
        {"id": "troops_to_salient", "actor": who.a_members[0], "front": "salient",
         "side": who.a_leader, "strength": _uniform(troops, troops + 2000),
         "exists": 0.9, "active": True, "combat_delay_weeks": _uniform(0, 6)},
        {"id": "mobilisation", "actor": who.a_leader,
         "front": "main" if "main" in fronts else "salient", "side": who.a_leader,
         "strength": _uniform(100000, 300000), "exists": 1.0, "active": False,
         "combat_delay_weeks": _uniform(4, 12)},
    ]


# ------------------------------------------------------------------ policies


def _policies(who: Cast, openers: dict[str, str], red_lines: list[dict[str, Any]],
              rng: np.random.Generator) -> list[dict[str, Any]]:
    """One conditional policy per actor, each decided by that actor."""
    opens = {actor: front for front, actor in openers.items()}
    allied = list(who.b_members) or [who.b_supplier]  # users of allied_troops
    policies: list[dict[str, Any]] = [{
        "id": "a0_mobilises",
        "actor": who.a_leader,
        "when": {"any": [{"red_line_crossed": red_lines[0]["id"]},
                         {"control_above": {"front": "salient", "value": 0.8}},
                         *({"reached": {"actor": a, "rung": "allied_troops"}}
                           for a in allied[:4])]},
        "then": [{"deploy": "mobilisation"}],
        "probability": 0.1,
        "delay_weeks": _uniform(4, 12),
    }]
    for i, actor in enumerate(who.a_members):
        when: dict[str, Any] = (
            {"all": [{"deployment_in_combat": "troops_to_salient"}, {"week_at_least": 6}]}
            if i == 0 else {"reached": {"actor": who.b_leader, "rung": "deep_strike"}})
        policies.append(_support_step(actor, who.a_leader, when, rng, up=True))
    for i, actor in enumerate(who.a_supporters):
        if i == 0:  # the great power outside the war mediates
            policies.append({"id": f"{actor.lower()}_mediates", "actor": actor,
                             "when": {"week_at_least": 4},
                             "then": [{"offer_talks": {"hazard": 0.02}}],
                             "probability": 0.25, "delay_weeks": _uniform(0, 8)})
        else:
            policies.append(_support_step(
                actor, who.a_leader, {"reached": {"actor": who.b_leader, "rung": "deep_strike"}},
                rng, up=True))
    policies.append({"id": "b0_seeks_talks", "actor": who.b_leader,
                     "when": {"stability_below": {"actor": who.b_leader, "value": 0.45}},
                     "then": [{"offer_talks": {"hazard": 0.05}}],
                     "probability": 0.5, "delay_weeks": _uniform(0, 4)})
    policies.append({"id": "b1_lifts_strike_ban", "actor": who.b_supplier,
                     "when": {"deployment_in_combat": "troops_to_salient"},
                     "then": [{"permit": {"actor": who.b_leader, "rung": "deep_strike",
                                          "by": who.b_supplier}}],
                     "probability": {"beta": [6, 4]}, "delay_weeks": _uniform(1, 4)})
    for i, actor in enumerate((*who.b_members, *who.b_supporters)):
        if actor in opens:
            policies.append({"id": f"{actor.lower()}_opens_{opens[actor]}", "actor": actor,
                             "when": {"week_at_least": 1},
                             "then": [{"open_front": opens[actor]}],
                             "probability": 0.3, "delay_weeks": _uniform(0, 7)})
        elif actor in who.b_supporters:
            policies.append({"id": f"{actor.lower()}_offers_talks", "actor": actor,
                             "when": {"week_at_least": int(rng.integers(2, 12))},
                             "then": [{"offer_talks": {"hazard": 0.01}}],
                             "probability": 0.2, "delay_weeks": _uniform(0, 8)})
        elif i % 2 == 0:  # aid cut with a new budget year (kursk-2024's Germany)
            policies.append(_support_step(
                actor, who.b_leader, {"week_at_least": int(rng.integers(8, 20))}, rng, up=False))
        else:  # more aid if the salient is about to be lost
            policies.append(_support_step(
                actor, who.b_leader, {"control_below": {"front": "salient", "value": 0.2}},
                rng, up=True))
    return policies


def _support_step(actor: str, leader: str, when: dict[str, Any], rng: np.random.Generator,
                  *, up: bool) -> dict[str, Any]:
    """A policy that raises (``up``) or cuts ``actor``'s support for ``leader``."""
    if up:
        low = _round(rng.uniform(0.1, 0.5), 2)
        level = _uniform(low, low + 0.2)
    else:
        low = _round(rng.uniform(0.01, 0.04), 3)
        level = _uniform(low, low + 0.03)
    return {"id": f"{actor.lower()}_{'steps_up' if up else 'cuts'}_support", "actor": actor,
            "when": when, "then": [{"support": {"by": actor, "to": leader, "level": level}}],
            "probability": _round(rng.uniform(0.2, 0.7), 2),
            "delay_weeks": _uniform(0, 4) if not up else _uniform(2, 8)}


# ----------------------------------------------------- commitments, questions


def _commitments(who: Cast, rng: np.random.Generator) -> list[dict[str, Any]]:
    commitments = []
    for k in range(len(who.everyone) // 2 + 2):
        ours, theirs = (who.side_a, who.side_b) if k % 2 == 0 else (who.side_b, who.side_a)
        by = ours[int(rng.integers(len(ours)))] if k > 1 else ours[0]
        to = theirs[int(rng.integers(len(theirs)))] if k > 1 else theirs[0]
        commitments.append({"by": by, "to": to, "year": int(rng.integers(1990, 2025)),
                            "kept": bool(rng.random() < 0.3),
                            "weight": 1.0 if rng.random() < 0.5 else 0.5,
                            "what": f"synthetic commitment {k + 1}"})
    return commitments


def _questions(who: Cast, horizon: int) -> list[dict[str, Any]]:
    def by(week: int) -> int:
        return max(1, min(week, horizon))

    a, b = who.a_leader, who.b_leader
    return [
        {"id": "deep_strikes_permitted", "event": {"permitted": {"actor": b,
                                                                 "rung": "deep_strike"}},
         "by_week": by(4)},
        {"id": "deep_strike", "event": {"reached": {"actor": b, "rung": "deep_strike"}},
         "by_week": by(6)},
        {"id": "strategic_response", "event": {"reached": {"actor": a,
                                                           "rung": "strategic_conventional"}},
         "by_week": by(8)},
        {"id": "nuclear_signal", "event": {"reached": {"actor": a, "rung": "nuclear_signal"}},
         "by_week": by(8)},
        {"id": "troops_in_combat", "event": {"deployment_in_combat": "troops_to_salient"},
         "by_week": by(8)},
        {"id": "salient_lost", "event": {"control_below": {"front": "salient", "value": 0.02}},
         "by_week": by(30)},
        {"id": "settlement_w26", "event": {"settled": True}, "by_week": by(26)},
        {"id": "settlement", "event": {"settled": True}, "by_week": by(horizon)},
        {"id": "great_power_war", "event": {"outcome": "great_power_war"},
         "by_week": by(horizon)},
        {"id": "nuclear_use", "event": {"outcome": "nuclear_use"}, "by_week": by(horizon)},
        {"id": "regime_crisis_a", "event": {"regime_crisis": a}, "by_week": by(horizon)},
        {"id": "mobilisation", "event": {"policy_fired": "a0_mobilises"}, "by_week": by(26)},
    ]
