"""The peer: redline's crisis model written as a Mesa 3 user would write it.

One :class:`CrisisModel` (a ``mesa.Model``) is one run; each actor of the
scenario is one :class:`ActorAgent` holding its own posture, costs and regime
stability; the model holds the fronts, the public knowledge of the red lines,
the conditional policies and the bargaining state. ``CrisisModel.step`` applies
the nine mechanisms of docs/model.md in the same order and with the same
equations as :func:`redline.engine.run.step`, re-implemented in scalar Python
(no call into :mod:`redline.mechanisms`), drawing every random number from the
model's own ``numpy.random.Generator`` (``self.rng``).

Per-run parameters are drawn from the scenario's distributions with NumPy's
own samplers (``rng.triangular``, ``rng.beta``, ...), not by redline's
inversion, so the two implementations share no random numbers and no sampling
code: they agree only in distribution, which ``tests/benchmarks/test_peer_mesa.py``
checks. The scenario is compiled once (:func:`redline.arrays.scenario_arrays.compile_scenario`)
for its indices and ladder; everything else is read from the scenario itself.

Usage::

    from benchmarks.peer_mesa import run_peer
    summary = run_peer(redline.load("kursk-2024"), runs=400, seed=0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np

from redline.arrays.scenario_arrays import ScenarioArrays, compile_scenario
from redline.scenario import distributions as dist
from redline.scenario import models as m
from redline.scenario.models import OUTCOMES

#: Terminal outcomes in their order of precedence within a week.
PRECEDENCE = ("nuclear_use", "great_power_war", "regime_crisis", "military_collapse")


def draw(number: float | dist.Distribution, rng: np.random.Generator) -> float:
    """One draw of a scenario number with NumPy's sampler for its law (a constant is itself)."""
    match number:
        case dist.Uniform(uniform=(low, high)):
            return float(rng.uniform(low, high))
        case dist.Triangular(triangular=(low, mode, high)):
            return float(rng.triangular(low, mode, high))
        case dist.Beta(beta=(a, b)):
            return float(rng.beta(a, b))
        case dist.Normal(normal=(mean, sd)):
            return float(rng.normal(mean, sd))
        case dist.LogNormal(lognormal=(mu, sigma)):
            return float(rng.lognormal(mu, sigma))
    return float(number)  # type: ignore[arg-type]


def clip(value: float, low: float, high: float) -> float:
    """``value`` limited to [low, high]."""
    return min(max(value, low), high)


def contest_success(power_a: float, power_b: float, decisiveness: float) -> float:
    """P(A prevails) = P_A^m / (P_A^m + P_B^m); 0.5 when both are zero."""
    power_a, power_b = max(power_a, 0.0), max(power_b, 0.0)
    if power_a == 0.0 and power_b == 0.0:
        return 0.5
    if power_a == 0.0:
        return 0.0
    if power_b == 0.0:
        return 1.0
    exponent = decisiveness * (math.log(power_b) - math.log(power_a))
    if exponent > 700.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(exponent))


@dataclass
class Blueprint:
    """What every run of a scenario shares: indices, ladder and prior CDF tables."""

    compiled: ScenarioArrays
    severity: list[float]  # extended: -inf, rung severities, +inf
    prior_cdf: dict[tuple[str, str], list[float]]  # (observer, red line) -> F at each severity
    kept: dict[tuple[str, str], float]  # (to, by) -> weight of commitments kept
    broken: dict[tuple[str, str], float]
    follow_through_mean: dict[str, float]  # red line -> public expectation of rho

    @classmethod
    def of(cls, scenario: m.Scenario) -> Blueprint:
        """Compile ``scenario`` and tabulate what the runs share."""
        compiled = compile_scenario(scenario)
        severity = [-math.inf, *[float(s) for s in compiled.severity], math.inf]
        prior_cdf: dict[tuple[str, str], list[float]] = {}
        for red_line in scenario.red_lines:
            for actor_id in compiled.actor_ids:
                prior = red_line.priors.get(actor_id, red_line.threshold)
                prior_cdf[actor_id, red_line.id] = [_cdf(prior, s) for s in severity]
        kept: dict[tuple[str, str], float] = {}
        broken: dict[tuple[str, str], float] = {}
        for commitment in scenario.commitments:
            table = kept if commitment.kept else broken
            key = (commitment.to, commitment.by)
            table[key] = table.get(key, 0.0) + commitment.weight
        follow_through_mean = {red_line.id: dist.mean_of(red_line.follow_through)
                               for red_line in scenario.red_lines}
        return cls(compiled, severity, prior_cdf, kept, broken, follow_through_mean)


def _cdf(prior: float | dist.Distribution, point: float) -> float:
    if point == -math.inf:
        return 0.0
    if point == math.inf:
        return 1.0
    if dist.is_distribution(prior):
        return float(prior.cdf(point))  # type: ignore[union-attr]
    return 1.0 if point >= float(prior) else 0.0  # type: ignore[arg-type]


