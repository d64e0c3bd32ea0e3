"""The scenario language: pydantic models of a crisis.

A scenario is data, never code. Every element of the model in
docs/model.md has a declarative form here: actors, the two sides and outside
support, the escalation ladder, red lines, conditional policies (``when`` /
``then`` built from a closed vocabulary of conditions and actions), fronts and
deployments, the commitments history that sets trust, forecast questions,
hypotheses and observations. Any number may be a distribution
(:mod:`redline.scenario.distributions`).

Structural checks (types, ranges, unknown keys) are pydantic's; references
between elements (an actor id that does not exist, a rung that is not on the
ladder) are checked by :func:`redline.scenario.references.check_references`,
so that the loader can report every error at once with its line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    Tag,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from redline.scenario.distributions import FiniteFloat, NonNegative, Number, Share

Identifier = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$")
]
ActorId = Identifier
RungId = Identifier


@dataclass(frozen=True)
class Refers:
    """Marks an id field as naming an element of the scenario's collection ``kind``.

    ``kind`` is a field of :class:`Scenario` (``"actors"``, ``"pressures"``,
    ...). The cross-reference check (:mod:`redline.scenario.references`) checks
    every field so marked, wherever it stands, so a new construct declares its
    references here rather than in that module.
    """

    kind: str


#: An actor's id, checked against the scenario's actors.
ActorRef = Annotated[Identifier, Refers("actors")]

#: The terminal and final outcomes of a run, in the order the engine reports them.
OUTCOMES: tuple[str, ...] = (
    "settlement",
    "settlement_broken",
    "ongoing",
    "military_collapse",
    "great_power_war",
    "nuclear_use",
    "regime_crisis",
)
TerminalOutcome = Literal["great_power_war", "nuclear_use"]
Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
#: The longest horizon a scenario or a run (``--horizon``) may have, in weeks (20 years).
MAX_HORIZON = 1040
#: The latest start: week ``MAX_HORIZON`` must still be a date (``datetime.date.max``).
LATEST_START = dt.date.max - dt.timedelta(weeks=MAX_HORIZON)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------- actors


class Reprisal(_Strict):
    """An actor's reprisal motive: it values answering an escalation in kind (tit-for-tat).

    While provoked, moving one rung up gains ``bonus`` in its decisions. It is
    provoked for ``weeks`` weeks by each escalation of the other side (its
    highest rung rising; a killing can be a rung), and from week 1 if the
    crisis opened with the other side's act (``at_start``) (docs/model.md,
    decisions; Leng 1993). For example::

        actors:
          USA: {name: United States, reprisal: {bonus: 0.3, weeks: 2, at_start: true}}
    """

    bonus: NonNegative = Field(
        description="Utility of moving one rung up while provoked, in stakes units (one-off, "
        "like a red-line risk).")
    weeks: int = Field(
        default=1, ge=1, le=MAX_HORIZON,
        description="K: an escalation of the other side seen in week w provokes in weeks w to "
        "w + K - 1.")
    at_start: bool = Field(
        default=False,
        description="The crisis opened with the other side's act: provoked in weeks 1 to K.")


class Actor(_Strict):
    """A state or alliance taking part in the crisis."""

    name: str = Field(min_length=1, max_length=200, description="Display name.")
    capability: NonNegative = Field(
        default=1.0, description="Military-economic capability (Russia = 1 by convention)."
    )
    nuclear: bool = Field(default=False, description="Holds nuclear weapons.")
    great_power: bool = Field(
        default=False,
        description="A great power (for reports; great-power war is a rung's outcome).",
    )
    resolve: Share = Field(
        default=0.5, description="Resolve in [0, 1]: lowers the perceived cost of fighting on."
    )
    war_cost: NonNegative = Field(
        default=0.1,
        description="Expected cost of fighting on, relative to the stakes (Fearon's c).",
    )
    cost_sensitivity: NonNegative = Field(
        default=1.0, description="How strongly accumulated costs weigh (war weariness)."
    )
    optimism: Number = Field(
        default=0.0,
        description="Bias of its estimate of its side's chance of prevailing (mutual optimism).",
    )
    stability: Share = Field(default=1.0, description="Initial regime stability in [0, 1].")
    stability_floor: FiniteFloat = Field(
        default=0.0, ge=0.0, le=1.0, description="Below this stability: regime crisis."
    )
    stability_sensitivity: NonNegative = Field(
        default=0.0, description="Stability lost per unit of weekly cost."
    )
    initial_posture: RungId | None = Field(
        default=None, description="Rung employed at the start (default: none)."
    )
    position: Share | None = Field(
        default=None,
        description="Preferred settlement: share of the issue to the first side (negotiation"
        " model); none: not at the table.",
    )
    salience: Share | None = Field(
        default=None, description="How much the issue matters to it (negotiation model)."
    )
    reprisal: Reprisal | None = Field(
        default=None, description="Its reprisal motive (default: none): tit-for-tat.")


class Support(_Strict):
    """Share of an actor's capability put behind a side's leader.

    One entry per supporting actor; overlays address it by that actor (``support.CHN.level``).
    """

    by: ActorId
    to: ActorId
    level: Share = Field(description="Share of capability in [0, 1].")


# --------------------------------------------------------------------- ladder


class Rung(_Strict):
    """One rung of the escalation ladder (Kahn 1965)."""

    id: RungId
    label: str | None = None
    severity: FiniteFloat = Field(ge=0.0, description="Ordinal severity; red lines compare it.")
    effect: Number = Field(
        default=0.0, description="Military effect: added to its user's effectiveness per week."
    )
    cost: NonNegative = Field(default=0.0,
                              description="Weekly cost to its user, relative to stakes.")
    harm: NonNegative = Field(
        default=0.0,
        description="Harm to the target when used as a red-line response, relative to stakes.",
    )
    users: list[ActorId] | None = Field(
        default=None, description="Actors that may use it (default: every side member)."
    )
    needs_permission_from: list[ActorId] = Field(
        default_factory=list,
        description="Suppliers who must all permit it before a user that is not one of them may.",
    )
    outcome: TerminalOutcome | None = Field(
        default=None, description="Using this rung ends the run with this outcome."
    )


# ------------------------------------------------------------------ red lines


class GradedResponse(_Strict):
    """One step of a red line's graded schedule of responses (``responses:``).

    A crossing enforced at a rung at or above ``at``, and below the next
    entry's ``at``, is answered with ``response`` (with probability rho, the
    line's follow-through) or else ``fallback``. For example, a line declared
    at ``deep_strike`` with ``response: strategic_conventional`` (the default,
    for crossings below the first entry) and::

        responses:
          - {at: allied_troops, response: allied_direct_combat, fallback: strategic_conventional}
          - {at: nuclear_signal, response: nuclear_use}

    answers allied troops with direct combat, a nuclear signal with nuclear use.
    """

    at: RungId = Field(description="The lowest rung of the crossings this entry answers.")
    response: RungId = Field(description="Declared response to those crossings.")
    fallback: RungId | None = Field(
        default=None,
        description="Response when the declared one is not carried out (default: none).")


class RedLine(_Strict):
    """A declared red line with a private true threshold (Schelling 1960).

    The owner answers a crossing by the actors it applies to once the highest
    severity they employ reaches the threshold T (docs/model.md, red lines);
    ``responses`` grades the answer by the severity of the crossing. A line
    whose ``applies_to`` holds its owner is also a self-limit: the owner's
    public pledge not to go to ``declared_at`` or beyond, which it weighs as a
    certain audience cost (Fearon 1994) and pays the week it breaks it; the
    line is never enforced against its owner. For example, a no-first-use
    pledge::

        - id: no_first_use
          owner: CHN
          applies_to: [CHN]
          declared_at: nuclear_use
          audience_cost: 2.0       # stakes units, paid once on breaking the pledge
          threshold: 10            # (unused by a pure self-limit)
          response: nuclear_use
          follow_through: 1
    """

    id: Identifier
    owner: ActorId
    applies_to: list[ActorId] = Field(min_length=1)
    declared_at: RungId = Field(description="The rung the owner says will trigger a response.")
    tolerated: RungId | None = Field(
        default=None,
        description="Highest rung already crossed without response: the public lower bound L.",
    )
    threshold: Number = Field(description="True threshold T in severity units, drawn per run.")
    response: RungId = Field(description="Declared response.")
    fallback: RungId | None = Field(
        default=None,
        description="Response when the declared one is not carried out (default: none).",
    )
    follow_through: Share = Field(
        description="Probability rho that an enforcement uses the declared response."
    )
    priors: dict[ActorId, Number] = Field(
        default_factory=dict,
        description="Observers' priors over T (default for others: the threshold's own law).",
    )
    tested_at_start: bool = Field(
        default=True,
        description="Whether the postures held at the start count as already tested (and "
        "tolerated). false: a crossing that starts the crisis is tested in week 1, so the "
        "owner may answer it.")
    responses: list[GradedResponse] = Field(
        default_factory=list,
        description="Graded schedule: responses to crossings by severity, in increasing "
        "severity of their `at` rungs; a crossing below the first entry gets `response` and "
        "`fallback`.")
    audience_cost: NonNegative | None = Field(
        default=None,
        description="Only for a line that applies to its owner (a self-limit): the owner's "
        "one-off cost, in stakes units, of breaking its pledge by reaching `declared_at` "
        "(default: the harm of `response`).")


# ------------------------------------------------------------ fronts, forces


class Front(_Strict):
    """A theatre with Lanchester attrition (Lanchester 1916; Helmbold 1965)."""

    attacker: ActorId
    defender: ActorId
    forces: dict[ActorId, NonNegative] = Field(description="Initial strength by actor.")
    control: Share = Field(default=0.5, description="Share of the ground held by the attacker.")
    attrition: dict[ActorId, NonNegative] = Field(
        default_factory=dict,
        description="Weekly losses inflicted per unit of the actor's strength (Lanchester a).",
    )
    reinforcement: dict[ActorId, NonNegative] = Field(
        default_factory=dict, description="Strength added per week by actor."
    )
    exponent_enemy: FiniteFloat = Field(default=1.0, description="p in dA = -a B^p A^q.")
    exponent_own: FiniteFloat = Field(default=0.0, description="q in dA = -a B^p A^q.")
    control_speed: NonNegative = Field(
        default=0.02, description="Weekly change of control at a force ratio of e (1 nat)."
    )
    weight: NonNegative = Field(
        default=0.2, description="Weight of the front in its sides' power (per unit of control)."
    )
    active: bool = Field(default=True, description="Open at the start (else opened by a policy).")
    diverts: dict[ActorId, Share] = Field(
        default_factory=dict,
        description="Share of each actor's capability tied down while the front is open.",
    )
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"fronts": {"plateau": {"attacker": "CHN", "defender": "IND",
                                "forces": {"CHN": 300, "IND": 350},
                                "attrition": {"CHN": 0.02, "IND": 0.02}, "control": 0.1,
                                "fights_at": "border_clash"}}},
    ]})

    fights_at: Annotated[Identifier, Refers("ladder")] | None = Field(
        default=None,
        description=("The rung the front's attacker or defender must hold (or one above) for "
                     "the front to fight; below it the open front is a standoff: no attrition, "
                     "reinforcement or change of control. None: it fights whenever open."),
    )


class Deployment(_Strict):
    """Forces an actor sends to a front on a side's behalf."""

    id: Identifier
    actor: ActorId
    front: Identifier
    side: ActorId = Field(description="The side leader or member whose side it reinforces.")
    strength: NonNegative
    exists: Share = Field(default=1.0, description="Probability the deployment is real.")
    active: bool = Field(default=True, description="Under way at the start (else by a policy).")
    combat_delay_weeks: NonNegative = Field(
        default=0.0, description="Weeks from activation to combat."
    )


