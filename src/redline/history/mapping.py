"""From the coded start of an ICB crisis to a generic redline scenario.

A crisis actor's crisis, as an observer could code it on the day of its
trigger, is reduced to a :class:`CrisisStart` (the ICB variables, unchanged)
and then to a :class:`CrisisType`, a few coarse classes of those variables;
the generated scenario depends on the type and on the global
:class:`MappingParameters` only. Which variable is used, how it maps and why
it is known at the trigger is tabulated in docs/history.md. Variables that are
observed only during or after the crisis (violence, crisis management
technique, mediation, outcome, termination) are never read here: the tests
perturb them and require the same scenario, byte for byte.

The scenario is a dyad: ``CA``, the crisis actor (side 0), against ``ADV``,
the source of the threat that triggered its crisis, with a generic escalation
ladder (pressure, show of force, minor clashes, serious clashes, war, and
nuclear use where a nuclear power is involved), a red line of the crisis
actor against armed attack, a front opened by the first clash, trust from
the conflict setting, an outside patron where the actor is allied with a
great power and a partner where other crisis actors were triggered the same
day. The ICB forecast targets are read off the simulated runs by
:func:`redline.history.forecast.forecast_type`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Literal

import pandas as pd

from redline.history.icb import ICBData
from redline.scenario.loader import validate_data
from redline.scenario.models import Scenario

#: Weeks simulated for a generic crisis (ICB crises last a median of about 3 months).
HORIZON = 26
#: An absolute POWDIS above this is treated as missing (the data use 179 as a placeholder).
POWDIS_LIMIT = 100
#: POWDIS beyond +-this is a clear imbalance (the middle third of the coded scores).
POWDIS_EVEN = 3


@dataclass(frozen=True)
class CrisisStart:
    """One crisis actor's crisis as coded at its trigger (ICB2 codes; None: missing).

    Its fields ``triggr`` to ``cractloc`` are the only ICB codes the mapping reads, each
    known at the trigger (:data:`redline.history.codebook.WHEN`; a test checks it).
    """

    crisno: int
    actor: str
    name: str
    year: int
    month: int | None
    day: int | None
    triggr: int
    gravty: int | None
    powdis: int | None
    nuclear: int | None
    southpow: int | None
    regime: int | None
    allycap: int | None
    pc: int | None
    cractloc: int | None
    co_actors: int


@dataclass(frozen=True)
class CrisisType:
    """The coarse classes of a :class:`CrisisStart` that the scenario depends on."""

    trigger: Literal["non_military", "military", "violent"]
    gravity: Literal["low", "medium", "high"]
    balance: Literal["weaker", "even", "stronger"]
    nuclear: bool
    democracy: bool
    great_power_ally: bool
    protracted: bool
    home: bool
    coalition: bool


@dataclass(frozen=True)
class MappingParameters:
    """The global parameters of the mapping, estimated on training crises.

    The defaults are the engine's (:class:`redline.scenario.models.ModelSettings`).

    Attributes
    ----------
    escalation : float
        Multiplies every rung's military effect (the gain that tempts an
        actor up the ladder against its costs and risks).
    rationality : float
        The logit precision lambda of every decision (McKelvey and Palfrey):
        low values make moves up and down the ladder noisy.
    switching_cost : float
        The utility cost of a move (a government's inertia).
    planning_weeks : float
        The weeks over which a posture's weekly gains and costs are weighed
        against one-off risks and the switching cost.
    talks_hazard : float
        Weekly chance that a deal is struck when one exists.

    """

    escalation: float = 1.0
    rationality: float = 30.0
    switching_cost: float = 0.1
    planning_weeks: float = 26.0
    talks_hazard: float = 0.1


def _int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _same_day(row: pd.Series, other: pd.Series) -> bool:
    return all(_int(row[key]) == _int(other[key]) for key in ("yrtrig", "motrig", "datrig"))


def actor_starts(data: ICBData, crisno: int) -> list[CrisisStart]:
    """Every crisis actor's start in crisis ``crisno``, in ICB order (cracno)."""
    rows = data.actors[data.actors["crisno"] == crisno]
    crisis = data.crises[data.crises["crisno"] == crisno]
    name = str(crisis["crisname"].iloc[0]) if len(crisis) else ""
    starts = []
    for _, row in rows.iterrows():
        powdis = _int(row["powdis"])
        if powdis is not None and abs(powdis) > POWDIS_LIMIT:
            powdis = None
        starts.append(CrisisStart(
            crisno=int(crisno), actor=str(row["actor"]), name=name, year=int(row["yrtrig"]),
            month=_int(row["motrig"]), day=_int(row["datrig"]), triggr=int(row["triggr"]),
            gravty=_int(row["gravty"]), powdis=powdis, nuclear=_int(row["nuclear"]),
            southpow=_int(row["southpow"]), regime=_int(row["regime"]),
            allycap=_int(row["allycap"]), pc=_int(row["pc"]), cractloc=_int(row["cractloc"]),
            co_actors=sum(_same_day(row, other) for _, other in rows.iterrows()),
        ))
    return starts


def crisis_start(data: ICBData, crisno: int) -> CrisisStart:
    """The start of the international crisis: its first crisis actor's start.

    The first actor is the one with the earliest trigger date (ICB order
    among ties); ``co_actors`` counts the crisis actors triggered the same
    day, the only ones known at the crisis's start.
    """
    starts = actor_starts(data, crisno)
    if not starts:
        raise KeyError(f"crisis {crisno} has no crisis actor in the actor-level data")
    return min(starts, key=lambda s: (s.year, s.month or 0, s.day or 0))


def crisis_type(start: CrisisStart) -> CrisisType:
    """Coarse classes of the start variables (the table in docs/history.md)."""
    trigger: Literal["non_military", "military", "violent"] = (
        "violent" if start.triggr >= 8 else "military" if start.triggr == 7 else "non_military")
    gravity: Literal["low", "medium", "high"] = (
        "high" if start.gravty in (5, 6) else "medium" if start.gravty in (3, 4) else "low")
    balance: Literal["weaker", "even", "stronger"] = "even"
    if start.powdis is not None and start.powdis < -POWDIS_EVEN:
        balance = "weaker"
    elif start.powdis is not None and start.powdis > POWDIS_EVEN:
        balance = "stronger"
    return CrisisType(
        trigger=trigger, gravity=gravity, balance=balance,
        nuclear=(start.nuclear or 0) >= 3 or start.southpow == 4,
        democracy=start.regime == 1,
        great_power_ally=start.allycap in (2, 3),
        protracted=(start.pc or 1) >= 2,
        home=start.cractloc == 1,
        coalition=start.co_actors >= 2,
    )


_RESOLVE = {"low": 0.3, "medium": 0.5, "high": 0.7}
#: Stakes of the crisis by gravity: rung costs are relative to the stakes, so an actor's
#: cost sensitivity is divided by them (a protracted conflict multiplies them by 1.5).
_STAKES = {"low": 1.0, "medium": 1.5, "high": 3.0}
#: Contest decisiveness m for whole crises (as kursk-2024 argues; CDB90's 0.37 is per battle).
DECISIVENESS = 1.0
_THRESHOLD = {"low": 4.5, "medium": 3.8, "high": 3.2}
_CAPABILITY = {"weaker": (0.4, 1.0), "even": (1.0, 1.0), "stronger": (1.0, 0.4)}
_INITIAL = {"non_military": "pressure", "military": "show_of_force", "violent": "clashes"}
#: (id, label, severity, effect, weekly cost): effects are multiplied by the escalation parameter.
LADDER = (
    ("pressure", "Political, economic or verbal pressure", 1, 0.01, 0.001),
    ("show_of_force", "Show of force: mobilisation, manoeuvres, deployments", 2, 0.03, 0.004),
    ("clashes", "Minor armed clashes", 3, 0.06, 0.01),
    ("serious_clashes", "Serious armed clashes", 5, 0.12, 0.03),
    ("war", "Full-scale war", 7, 0.25, 0.08),
)
#: The rungs at which each ICB violence class begins (none below ``clashes``).
VIOLENCE_RUNGS = ("clashes", "serious_clashes", "war")
#: The crisis actor's responses (the rung first reached) whose weeks the runs record:
#: a non-military response (``pressure``), a non-violent military one, a violent one.
RESPONSE_RUNGS = ("pressure", "show_of_force", "clashes")
#: The crisis actor's rungs whose first week the runs record (questions ``ca_<rung>``): its
#: responses, and the violence classes of its own acts (ICB2 SEVVIO).
CA_RECORDED_RUNGS = tuple(dict.fromkeys(RESPONSE_RUNGS + VIOLENCE_RUNGS))


def scenario_data(kind: CrisisType, params: MappingParameters, *, name: str = "icb-crisis",
                  title: str | None = None, start: dt.date | None = None) -> dict[str, Any]:
    """The generated scenario as plain data (what ``redline crises scenario`` writes)."""
    cap_ca, cap_adv = _CAPABILITY[kind.balance]
    war_cost = 0.45 if kind.nuclear else 0.3
    stakes = _STAKES[kind.gravity] * (1.5 if kind.protracted else 1.0)
    actors: dict[str, Any] = {
        "CA": {"name": "Crisis actor", "capability": cap_ca, "nuclear": kind.nuclear,
               "resolve": _RESOLVE[kind.gravity], "war_cost": war_cost,
               "cost_sensitivity": round((1.5 if kind.democracy else 0.8) / stakes, 6),
               "optimism": {"uniform": [0.0, 0.2]}},
        "ADV": {"name": "Source of the threat", "capability": cap_adv, "nuclear": kind.nuclear,
                "resolve": 0.5, "war_cost": war_cost,
                "cost_sensitivity": round(1.0 / stakes, 6),
                "optimism": {"uniform": [0.0, 0.2]},
                "initial_posture": _INITIAL[kind.trigger]},
    }
    sides: dict[str, list[str]] = {"CA": ["CA"], "ADV": ["ADV"]}
    support = []
    if kind.coalition:
        actors["PART"] = {"name": "Other crisis actors triggered the same day",
                          "capability": 0.5 * cap_ca}
        sides["CA"].append("PART")
    if kind.great_power_ally:
        actors["PAT"] = {"name": "Great-power patron", "capability": 1.0, "great_power": True}
        sides["CA"].append("PAT")
        support.append({"by": "PAT", "to": "CA", "level": 0.3})
    ladder: list[dict[str, Any]] = [
        {"id": rung, "label": label, "severity": severity,
         "effect": round(effect * params.escalation, 6), "cost": cost, "users": ["CA", "ADV"],
         **({"harm": 0.3 * severity / 7} if severity >= 3 else {})}
        for rung, label, severity, effect, cost in LADDER
    ]
    red_lines: list[dict[str, Any]] = [{
        "id": "armed_attack", "owner": "CA", "applies_to": ["ADV"], "declared_at": "clashes",
        "threshold": {"normal": [_THRESHOLD[kind.gravity], 1.0]},
        "response": "serious_clashes", "fallback": "show_of_force",
        "follow_through": {"beta": [4, 2] if kind.gravity == "high" else [2, 2]},
    }]
    if kind.nuclear:
        ladder.append({"id": "nuclear_use", "label": "Nuclear use", "severity": 10,
                       "effect": 1.0, "cost": 5.0, "harm": 5.0, "users": ["CA", "ADV"],
                       "outcome": "nuclear_use"})
        red_lines.append({
            "id": "nuclear_threshold", "owner": "CA", "applies_to": ["ADV"],
            "declared_at": "war", "threshold": {"normal": [7.5, 1.0]},
            "response": "nuclear_use", "fallback": "war", "follow_through": 0.05})
    front = {
        "attacker": "ADV", "defender": "CA",
        "forces": {"ADV": 10000 * cap_adv, "CA": 10000 * cap_ca},
        "control": 0.2, "attrition": {"ADV": 0.02, "CA": 0.02},
        "reinforcement": {"ADV": 500 * cap_adv, "CA": 500 * cap_ca},
        "control_speed": 0.05, "weight": 0.5 if kind.home else 0.2, "active": False,
    }
    conflict = [{"by": by, "to": to, "kept": True,
                 "what": "past agreements between the parties, kept"}
                for by, to in (("ADV", "CA"), ("CA", "ADV"))]
    if kind.protracted:
        conflict += [{"by": by, "to": to, "kept": False,
                      "what": "a protracted conflict: an earlier agreement broken"}
                     for by, to in (("ADV", "CA"), ("CA", "ADV"))]
    either_at = [{"reached": {"actor": actor, "rung": "clashes"}} for actor in ("CA", "ADV")]
    questions = [
        {"id": f"violence_{rung}", "event": {"any": [
            {"reached": {"actor": actor, "rung": rung}} for actor in ("CA", "ADV")]
            + ([{"outcome": "nuclear_use"}] if rung == "war" and kind.nuclear else [])},
         "by_week": HORIZON}
        for rung in VIOLENCE_RUNGS
    ] + [
        {"id": "ca_gains", "event": {"control_below": {"front": "main", "value": 0.1}},
         "by_week": HORIZON},
        {"id": "adv_gains", "event": {"control_above": {"front": "main", "value": 0.4}},
         "by_week": HORIZON},
        {"id": "adv_backs_down", "event": {"not": {"posture_at_least": {
            "actor": "ADV", "rung": _INITIAL[kind.trigger]}}}, "by_week": HORIZON},
    ] + [
        {"id": f"ca_{rung}", "event": {"reached": {"actor": "CA", "rung": rung}},
         "by_week": HORIZON}
        for rung in CA_RECORDED_RUNGS
    ] + [
        {"id": "crisis_abates", "event": {"any": [{"settled": True}, {"not": {
            "posture_at_least": {"actor": "ADV", "rung": _INITIAL[kind.trigger]}}}]},
         "by_week": HORIZON},
    ]
    return {
        "name": name,
        "title": title or "Generic crisis from ICB start-of-crisis codes",
        "description": "Generated by redline.history.mapping from " + ", ".join(
            f"{key}={value}" for key, value in asdict(kind).items()) + "; parameters "
            + ", ".join(f"{key}={value:.4g}" for key, value in asdict(params).items()) + ".",
        "start": start or dt.date(2000, 1, 1),
        "horizon": HORIZON,
        "actors": actors,
        "sides": sides,
        "support": support,
        "ladder": ladder,
        "red_lines": red_lines,
        "fronts": {"main": front},
        "policies": [{"id": "first_clash_opens_front", "description":
                      "Armed clashes open the contested ground to fighting.",
                      "when": {"any": either_at}, "then": [{"open_front": "main"}],
                      "probability": 1.0, "delay_weeks": 0}],
        "commitments": conflict,
        "questions": questions,
        "model": {"talks_hazard": round(params.talks_hazard, 6),
                  "rationality": round(params.rationality, 6),
                  "switching_cost": round(params.switching_cost, 6),
                  "planning_weeks": round(params.planning_weeks, 6),
                  "sources": {name: "the ICB mapping's parameters (redline.history.mapping); "
                              "the posterior medians of `redline estimate` unless calibrated "
                              "otherwise" for name in ("rationality", "switching_cost",
                                                       "planning_weeks", "talks_hazard")},
                  "decisiveness": DECISIVENESS},
    }


def build_scenario(kind: CrisisType, params: MappingParameters, **names: Any) -> Scenario:
    """The generated scenario, validated by the scenario loader."""
    return validate_data(scenario_data(kind, params, **names), file="<icb mapping>")


def scenario_for_crisis(data: ICBData, crisno: int,
                        params: MappingParameters | None = None) -> dict[str, Any]:
    """Scenario data for crisis ``crisno`` from its first actor's coded start.

    ``params`` default to the engine's defaults; ``redline crises scenario``
    passes the posterior medians shipped with the package
    (:func:`redline.history.posterior.shipped_posterior`).
    """
    first = crisis_start(data, crisno)
    date = dt.date(first.year, first.month or 1, first.day or 1)
    return scenario_data(crisis_type(first), params or MappingParameters(),
                         name=f"icb-{crisno}", title=f"ICB {crisno}: {first.name.title()} "
                         f"(generic scenario from the coded start; crisis actor {first.actor})",
                         start=date)