class ActorAgent(mesa.Agent):
    """One actor of the crisis: its parameters, posture, costs and regime stability."""

    def __init__(self, model: CrisisModel, actor_id: str) -> None:
        super().__init__(model)
        blueprint = model.blueprint
        compiled = blueprint.compiled
        actor = compiled.scenario.actors[actor_id]
        rng = model.rng
        self.actor_id = actor_id
        self.index = compiled.actor_index[actor_id]
        self.side = int(compiled.side_of[self.index])
        self.member = bool(compiled.is_member[self.index])
        self.capability = max(draw(actor.capability, rng), 0.0)
        self.resolve = clip(draw(actor.resolve, rng), 0.0, 1.0)
        self.war_cost = max(draw(actor.war_cost, rng), 0.0)
        self.cost_sensitivity = max(draw(actor.cost_sensitivity, rng), 0.0)
        self.optimism = draw(actor.optimism, rng)
        self.stability = clip(draw(actor.stability, rng), 0.0, 1.0)
        self.stability_floor = actor.stability_floor
        self.stability_sensitivity = max(draw(actor.stability_sensitivity, rng), 0.0)
        self.support = 1.0 if self.member else 0.0
        self.posture = compiled.rung_index[actor.initial_posture] if actor.initial_posture else 0
        self.max_posture = self.posture
        self.costs = 0.0
        self.weekly_cost = 0.0
        #: rungs this actor is among the users of
        self.may_use = [bool(x) for x in compiled.may_use[self.index]]
        self.chooses = self.side >= 0 and any(self.may_use[1:])
        #: a rung adopted by a policy is held without deciding through this week, then
        #: (when it is not -1) the actor returns to return_rung
        self.hold_until = 0
        self.return_rung = -1

        motive = actor.reprisal  # tit-for-tat: a bonus to moving up while provoked
        self.reprisal_bonus = max(draw(motive.bonus, rng), 0.0) if motive else 0.0
        self.reprisal_weeks = motive.weeks if motive else 0
        self.provoked_until = motive.weeks if motive and motive.at_start else -1

    def adopt(self, rung: int, weeks: int | None) -> None:
        """A policy's ``adopt``: hold ``rung`` this week (or ``weeks``), then return."""
        week = self.model.week
        if weeks:
            if self.return_rung < 0:
                self.return_rung = self.posture
        else:
            self.return_rung = -1
        self.hold_until = week + (weeks or 1) - 1
        self.posture = rung
        self.max_posture = max(self.max_posture, rung)

    def return_from_hold(self) -> None:
        """After a hold with ``weeks``, back to the rung before it (in a week of fighting)."""
        if self.return_rung >= 0 and self.model.week > self.hold_until and self.model.fighting:
            self.posture = self.return_rung
            self.return_rung = -1

    # -- mechanism 2: decisions ------------------------------------------------
    def decide(self) -> None:
        """Move one usable rung down, hold, or move one up, by logit choice over utilities."""
        model = self.model
        if not self.chooses or not model.fighting:
            return
        if model.week <= self.hold_until:  # an adopted rung: held, without deciding
            self.weekly_cost += model.cost[self.posture]
            return
        settings = model.settings
        current = self.posture
        usable = [model.permitted(self, r) for r in range(len(self.may_use))]
        usable[current] = True
        down = max((r for r in range(current) if usable[r]), default=current)
        up = min((r for r in range(current + 1, len(usable)) if usable[r]), default=current)
        own, other = model.side_power_now[self.side], model.side_power_now[1 - self.side]
        decisiveness = settings.decisiveness
        p_now = contest_success(own, other, decisiveness)
        weight = model.weight_now[self.actor_id]
        options = []
        for rung, switching in ((down, True), (current, False), (up, True)):
            if switching and rung == current:
                continue
            delta = weight * (model.effect[rung] - model.effect[current])
            gain = contest_success(own + delta, other, decisiveness) - p_now
            cost = model.cost[rung] * self.cost_sensitivity
            utility = (model.planning_weeks * (gain - cost)
                       - (model.switching_cost if switching else 0.0)
                       - model.red_line_risk(self, rung))
            if rung > current and model.week <= self.provoked_until:
                utility += self.reprisal_bonus
            options.append((rung, utility))
        best = max(utility for _, utility in options)
        weights = [math.exp(model.rationality * (utility - best)) for _, utility in options]
        threshold = self.random_uniform() * sum(weights)
        chosen = options[-1][0]
        cumulative = 0.0
        for (rung, _), w in zip(options, weights, strict=True):
            cumulative += w
            if threshold < cumulative:
                chosen = rung
                break
        self.posture = chosen
        self.max_posture = max(self.max_posture, chosen)
        self.weekly_cost += model.cost[chosen]

    def random_uniform(self) -> float:
        """A uniform draw from the model's generator."""
        return float(self.model.rng.random())

    # -- mechanism 8: trust and stability ---------------------------------------
    def account(self) -> None:
        """Add this week's cost to the total and lower regime stability by it."""
        self.costs += self.weekly_cost
        self.stability = clip(self.stability - self.stability_sensitivity * self.weekly_cost,
                              0.0, 1.0)


@dataclass
class FrontState:
    """One front: per-run parameters and the fighting on it (role 0 attacker, 1 defender)."""

    front_id: str
    attacker_side: int
    forces: list[float]
    attrition: list[float]
    reinforcement: list[float]
    loss_share: list[dict[str, float]]
    control: float
    speed: float
    weight: float
    exponent_enemy: float
    exponent_own: float
    open: bool
    diverts: dict[str, float] = field(default_factory=dict)
    coefficients: dict[str, float] = field(default_factory=dict)  # drawn attrition by actor