# ------------------------------------------------------------ economic pressure


class Pressure(_Strict):
    """Economic pressure (sanctions): a weekly cost its senders impose on a target.

    In force from the start when ``active``; a policy's ``apply_pressure`` puts
    it in force and ``lift_pressure`` lifts it for good. While in force the
    target pays ``cost`` each week: it lowers the target's regime stability and
    adds to the costs that wear down its valuation of continuing the war
    (docs/model.md, economic pressure; Hufbauer et al. 2007; Marinov 2005).
    """

    by: list[ActorRef] = Field(min_length=1, description="Actor ids of the senders.")
    target: ActorRef = Field(description="Actor id of the target.")
    cost: NonNegative = Field(
        description="Weekly cost to the target while in force, as a share of its stakes "
        "(the unit of a rung's cost, docs/scales.md).")
    active: bool = Field(default=True,
                         description="In force at the start (else put in force by a policy).")


class Commitment(_Strict):
    """A past promise, kept or broken: the evidence behind trust."""

    id: Identifier | None = Field(
        default=None, description="Optional name, unique among commitments: overlays and "
        "interventions address the entry as commitments.ID.")
    by: ActorId
    to: ActorId
    what: str = Field(min_length=1, max_length=500)
    year: int | None = None
    kept: bool
    weight: FiniteFloat = Field(default=1.0, gt=0.0)


# ----------------------------------------------------------------- conditions


class ActorRung(_Strict):
    """An actor and a rung."""

    actor: ActorId
    rung: RungId


class FrontValue(_Strict):
    """A front and a value in [0, 1]."""

    front: Identifier
    value: Probability


class ActorValue(_Strict):
    """An actor and a value in [0, 1]."""

    actor: ActorId
    value: Probability


class PostureAtLeast(_Strict):
    """True when the actor's current posture is at or above the rung."""

    posture_at_least: ActorRung


class PostureIs(_Strict):
    """True when the actor's current posture is exactly the rung (not a higher one)."""

    posture_is: ActorRung

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"posture_is": {"actor": "USA", "rung": "quarantine"}}]})


class Reached(_Strict):
    """True once the actor has ever employed the rung or a higher one."""

    reached: ActorRung


class Permitted(_Strict):
    """True when the actor may use the rung (every supplier has permitted it)."""

    permitted: ActorRung


class DeploymentInCombat(_Strict):
    """True when the deployment exists, is active and has reached combat."""

    deployment_in_combat: Identifier


class DeploymentExists(_Strict):
    """True when the deployment is real in this run and under way (active)."""

    deployment_exists: Identifier


class ControlBelow(_Strict):
    """True when the attacker's control of the front is below the value."""

    control_below: FrontValue


class ControlAbove(_Strict):
    """True when the attacker's control of the front is above the value."""

    control_above: FrontValue


class FrontActive(_Strict):
    """True when the front is open."""

    front_active: Identifier


class WeekAtLeast(_Strict):
    """True from the given week on (week 1 is the first step)."""

    week_at_least: int = Field(ge=0, le=MAX_HORIZON)


class PolicyFired(_Strict):
    """True once the policy's actions have taken effect."""

    policy_fired: Identifier


class RedLineEnforced(_Strict):
    """True once the red line has been enforced."""

    red_line_enforced: Identifier