@dataclass
class RedLineState:
    """One red line: its private threshold and follow-through, and public knowledge of T."""

    spec: m.RedLine
    threshold: float
    follow_through: float
    low: int  # extended severity index
    high: int
    tested: int
    others: list[str]  # whom it is enforced against: applies_to without the owner
    audience_cost: float = 0.0  # a self-limit's cost to its owner of breaking it
    pledge_broken: bool = False
    crossed: bool = False
    enforced: bool = False


@dataclass
class DeploymentState:
    """One deployment: is it real, how strong, how long to reach combat."""

    spec: m.Deployment
    exists: bool
    strength: float
    delay: int
    active: bool
    since: int | None
    attrition: float | None = None  # losses it inflicts per unit of strength (None: its side's)
    in_combat: bool = False


@dataclass
class PolicyState:
    """One conditional policy: its draws and whether it has been decided and carried out."""

    spec: m.Policy
    probability: float
    hazard: float | None
    delay: int
    levels: dict[int, float]  # action position -> new support level
    decided: bool = False
    due: int | None = None
    fired: bool = False


class CrisisModel(mesa.Model):
    """One run of a crisis scenario, week by week (see the module docstring).

    Parameters
    ----------
    blueprint : the compiled scenario (:meth:`Blueprint.of`).
    rng : seed or generator for this run (Mesa 3's ``rng`` keyword).

    """

    def __init__(self, blueprint: Blueprint, rng: Any = None) -> None:
        super().__init__(rng=rng)
        self.blueprint = blueprint
        compiled = blueprint.compiled
        scenario = compiled.scenario
        self.settings = scenario.model
        self.week = 0
        #: memories of the conditions held_for and ever, by the id of each use:
        #: (first week of the current run held or first week held, that value the week
        #: before, week last evaluated)
        self.memories: dict[int, tuple[int | None, int | None, int]] = {}
        self.actors: dict[str, ActorAgent] = {}
        for actor_id in compiled.actor_ids:
            self.actors[actor_id] = ActorAgent(self, actor_id)
        rng = self.rng
        rungs = sorted(scenario.ladder, key=lambda rung: rung.severity)
        self.rungs = rungs
        self.effect = [0.0, *[draw(rung.effect, rng) for rung in rungs]]
        self.cost = [0.0, *[max(draw(rung.cost, rng), 0.0) for rung in rungs]]
        self.harm = [0.0, *[max(draw(rung.harm, rng), 0.0) for rung in rungs]]
        for support in scenario.support:
            self.actors[support.by].support = clip(draw(support.level, rng), 0.0, 1.0)
        # the decision parameters: one row of the estimates' table (or the fixed values)
        table = compiled.decision_table
        row = table[int(rng.integers(len(table)))] if len(table) > 1 else table[0]
        self.rationality, self.switching_cost, self.planning_weeks = (float(v) for v in row)
        self.red_lines = [self._red_line(spec) for spec in scenario.red_lines]
        self.side_peak = self.side_peaks()
        self.fronts = {front_id: self._front(front_id, spec)
                       for front_id, spec in scenario.fronts.items()}
        self.deployments = {
            spec.id: DeploymentState(
                spec=spec, exists=bool(rng.random() < draw(spec.exists, rng)),
                strength=max(draw(spec.strength, rng), 0.0),
                delay=max(round(draw(spec.combat_delay_weeks, rng)), 0),
                active=spec.active, since=0 if spec.active else None)
            for spec in scenario.deployments}
        for deployment in self.deployments.values():
            front_spec = scenario.fronts[deployment.spec.front]
            actor_id = deployment.spec.actor
            if actor_id in front_spec.attrition:
                drawn = self.fronts[deployment.spec.front].coefficients
                if actor_id not in drawn:
                    drawn[actor_id] = draw(front_spec.attrition[actor_id], rng)
                deployment.attrition = max(drawn[actor_id], 0.0)
        self.policies = {
            spec.id: PolicyState(
                spec=spec, probability=clip(draw(spec.probability, rng), 0.0, 1.0),
                hazard=(None if spec.hazard is None
                        else clip(draw(spec.hazard, rng), 0.0, 1.0)),
                delay=max(round(draw(spec.delay_weeks, rng)), 0),
                levels={j: clip(draw(action.support.level, rng), 0.0, 1.0)
                        for j, action in enumerate(spec.then)
                        if isinstance(action, m.ChangeSupport)})
            for spec in scenario.policies}
        #: each economic pressure's weekly cost to its target in this run
        self.pressure_cost = {ident: max(draw(spec.cost, rng), 0.0)
                              for ident, spec in scenario.pressures.items()}
        #: each concession's worth to the side it is made to in this run, by (policy, action)
        self.concession_value = {
            (policy.id, j): max(draw(action.concede.value, rng), 0.0)
            for policy in scenario.policies for j, action in enumerate(policy.then)
            if isinstance(action, m.Concede)}
        self.grants: set[tuple[str, int, str]] = set()  # (actor, rung, supplier)
        self.talks_hazard = self.settings.talks_hazard
        self.deals_broken = [0.0, 0.0]
        self.win_probability = 0.5
        self.settled = False
        self.settled_ever = False
        self.broken_ever = False
        self.terms = math.nan
        self.terminal: str | None = None
        self.end_week: int | None = None
        self.regime_actor: str | None = None
        self.side_power_now = [0.0, 0.0]
        self.weight_now: dict[str, float] = {}

    def _red_line(self, spec: m.RedLine) -> RedLineState:
        rung_index = self.blueprint.compiled.rung_index
        low = rung_index[spec.tolerated] + 1 if spec.tolerated else 0
        others = [a for a in spec.applies_to if a != spec.owner]
        if spec.tested_at_start and others:  # the postures held at the start count as tested
            low = max([low, *[self.actors[a].posture + 1 for a in others]])
        line = RedLineState(spec=spec, threshold=draw(spec.threshold, self.rng),
                            follow_through=clip(draw(spec.follow_through, self.rng), 0.0, 1.0),
                            low=low, high=len(self.blueprint.severity) - 1, tested=low,
                            others=others)
        if spec.owner in spec.applies_to:  # a self-limit: the owner's pledge
            line.audience_cost = (max(draw(spec.audience_cost, self.rng), 0.0)
                                  if spec.audience_cost is not None
                                  else self.harm[rung_index[spec.response]])
            line.pledge_broken = (spec.tested_at_start and self.actors[spec.owner].posture
                                  >= rung_index[spec.declared_at])
        return line

    def graded_response(self, line: RedLineState, level: int) -> tuple[int, int]:
        """The response and fallback (-1: none) to a crossing at extended index ``level``."""
        rung_index = self.blueprint.compiled.rung_index
        response, fallback = line.spec.response, line.spec.fallback
        for entry in line.spec.responses:
            if rung_index[entry.at] + 1 <= level:
                response, fallback = entry.response, entry.fallback
        return rung_index[response], rung_index[fallback] if fallback else -1

    def _front(self, front_id: str, spec: m.Front) -> FrontState:
        rng = self.rng
        attacker_side = self.actors[spec.attacker].side
        strengths: list[dict[str, float]] = [{}, {}]
        coefficients: list[dict[str, float]] = [{}, {}]
        reinforcement = [0.0, 0.0]
        for actor_id, strength in spec.forces.items():
            role = 0 if self.actors[actor_id].side == attacker_side else 1
            strengths[role][actor_id] = max(draw(strength, rng), 0.0)
            coefficients[role][actor_id] = draw(spec.attrition.get(actor_id, 0.0), rng)
            reinforcement[role] += draw(spec.reinforcement.get(actor_id, 0.0), rng)
        forces = [sum(strengths[role].values()) for role in (0, 1)]
        attrition = []
        for role in (0, 1):
            if forces[role] > 0:
                mean = sum(coefficients[role][a] * strengths[role][a]
                           for a in strengths[role]) / forces[role]
            else:
                mean = (sum(coefficients[role].values()) / len(coefficients[role])
                        if coefficients[role] else 0.0)
            attrition.append(max(mean, 0.0))
        loss_share = [{a: s / max(forces[role], 1e-12) for a, s in strengths[role].items()}
                      for role in (0, 1)]
        return FrontState(
            front_id=front_id, attacker_side=attacker_side, forces=forces, attrition=attrition,
            reinforcement=[max(r, 0.0) for r in reinforcement], loss_share=loss_share,
            control=clip(draw(spec.control, rng), 0.0, 1.0),
            speed=max(draw(spec.control_speed, rng), 0.0),
            weight=max(draw(spec.weight, rng), 0.0),
            exponent_enemy=spec.exponent_enemy, exponent_own=spec.exponent_own,
            coefficients={a: c for role in (0, 1) for a, c in coefficients[role].items()},
            open=spec.active,
            diverts={a: clip(draw(share, rng), 0.0, 1.0) for a, share in spec.diverts.items()})

    # -- state queries -----------------------------------------------------------
    @property
    def alive(self) -> bool:
        """The run has not ended in a terminal outcome."""
        return self.terminal is None

    @property
    def fighting(self) -> bool:
        """The run is going and no deal holds."""
        return self.terminal is None and not self.settled

    def permitted(self, agent: ActorAgent, rung: int) -> bool:
        """The agent is among the rung's users and every supplier it needs has agreed."""
        if not agent.may_use[rung]:
            return False
        compiled = self.blueprint.compiled
        for s, supplier in enumerate(compiled.suppliers):
            if (compiled.needs[rung, s] and supplier != agent.actor_id
                    and (agent.actor_id, rung, supplier) not in self.grants):
                return False
        return True

    def belief(self, observer: str, line: RedLineState, level: int) -> float:
        """The observer's probability that a test at extended severity ``level`` is enforced."""
        if level <= line.tested or level <= line.low:
            return 0.0
        cdf = self.blueprint.prior_cdf[observer, line.spec.id]
        f_low, f_high = cdf[line.low], cdf[line.high]
        mass = f_high - f_low
        if mass > 1e-12:
            return clip((cdf[min(level, line.high)] - f_low) / mass, 0.0, 1.0)
        return 1.0 if level >= line.high else 0.0

    def red_line_risk(self, agent: ActorAgent, rung: int) -> float:
        """Expected harm, in the agent's own beliefs, of employing ``rung``."""
        risk = 0.0
        rung_index = self.blueprint.compiled.rung_index
        for line in self.red_lines:
            if (line.spec.owner == agent.actor_id and agent.actor_id in line.spec.applies_to
                    and not line.pledge_broken and rung >= rung_index[line.spec.declared_at]):
                risk += line.audience_cost  # its own pledge: a certain cost
            if agent.actor_id not in line.others:
                continue
            rho = self.blueprint.follow_through_mean[line.spec.id]
            response, fallback = self.graded_response(line, rung + 1)
            harm = rho * self.harm[response]
            if fallback >= 0:
                harm += (1.0 - rho) * self.harm[fallback]
            risk += self.belief(agent.actor_id, line, rung + 1) * harm
        return risk

    def actor_weight(self, agent: ActorAgent) -> float:
        """Capability x support x (1 - share tied down on open fronts)."""
        diverted = sum(front.diverts.get(agent.actor_id, 0.0)
                       for front in self.fronts.values() if front.open)
        return agent.capability * agent.support * (1.0 - clip(diverted, 0.0, 1.0))

    def side_power(self) -> list[float]:
        """Power of each side: its actors' weighted capability plus the ground it holds."""
        power = [0.0, 0.0]
        for agent in self.actors.values():
            if agent.side >= 0:
                power[agent.side] += self.actor_weight(agent) * (1.0 + self.effect[agent.posture])
        for front in self.fronts.values():
            if front.open:
                power[front.attacker_side] += front.weight * front.control
                power[1 - front.attacker_side] += front.weight * (1.0 - front.control)
        return power

    def leader_trust(self, side: int) -> float:
        """Trust of the side's leader that the other side keeps a deal."""
        compiled = self.blueprint.compiled
        prior_kept, prior_broken = self.settings.trust_prior
        leader = compiled.side_leader_ids[side]
        other_leader = compiled.side_leader_ids[1 - side]
        taus, weights = [], []
        for agent in self.actors.values():
            if agent.side != 1 - side:
                continue
            kept = self.blueprint.kept.get((leader, agent.actor_id), 0.0)
            broken = self.blueprint.broken.get((leader, agent.actor_id), 0.0)
            if agent.actor_id == other_leader:
                broken += self.deals_broken[1 - side]
            taus.append((prior_kept + kept) / (prior_kept + prior_broken + kept + broken))
            weights.append(agent.capability * agent.support)
        total = sum(weights)
        if total > 0:
            return sum(t * w for t, w in zip(taus, weights, strict=True)) / total
        return sum(taus) / len(taus) if taus else 1.0

    def holds(self, condition: Any) -> bool:
        """Whether a scenario condition holds in this run now."""
        rung_index = self.blueprint.compiled.rung_index
        match condition:
            case m.AllOf(all=items):
                return all([self.holds(item) for item in items])
            case m.AnyOf(any=items):
                return any([self.holds(item) for item in items])
            case m.NotOf(not_=inner):
                return not self.holds(inner)
            case m.HeldFor(held_for=spec):
                since = self.remember(condition, self.holds(spec.condition), latch=False)
                return since is not None and since <= self.week - spec.weeks + 1
            case m.Ever(ever=inner):
                return self.remember(condition, self.holds(inner), latch=True) is not None
            case m.PostureAtLeast(posture_at_least=t):
                return self.actors[t.actor].posture >= rung_index[t.rung]
            case m.PostureIs(posture_is=t):
                return self.actors[t.actor].posture == rung_index[t.rung]
            case m.Reached(reached=t):
                return self.actors[t.actor].max_posture >= rung_index[t.rung]
            case m.Permitted(permitted=t):
                return self.permitted(self.actors[t.actor], rung_index[t.rung])
            case m.DeploymentInCombat(deployment_in_combat=ident):
                return self.deployments[ident].in_combat
            case m.DeploymentExists(deployment_exists=ident):
                return self.deployments[ident].exists and self.deployments[ident].active
            case m.ControlBelow(control_below=t):
                return self.fronts[t.front].control < t.value
            case m.ControlAbove(control_above=t):
                return self.fronts[t.front].control > t.value
            case m.FrontActive(front_active=ident):
                return self.fronts[ident].open
            case m.WeekAtLeast(week_at_least=week):
                return self.week >= week
            case m.PolicyFired(policy_fired=ident):
                return self.policies[ident].fired
            case m.RedLineEnforced(red_line_enforced=ident):
                return self._line(ident).enforced
            case m.RedLineCrossed(red_line_crossed=ident):
                return self._line(ident).crossed
            case m.Settled():
                return self.settled and self.alive
            case m.OutcomeIs(outcome=name):
                return self.terminal == name
            case m.StabilityBelow(stability_below=t):
                return self.actors[t.actor].stability < t.value
            case m.RegimeCrisis(regime_crisis=ident):
                return self.terminal == "regime_crisis" and self.regime_actor == ident
            case m.BeliefBelow(belief_below=t):
                level = rung_index[t.rung] + 1
                return self.belief(t.observer, self._line(t.red_line), level) < t.value
        raise TypeError(f"not a condition: {condition!r}")

    def remember(self, condition: Any, held: bool, *, latch: bool) -> int | None:
        """The memory of one use of held_for (or ever, a ``latch``) after this week's value.

        The first week of the current run of weeks held (held_for) or the first
        week held (ever); None if none. Moves once a week, however often evaluated.
        """
        since, before, evaluated = self.memories.get(id(condition), (None, None, -1))
        if evaluated != self.week:
            before = since
        if latch:
            since = before if before is not None else (self.week if held else None)
        else:
            since = (before if before is not None else self.week) if held else None
        self.memories[id(condition)] = (since, before, self.week)
        return since

    def _line(self, ident: str) -> RedLineState:
        return next(line for line in self.red_lines if line.spec.id == ident)

    @property
    def outcome(self) -> str:
        """The run's outcome (one of ``OUTCOMES``) as things stand."""
        if self.terminal is not None:
            return self.terminal
        if self.settled:
            return "settlement"
        return "settlement_broken" if self.broken_ever else "ongoing"

    # -- the weekly step ---------------------------------------------------------
    def step(self) -> None:
        """One week: the nine mechanisms in the order of docs/model.md."""
        self.week += 1
        for agent in self.actors.values():
            agent.weekly_cost = 0.0
        arrivals = self.reach_combat()
        self.apply_policies()
        for agent in self.actors.values():
            agent.return_from_hold()
        self.side_power_now = self.side_power()
        self.weight_now = {a.actor_id: self.actor_weight(a) for a in self.actors.values()}
        if self.fighting:
            self.provoke()
        self.agents.shuffle_do("decide")
        self.apply_red_lines()
        self.advance_fronts(arrivals)
        self.win_probability = contest_success(*self.side_power(), self.settings.decisiveness)
        self.bargain()
        self.apply_pressures()
        if self.alive:
            self.agents.do("account")
        self.check_termination()
        if not self.alive:
            self.running = False

    def side_peaks(self) -> list[int]:
        """Each side's highest rung."""
        return [max([0, *[a.posture for a in self.actors.values() if a.side == side]])
                for side in (0, 1)]

    def provoke(self) -> None:
        """Actors with a reprisal motive are provoked for K weeks when the other side escalates."""
        peaks = self.side_peaks()
        for side in (0, 1):
            if peaks[side] > self.side_peak[side]:
                for agent in self.actors.values():
                    if agent.side == 1 - side and agent.reprisal_weeks > 0:
                        agent.provoked_until = max(agent.provoked_until,
                                                   self.week + agent.reprisal_weeks - 1)
        self.side_peak = peaks

    # mechanism 1: events and conditional policies
    def reach_combat(self) -> dict[str, list[float]]:
        """Deployments that reach combat this week, as strength by front and role."""
        arrivals = {front_id: [0.0, 0.0] for front_id in self.fronts}
        for deployment in self.deployments.values():
            if (self.alive and deployment.active and deployment.exists
                    and deployment.since is not None and not deployment.in_combat
                    and self.week >= deployment.since + deployment.delay):
                deployment.in_combat = True
                front = self.fronts[deployment.spec.front]
                role = 0 if self.actors[deployment.spec.side].side == front.attacker_side else 1
                pool = front.forces[role] + arrivals[deployment.spec.front][role]
                total = pool + deployment.strength
                if deployment.strength > 0 and total > 0:
                    # the side's force on the front becomes a strength-weighted mix
                    if deployment.attrition is not None:
                        front.attrition[role] = (front.attrition[role] * pool
                                                 + deployment.attrition * deployment.strength
                                                 ) / total
                    shares = {a: s * (pool / total) for a, s in front.loss_share[role].items()}
                    shares[deployment.spec.actor] = (shares.get(deployment.spec.actor, 0.0)
                                                     + deployment.strength / total)
                    front.loss_share[role] = shares
                arrivals[deployment.spec.front][role] += deployment.strength
        return arrivals

    def apply_policies(self) -> None:
        """Decide policies whose condition first holds; carry out those due."""
        if not self.alive:
            return
        for policy in self.policies.values():
            if not policy.decided and self.holds(policy.spec.when):
                if policy.hazard is not None:  # a draw every week it holds, until one succeeds
                    if self.rng.random() < policy.hazard:
                        policy.decided = True
                        policy.due = self.week + policy.delay
                else:
                    policy.decided = True
                    if self.rng.random() < policy.probability:
                        policy.due = self.week + policy.delay
            if not policy.fired and policy.due is not None and policy.due <= self.week:
                policy.fired = True
                for j, action in enumerate(policy.spec.then):
                    self.act(policy, j, action)

    def act(self, policy: PolicyState, j: int, action: Any) -> None:
        """Carry out one action of a policy."""
        rung_index = self.blueprint.compiled.rung_index
        match action:
            case m.Permit(permit=t):
                self.grants.add((t.actor, rung_index[t.rung], t.by))
            case m.Forbid(forbid=t):
                self.grants.discard((t.actor, rung_index[t.rung], t.by))
            case m.Deploy(deploy=ident):
                deployment = self.deployments[ident]
                if not deployment.active:
                    deployment.active = True
                    deployment.since = self.week
            case m.ChangeSupport(support=change):
                self.actors[change.by].support = policy.levels[j]
            case m.OpenFront(open_front=ident):
                self.fronts[ident].open = True
            case m.OfferTalks(offer_talks=offer):
                self.talks_hazard = max(self.talks_hazard, offer.hazard)
            case m.Adopt(adopt=target):
                agent = self.actors[target.actor]
                if self.permitted(agent, rung_index[target.rung]):
                    agent.adopt(rung_index[target.rung], target.weeks)

    # mechanism 3: red lines
    def apply_red_lines(self) -> None:
        """Test every red line against this week's postures; enforce where T is reached."""
        if not self.fighting:
            return
        rung_index = self.blueprint.compiled.rung_index
        for line in self.red_lines:
            owner = self.actors[line.spec.owner]
            if (line.spec.owner in line.spec.applies_to and not line.pledge_broken
                    and owner.posture >= rung_index[line.spec.declared_at]):
                line.pledge_broken = line.crossed = True  # its own pledge broken
                owner.weekly_cost += line.audience_cost
            if not line.others:
                continue
            level = max(self.actors[a].posture for a in line.others) + 1
            if level <= line.tested:
                continue
            enforce = self.blueprint.severity[level] >= line.threshold
            if level >= rung_index[line.spec.declared_at] + 1:
                line.crossed = True
            line.tested = level
            if not enforce:
                line.low = max(line.low, level)
                continue
            line.high = min(line.high, level)
            line.enforced = True
            declared, fallback = self.graded_response(line, level)
            response = declared if self.rng.random() < line.follow_through else fallback
            if response < 0:
                continue
            owner.posture = max(owner.posture, response)
            owner.max_posture = max(owner.max_posture, owner.posture)
            for target in line.others:
                if self.actors[target].side == 1 - owner.side:
                    self.actors[target].weekly_cost += self.harm[response]

    # mechanism 4: fronts
    def advance_fronts(self, arrivals: dict[str, list[float]]) -> None:
        """Lanchester attrition, reinforcement and control on every open front."""
        effects = [0.0, 0.0]
        for agent in self.actors.values():
            if agent.side >= 0:
                effects[agent.side] += self.effect[agent.posture]
        cost_per_loss = self.settings.cost_per_loss
        self.close_fronts()
        scenario = self.blueprint.compiled.scenario
        rung_index = self.blueprint.compiled.rung_index
        for front_id, front in self.fronts.items():
            spec = scenario.fronts[front_id]
            standing = spec.fights_at is None or any(
                self.actors[actor_id].posture >= rung_index[spec.fights_at]
                for actor_id in (spec.attacker, spec.defender))
            active = self.fighting and front.open and standing
            e = (effects[front.attacker_side], effects[1 - front.attacker_side])
            before = [front.forces[role] + arrivals[front_id][role]
                      + (front.reinforcement[role] if active else 0.0) for role in (0, 1)]
            if not active:
                front.forces = before
                continue
            attacker, defender = before
            p, q = front.exponent_enemy, front.exponent_own
            loss_attacker = front.attrition[1] * (1.0 + e[1]) * defender**p * attacker**q
            loss_defender = front.attrition[0] * (1.0 + e[0]) * attacker**p * defender**q
            front.forces = [max(attacker - loss_attacker, 0.0), max(defender - loss_defender, 0.0)]
            for role in (0, 1):
                loss = before[role] - front.forces[role]
                for actor_id, share in front.loss_share[role].items():
                    self.actors[actor_id].weekly_cost += cost_per_loss * loss * share
            ratio = ((1.0 + e[0]) * max(front.forces[0], 1e-9)) / (
                (1.0 + e[1]) * max(front.forces[1], 1e-9))
            front.control = clip(front.control + front.speed * clip(math.log(ratio), -3.0, 3.0),
                                 0.0, 1.0)

    def close_fronts(self) -> None:
        """Policies that have fired close their open fronts; a withdrawal hands the ground over."""
        for policy in self.policies.values():
            if not policy.fired:
                continue
            for action in policy.spec.then:
                match action:
                    case m.CloseFront(close_front=front_id) if self.fronts[front_id].open:
                        self.fronts[front_id].open = False
                    case m.Withdraw(withdraw=target) if self.fronts[target.front].open:
                        front = self.fronts[target.front]
                        attacker = self.blueprint.compiled.scenario.fronts[target.front].attacker
                        front.control = 0.0 if target.actor == attacker else 1.0
                        front.open = False

    # mechanism 6: bargaining
    def bargain(self) -> None:
        """Strike, keep or break a deal (Fearon's range narrowed by mistrust)."""
        if not self.alive:
            return
        settings = self.settings
        compiled = self.blueprint.compiled
        leader_a = self.actors[compiled.side_leader_ids[0]]
        leader_b = self.actors[compiled.side_leader_ids[1]]
        p_a = clip(self.win_probability + leader_a.optimism, 0.0, 1.0)
        p_b = clip(1.0 - self.win_probability + leader_b.optimism, 0.0, 1.0)
        trust_a, trust_b = self.leader_trust(0), self.leader_trust(1)

        def perceived_cost(leader: ActorAgent) -> float:
            weariness = 1.0 + settings.war_cost_growth * leader.cost_sensitivity * leader.costs
            return leader.war_cost * (1.0 - leader.resolve) * weariness

        shift = settings.power_shift
        low = p_a - perceived_cost(leader_a) + shift * (1.0 - trust_a) / max(trust_a, 1e-9)
        high = 1.0 - (p_b - perceived_cost(leader_b)
                      + shift * (1.0 - trust_b) / max(trust_b, 1e-9))
        for (policy_id, j), worth in self.concession_value.items():  # trades widen the range
            if self.policies[policy_id].fired:
                conceding = self.actors[self.policies[policy_id].spec.then[j].concede.by].side
                low, high = (low, high + worth) if conceding == 0 else (low - worth, high)
        breaks = False
        if self.settled:
            hazard = settings.break_hazard * (1.0 - min(trust_a, trust_b))
            u = self.rng.random()
            if u < hazard:
                breaks = True
                self.deals_broken[0 if u < hazard / 2.0 else 1] += 1.0
                self.settled = False
                self.broken_ever = True
        if not self.settled and not breaks and low <= high \
                and self.rng.random() < self.talks_hazard:
            self.settled = self.settled_ever = True
            floor, ceiling = max(low, 0.0), min(high, 1.0)
            if compiled.negotiated_terms is None:
                self.terms = clip((floor + ceiling) / 2.0, 0.0, 1.0)
            else:
                self.terms = clip(compiled.negotiated_terms, floor, max(floor, ceiling))

    # mechanism 7: economic pressure
    def apply_pressures(self) -> None:
        """Each pressure in force adds its weekly cost to its target's (while the run goes on).

        In force: at the start, or once a policy applying it has fired, until one
        lifting it has fired (for good).
        """
        if not self.alive:
            return
        for ident, spec in self.blueprint.compiled.scenario.pressures.items():
            fired = [policy.spec.then for policy in self.policies.values() if policy.fired]
            actions = [action for then in fired for action in then]
            lifted = any(isinstance(a, m.LiftPressure) and a.lift_pressure == ident
                         for a in actions)
            applied = spec.active or any(isinstance(a, m.ApplyPressure)
                                         and a.apply_pressure == ident for a in actions)
            if applied and not lifted:
                self.actors[spec.target].weekly_cost += self.pressure_cost[ident]

    # mechanism 9: termination
    def check_termination(self) -> None:
        """End the run on a terminal rung, a regime crisis or a military collapse."""
        if not self.alive:
            return
        reached = dict.fromkeys(PRECEDENCE, False)
        for rung, outcome in self.blueprint.compiled.terminal:
            if any(agent.posture == rung for agent in self.actors.values()):
                reached[outcome] = True
        fallen = [agent.actor_id for agent in self.actors.values()
                  if agent.stability_floor > 0 and agent.stability < agent.stability_floor]
        reached["regime_crisis"] = bool(fallen)
        share = self.settings.collapse_share
        reached["military_collapse"] = not share <= self.win_probability <= 1.0 - share
        for name in PRECEDENCE:
            if reached[name]:
                self.terminal = name
                self.end_week = self.week
                if name == "regime_crisis":
                    self.regime_actor = fallen[0]
                return