class RedLineCrossed(_Strict):
    """True once the red line's declared rung has been crossed."""

    red_line_crossed: Identifier


class Settled(_Strict):
    """True while a settlement holds."""

    settled: Literal[True]


class OutcomeIs(_Strict):
    """True once the run has ended with this outcome."""

    outcome: Literal[
        "military_collapse", "great_power_war", "nuclear_use", "regime_crisis"
    ]


class StabilityBelow(_Strict):
    """True when the actor's regime stability is below the value."""

    stability_below: ActorValue


class RegimeCrisis(_Strict):
    """True once the actor's stability has fallen below its floor."""

    regime_crisis: ActorId


class BeliefTarget(_Strict):
    """An observer's belief about a red line at a rung, and a bound."""

    observer: ActorId
    red_line: Identifier
    rung: RungId
    value: Probability


class BeliefBelow(_Strict):
    """True when the observer's belief that the rung would meet enforcement is below value."""

    belief_below: BeliefTarget


class HeldForSpec(_Strict):
    """A condition and the number of consecutive weeks it must have held."""

    weeks: int = Field(ge=1, le=MAX_HORIZON, description="Consecutive weeks, this one included.")
    condition: Condition = Field(description="The condition that must have held.")


class HeldFor(_Strict):
    """True when the condition has held in each of the last `weeks` weeks, this one included.

    Each use keeps its own count, updated once a week where it is evaluated: a
    policy's `when` at the start of the week (on the state the week before left),
    a question's or an observation's `event` at the end of the week.
    """

    held_for: HeldForSpec

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"held_for": {"weeks": 8, "condition": {"front_active": "kursk"}}}]})


class Ever(_Strict):
    """True once the condition has held in some week so far (a latch: it stays true).

    Each use keeps its own latch, updated where it is evaluated (as `held_for`).
    """

    ever: Condition

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"ever": {"posture_is": {"actor": "USA", "rung": "quarantine"}}}]})


class AllOf(_Strict):
    """True when every condition holds."""

    all: list[Condition] = Field(min_length=1)


class AnyOf(_Strict):
    """True when at least one condition holds."""

    any: list[Condition] = Field(min_length=1)


class NotOf(_Strict):
    """True when the condition does not hold."""

    not_: Condition = Field(alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _single_key_tag(value: object) -> str | None:
    """The tag of a one-key mapping (its key), for discriminated unions."""
    if isinstance(value, dict):
        return next(iter(value)) if len(value) == 1 else None
    if isinstance(value, BaseModel):
        return next(iter(value.model_fields_set), None)
    return None


def _tag(value: object) -> str | None:
    tag = _single_key_tag(value)
    if isinstance(value, NotOf):
        return "not"
    return tag


#: The keys that name a condition, for error messages and the docs.
CONDITION_KEYS: tuple[str, ...] = (
    "posture_at_least",
    "posture_is",
    "reached",
    "permitted",
    "deployment_in_combat",
    "deployment_exists",
    "control_below",
    "control_above",
    "front_active",
    "week_at_least",
    "policy_fired",
    "red_line_enforced",
    "red_line_crossed",
    "settled",
    "outcome",
    "stability_below",
    "regime_crisis",
    "belief_below",
    "held_for",
    "ever",
    "all",
    "any",
    "not",
)

Condition = Annotated[
    Annotated[PostureAtLeast, Tag("posture_at_least")]
    | Annotated[PostureIs, Tag("posture_is")]
    | Annotated[Reached, Tag("reached")]
    | Annotated[Permitted, Tag("permitted")]
    | Annotated[DeploymentInCombat, Tag("deployment_in_combat")]
    | Annotated[DeploymentExists, Tag("deployment_exists")]
    | Annotated[ControlBelow, Tag("control_below")]
    | Annotated[ControlAbove, Tag("control_above")]
    | Annotated[FrontActive, Tag("front_active")]
    | Annotated[WeekAtLeast, Tag("week_at_least")]
    | Annotated[PolicyFired, Tag("policy_fired")]
    | Annotated[RedLineEnforced, Tag("red_line_enforced")]
    | Annotated[RedLineCrossed, Tag("red_line_crossed")]
    | Annotated[Settled, Tag("settled")]
    | Annotated[OutcomeIs, Tag("outcome")]
    | Annotated[StabilityBelow, Tag("stability_below")]
    | Annotated[RegimeCrisis, Tag("regime_crisis")]
    | Annotated[BeliefBelow, Tag("belief_below")]
    | Annotated[HeldFor, Tag("held_for")]
    | Annotated[Ever, Tag("ever")]
    | Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")],
    Discriminator(
        _tag,
        custom_error_type="condition",
        custom_error_message="not a condition",
    ),
]
HeldForSpec.model_rebuild()
HeldFor.model_rebuild()
Ever.model_rebuild()
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


# -------------------------------------------------------------------- actions


class PermitTarget(_Strict):
    """A supplier's permission for an actor to use a rung."""

    actor: ActorId
    rung: RungId
    by: ActorId


class Permit(_Strict):
    """The supplier lifts its ban on the rung for the actor."""

    permit: PermitTarget


class Forbid(_Strict):
    """The supplier bans the rung for the actor again."""

    forbid: PermitTarget


class Deploy(_Strict):
    """Activate a deployment."""

    deploy: Identifier


class SupportChange(_Strict):
    """Set an actor's support for a side leader."""

    by: ActorId
    to: ActorId
    level: Share


class ChangeSupport(_Strict):
    """Change the share of capability an actor puts behind a side."""

    support: SupportChange


class OpenFront(_Strict):
    """Open an inactive front."""

    open_front: Identifier


class TalksOffer(_Strict):
    """Raise the weekly hazard that talks conclude a deal, when a deal exists."""

    hazard: Probability


class OfferTalks(_Strict):
    """A mediator or a side offers talks."""

    offer_talks: TalksOffer


class RecordedAction(_Strict):
    """An action that the policies' step records but another mechanism carries out.

    The policies' step marks the policy fired (``policy_fired``); the mechanism
    that owns the action reads which policies fired and acts on its own state,
    so a new action of a new mechanism touches neither the policies' step nor
    the condition programs. Each says in words what it does (:meth:`describe`).
    """

    def describe(self) -> str:
        """The action in words, as the scenario describers print it."""
        raise NotImplementedError


class ApplyPressure(RecordedAction):
    """Put an economic pressure in force (mechanisms.pressure)."""

    apply_pressure: Annotated[Identifier, Refers("pressures")]

    def describe(self) -> str:
        """The action in words."""
        return f"apply pressure {self.apply_pressure}"


class LiftPressure(RecordedAction):
    """Lift an economic pressure for good (mechanisms.pressure)."""

    lift_pressure: Annotated[Identifier, Refers("pressures")]

    def describe(self) -> str:
        """The action in words."""
        return f"lift pressure {self.lift_pressure}"


class CloseFront(RecordedAction):
    """Close an open front for good: a ceasefire there, ground held as it stands.

    Carried out by mechanisms.fronts.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"close_front": "plateau"}]})

    close_front: Annotated[Identifier, Refers("fronts")]

    def describe(self) -> str:
        """The action in words."""
        return f"close front {self.close_front}"


class WithdrawalTarget(_Strict):
    """Which front, and which of its two actors leaves it."""

    front: Annotated[Identifier, Refers("fronts")]
    actor: ActorRef = Field(description="The front's attacker or defender.")


class Withdraw(RecordedAction):
    """One actor leaves a front: the other holds all its ground, and the front closes.

    Carried out by mechanisms.fronts.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"withdraw": {"front": "plateau", "actor": "CHN"}}]})

    withdraw: WithdrawalTarget

    def describe(self) -> str:
        """The action in words."""
        return f"{self.withdraw.actor} withdraws from front {self.withdraw.front}"


class ConcessionTerms(_Strict):
    """Who concedes, and what the concession is worth to the other side."""

    by: ActorRef = Field(description="Actor id of the side that concedes (a member of it).")
    value: Number = Field(
        description=("Worth of the concession to the other side, in shares of the disputed "
                     "issue (the bargaining range's unit): a side payment outside the issue."))


class Concede(RecordedAction):
    """A trade: one side offers something outside the issue, so a deal needs less of it.

    Carried out by mechanisms.bargaining: from the week the policy fires, the
    other side accepts a deal on the issue worth ``value`` less to it (a side
    payment or a linked issue), which widens the acceptable range.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"concede": {"by": "USA", "value": 0.05}}]})

    concede: ConcessionTerms

    def describe(self) -> str:
        """The action in words."""
        return f"{self.concede.by} concedes (worth {self.concede.value} to the other side)"


class AdoptTarget(_Strict):
    """An actor, the rung it adopts, and for how many weeks it holds it."""

    actor: ActorRef = Field(description="Actor id of who adopts the posture.")
    rung: Annotated[RungId, Refers("ladder")] = Field(
        description="The rung it adopts, above or below its current one; it must be among"
        " the rung's users.")
    weeks: int | None = Field(
        default=None, ge=1, le=MAX_HORIZON,
        description="Weeks it holds the rung without deciding, then returns to the rung it"
        " held before (1: a one-off act). Left out: it decides again from the rung the next"
        " week.")


class Adopt(_Strict):
    """The actor's posture becomes the rung this week, before the decisions (held `weeks`)."""

    adopt: AdoptTarget

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"adopt": {"actor": "USA", "rung": "second_carrier"}},
        {"adopt": {"actor": "ISR", "rung": "targeted_strike", "weeks": 1}},
    ]})


class Record(RecordedAction):
    """Record an event with no military effect (a treaty signed): the policy firing is it."""

    record: str = Field(min_length=1, max_length=500,
                        description="What happened, in words.")

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"record": "Finland joins NATO"},
    ]})

    def describe(self) -> str:
        """The action in words."""
        return f"record: {self.record}"