@dataclass
class PeerSummary:
    """Outcome counts and first weeks of the questions over the peer's runs."""

    runs: int
    horizon: int
    outcomes: dict[str, int]
    question_weeks: dict[str, list[int | None]]
    seconds: float

    def question_count(self, question_id: str, by_week: int) -> int:
        """Runs in which the question's event held by ``by_week``."""
        return sum(1 for week in self.question_weeks[question_id]
                   if week is not None and week <= by_week)


def run_peer(scenario: m.Scenario, runs: int, seed: int = 0, horizon: int | None = None,
             questions: list[str] | None = None) -> PeerSummary:
    """Run ``runs`` independent :class:`CrisisModel` runs; one child seed each.

    ``questions`` (default: all the scenario's) are tracked by the first week
    their event holds, evaluated at week 0 and after every step, as redline does.
    """
    import time

    horizon = int(horizon or scenario.horizon)
    blueprint = Blueprint.of(scenario)
    tracked = [q for q in scenario.questions if questions is None or q.id in questions]
    outcomes = dict.fromkeys(OUTCOMES, 0)
    weeks: dict[str, list[int | None]] = {q.id: [] for q in tracked}
    started = time.perf_counter()
    for child in np.random.SeedSequence(seed).spawn(runs):
        model = CrisisModel(blueprint, rng=np.random.default_rng(child))
        first: dict[str, int | None] = {
            q.id: (0 if model.holds(q.event) and q.from_week == 0 else None) for q in tracked}
        for _ in range(horizon):
            if not model.running:
                break
            model.step()
            for q in tracked:  # (evaluated before its window too, for its memories)
                if first[q.id] is None and model.holds(q.event) and model.week >= q.from_week:
                    first[q.id] = model.week
        outcomes[model.outcome] += 1
        for q in tracked:
            weeks[q.id].append(first[q.id])
    return PeerSummary(runs=runs, horizon=horizon, outcomes=outcomes, question_weeks=weeks,
                       seconds=time.perf_counter() - started)