ACTION_KEYS: tuple[str, ...] = (
    "permit", "forbid", "deploy", "support", "open_front", "offer_talks", "apply_pressure",
    "lift_pressure", "close_front", "withdraw", "concede", "adopt", "record",
)
Action = Annotated[
    Annotated[Permit, Tag("permit")]
    | Annotated[Forbid, Tag("forbid")]
    | Annotated[Deploy, Tag("deploy")]
    | Annotated[ChangeSupport, Tag("support")]
    | Annotated[OpenFront, Tag("open_front")]
    | Annotated[OfferTalks, Tag("offer_talks")]
    | Annotated[ApplyPressure, Tag("apply_pressure")]
    | Annotated[LiftPressure, Tag("lift_pressure")]
    | Annotated[CloseFront, Tag("close_front")]
    | Annotated[Withdraw, Tag("withdraw")]
    | Annotated[Concede, Tag("concede")]
    | Annotated[Adopt, Tag("adopt")]
    | Annotated[Record, Tag("record")],
    Discriminator(
        _single_key_tag,
        custom_error_type="action",
        custom_error_message="not an action",
    ),
]


class Policy(_Strict):
    """A conditional policy: when the condition first holds, act (with a chance, after a delay)."""

    id: Identifier
    actor: ActorId | None = Field(default=None, description="Who decides (for the record).")
    description: str | None = Field(default=None, max_length=2000)
    when: Condition
    then: list[Action] = Field(min_length=1)
    probability: Share = Field(
        default=1.0, description="Chance the policy is carried out once its condition holds."
    )
    hazard: Share | None = Field(
        default=None,
        description="Weekly chance that it is carried out, in every week its condition holds"
        " until it is (an incident arising while a posture is held); instead of"
        " `probability`, which draws once, the first week the condition holds.")
    delay_weeks: NonNegative = Field(default=0.0, description="Weeks from decision to effect.")

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"id": "rocket_kills", "actor": "HEZ",
         "description": "Rocket fire kills civilians, with a weekly chance while it goes on",
         "when": {"posture_at_least": {"actor": "HEZ", "rung": "rocket_fire"}},
         "hazard": 0.05,
         "then": [{"adopt": {"actor": "ISR", "rung": "targeted_strike", "weeks": 1}},
                  {"record": "civilians killed by rocket fire"}]},
    ]})

    @model_validator(mode="after")
    def _one_chance(self) -> Policy:
        """A policy draws once (``probability``) or every week (``hazard``), not both.

        A probability of 1, the default, goes with a hazard: a full dump of the
        scenario (the store's canonical JSON) writes it out.
        """
        if self.hazard is not None and self.probability != 1.0:
            raise PydanticCustomError(
                "probability_and_hazard",
                "a policy takes a probability (one draw) or a hazard (a draw every week its"
                " condition holds), not both",
                {"expected": "probability or hazard"})
        return self


# --------------------------------------------------------- questions, evidence


def week_of_deadline(start: dt.date, deadline: dt.date) -> int:
    """The last week whose end falls on or before ``deadline``: floor(days / 7).

    Week w ends on ``start`` + 7 w days (week 0 is the start), so a deadline
    between two weeks' ends counts the earlier: the event must have happened by
    the date, and a week's state is known at its end.
    """
    return (deadline - start).days // 7


def week_of_opening(start: dt.date, opening: dt.date) -> int:
    """The first week whose end falls on or after ``opening``: ceil(days / 7), at least 0."""
    return max(-(-(opening - start).days // 7), 0)


def _no_default(schema: dict[str, Any]) -> None:
    """Leave a placeholder default (a key required unless another is given) out of the schema."""
    schema.pop("default", None)


class Question(_Strict):
    """A forecast question: the event happens by the deadline week.

    With `from_week`, it asks whether the event happens in the window from that
    week to the deadline: the event is not checked before the window opens (a
    `held_for` or `ever` in it still counts the weeks before). Either end may be
    a date instead (`by_date`, `from_date`): a deadline date counts the last week
    that ends on or before it, an opening date the first week that ends on or after
    it (week w ends `start` + 7 w days). A deadline past the horizon is allowed
    (the question is answered as of the horizon; `redline validate` warns).
    """

    id: Identifier
    text: str | None = Field(default=None, max_length=2000)
    event: Condition
    by_week: int = Field(
        default=0, ge=1, le=MAX_HORIZON, json_schema_extra=_no_default,
        description="Deadline: week (from the start) by which the event counts; this or "
        "`by_date` is required.")
    by_date: dt.date | None = Field(
        default=None, description="Deadline as a date, instead of `by_week`: the last week "
        "that ends on or before it.")
    from_week: int = Field(
        default=0, ge=0, le=MAX_HORIZON,
        description="First week of the window in which the event counts (0: from the start).")
    from_date: dt.date | None = Field(
        default=None, description="Opening of the window as a date, instead of `from_week`: "
        "the first week that ends on or after it.")
    base_rate: Probability | None = Field(
        default=None, description="Reference-class probability, for scoring baselines."
    )

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={
        "oneOf": [{"required": ["by_week"]}, {"required": ["by_date"]}],
        "examples": [
            {"id": "fighting_lasts", "event": {"held_for": {"weeks": 8, "condition": {
                "front_active": "kursk"}}}, "from_date": "2024-10-01", "by_date": "2024-12-31"},
            {"id": "late_escalation", "event": {"reached": {"actor": "RUS", "rung": "mobilise"}},
             "from_week": 13, "by_week": 26}]})

    @model_validator(mode="after")
    def _one_deadline_and_one_opening(self) -> Question:
        """Exactly one of by_week and by_date; at most one of from_week and from_date."""
        given = self.model_fields_set
        if ("by_week" in given) == (self.by_date is not None):
            raise PydanticCustomError(
                "deadline", "{problem}",
                {"problem": "both by_week and by_date" if "by_week" in given
                 else "no deadline", "expected": "exactly one of by_week and by_date"})
        if "from_week" in given and self.from_date is not None:
            raise PydanticCustomError(
                "opening", "both from_week and from_date",
                {"expected": "at most one of from_week and from_date"})
        return self

    def weeks(self, start: dt.date) -> tuple[int, int]:
        """The window's first and last weeks (``from_week``, ``by_week``) for ``start``."""
        by_week = self.by_week if self.by_date is None else week_of_deadline(start, self.by_date)
        from_week = (self.from_week if self.from_date is None
                     else week_of_opening(start, self.from_date))
        return from_week, by_week

    @model_serializer(mode="wrap")
    def _dates_as_given(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Dump a date as given, without the weeks the scenario worked out from it.

        So that a dump validates again (exactly one of each pair).
        """
        dumped: dict[str, Any] = handler(self)
        if self.by_date is not None:
            dumped.pop("by_week", None)
        if self.from_date is not None:
            dumped.pop("from_week", None)
        return dumped


class Hypothesis(_Strict):
    """An explanation of the facts: a parameter overlay on the scenario, with a prior."""

    id: Identifier
    description: str | None = Field(default=None, max_length=2000)
    prior: float = Field(gt=0.0, le=1.0)
    overlay: dict[str, object] = Field(
        default_factory=dict,
        description="Dotted paths (actors.RUS.resolve, red_lines.<id>.priors.USA) to new values.",
    )


class Observation(_Strict):
    """A reported fact, with the reliability of its source."""

    id: Identifier
    text: str | None = Field(default=None, max_length=2000)
    event: Condition
    by_week: int = Field(ge=0, le=MAX_HORIZON)
    observed: bool = True
    reliability: Probability = Field(
        default=1.0, description="Probability the source reports truly."
    )
    source: str | None = Field(default=None, max_length=500)
    source_group: Identifier | None = Field(
        default=None, description="Reports that relay one underlying source (two officials "
        "citing the same intelligence) share a group: the posterior counts the group once, "
        "at its members' highest reliability. Members must report the same event by the "
        "same week.")


class Intervention(_Strict):
    """A named what-if: an overlay of the scenario that `redline compare` runs against it."""

    id: Identifier
    description: str | None = Field(default=None, max_length=2000)
    set: dict[str, object] = Field(
        min_length=1,
        description="Dotted paths (policies.<id>.probability, deployments.<id>.exists) to new"
        " values, as in a hypothesis overlay.",
    )


# -------------------------------------------------------------- model settings


#: A decision parameter: a fixed non-negative number, or None for the estimates from history.
DecisionParameter = Annotated[FiniteFloat, Field(ge=0.0)] | None


class ModelSettings(_Strict):
    """Global parameters of the mechanisms, with their defaults."""

    rationality: DecisionParameter = Field(
        default=None,
        description="Logit choice precision lambda per unit of the stakes (McKelvey1995). Left"
        " out: drawn per run from the posterior estimated on the ICB crises (redline"
        " estimate; docs/history.md); a fixed value should name its source in `sources`.",
    )
    planning_weeks: DecisionParameter = Field(
        default=None,
        description="Weeks over which a posture's weekly gain and cost are weighed against"
        " one-off risks and switching costs. Left out: drawn per run from the ICB estimates.",
    )
    switching_cost: DecisionParameter = Field(
        default=None,
        description="Utility cost of changing posture, per move, in shares of the stakes"
        " (inertia of a government). Left out: drawn per run from the ICB estimates.",
    )
    decisiveness: FiniteFloat = Field(
        default=0.37, gt=0.0,
        description="Contest success function exponent m (Tullock 1980); default: the maximum"
        " likelihood estimate from 485 CDB90 battles, 95% [0.12, 0.63] (redline verify).",
    )
    talks_hazard: Probability = Field(
        default=0.05, description="Weekly chance that a deal is struck when one exists."
    )
    break_hazard: Probability = Field(
        default=0.02, description="Weekly chance a deal breaks at zero trust (times 1 - trust)."
    )
    power_shift: FiniteFloat = Field(
        default=0.1, ge=0.0,
        description="How much worse placed a side is if a deal is broken (commitment problem).",
    )
    trust_prior: tuple[float, float] = Field(
        default=(1.0, 1.0), description="Beta prior (kept, broken) of trust (Beta-Bernoulli)."
    )
    collapse_share: Probability = Field(
        default=0.05, description="A side whose power share falls below this has collapsed."
    )
    cost_per_loss: FiniteFloat = Field(
        default=1e-6, ge=0.0, description="Cost, relative to stakes, of one unit of front losses."
    )
    negotiation_terms: Literal["midpoint", "expected_utility"] = Field(
        default="midpoint",
        description="Terms of a deal: the midpoint of the acceptable range, or the expected"
        " utility model's forecast (Bueno de Mesquita; Scholz et al. 2011) clipped to the range.",
    )
    negotiation_rounds: int = Field(
        default=10, ge=1, le=100, description="Rounds of the expected utility model."
    )
    war_cost_growth: FiniteFloat = Field(
        default=1.0, ge=0.0,
        description="Growth of the perceived war cost per unit of accumulated cost.",
    )
    sources: dict[str, Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=dict,
        description="Where a fixed parameter's value comes from (a paper, a data set, or a"
        " judgement and its reason), by parameter name: `redline validate` warns about a"
        " decision parameter (rationality, switching_cost, planning_weeks) fixed without one.",
    )

    @model_validator(mode="after")
    def _known_sources(self) -> ModelSettings:
        unknown = sorted(set(self.sources) - set(type(self).model_fields) - {"sources"})
        if unknown:
            raise ValueError(f"sources names unknown parameter(s) {', '.join(unknown)}; "
                             "expected names of model settings such as rationality")
        return self


# ------------------------------------------------------------------- scenario


class Scenario(_Strict):
    """A whole crisis: everything the engine needs, as data."""

    name: Identifier = Field(description="Short name: letters, digits, '_' and '-'.")
    title: str | None = Field(default=None, max_length=500, description="Display title.")
    description: str | None = Field(default=None, max_length=20000,
                                    description="What the scenario represents.")
    start: dt.date = Field(
        description=f"Date of week 0; at most {LATEST_START.isoformat()}, so that week"
        f" {MAX_HORIZON} (the longest horizon) is still a date.")
    step: Literal["week"] = Field(default="week", description="Length of one step.")
    horizon: int = Field(default=52, ge=1, le=MAX_HORIZON, description="Weeks to simulate.")
    actors: dict[ActorId, Actor] = Field(min_length=2, description="Actors by id.")
    sides: dict[ActorId, list[ActorId]] = Field(
        description="Exactly two sides, each keyed by its leader, listing its members."
    )
    support: list[Support] = Field(
        default_factory=list,
        description="Support levels (side members default to 1, outsiders to 0).")
    ladder: list[Rung] = Field(min_length=1, description="The escalation ladder.")
    red_lines: list[RedLine] = Field(default_factory=list, description="Declared red lines.")
    fronts: dict[Identifier, Front] = Field(default_factory=dict, description="Fronts by id.")
    deployments: list[Deployment] = Field(default_factory=list,
                                          description="Forces sent to fronts.")
    pressures: dict[Identifier, Pressure] = Field(
        default_factory=dict, description="Economic pressures (sanctions) by id.")
    policies: list[Policy] = Field(default_factory=list, description="Conditional policies.")
    commitments: list[Commitment] = Field(default_factory=list,
                                          description="Past promises: the basis of trust.")
    questions: list[Question] = Field(default_factory=list, description="Forecast questions.")
    hypotheses: list[Hypothesis] = Field(default_factory=list,
                                         description="Competing explanations, as overlays.")
    observations: list[Observation] = Field(default_factory=list,
                                            description="Reported facts, as evidence.")
    interventions: list[Intervention] = Field(
        default_factory=list, description="Named what-ifs: overlays for `redline compare`.")
    model: ModelSettings = Field(default_factory=ModelSettings,
                                 description="Global parameters of the mechanisms.")

    @model_validator(mode="after")
    def _questions_in_weeks(self) -> Scenario:
        """Work out the weeks of the questions dated by ``by_date`` or ``from_date``.

        From the start (:meth:`Question.weeks`); whether they fall in range and
        the window opens by the deadline is checked with the references
        (:mod:`redline.scenario.references`), at the line of the date.
        """
        if any(q.by_date is not None or q.from_date is not None for q in self.questions):
            questions = []
            for question in self.questions:
                from_week, by_week = question.weeks(self.start)
                questions.append(question.model_copy(
                    update={"from_week": from_week, "by_week": by_week}))
            object.__setattr__(self, "questions", questions)
        return self

    @field_validator("start")
    @classmethod
    def _room_for_the_longest_horizon(cls, start: dt.date) -> dt.date:
        """Refuse a start whose week ``MAX_HORIZON`` is not a date.

        Every date a run reports (a week's date, a question's deadline) is the
        start plus at most ``MAX_HORIZON`` weeks, whatever horizon the scenario
        or ``--horizon`` asks for; a later start would pass validation and then
        end every command in an ``OverflowError``.
        """
        if start > LATEST_START:
            raise PydanticCustomError(
                "start_too_late",
                "{start} leaves no room for the longest horizon ({weeks} weeks):"
                " its end would fall after {last}, the last date there is",
                {"start": start.isoformat(), "weeks": MAX_HORIZON,
                 "last": dt.date.max.isoformat(),
                 "expected": f"a date on or before {LATEST_START.isoformat()}"})
        return start
