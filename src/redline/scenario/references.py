"""Cross-references of a scenario: every id used must name something that exists.

Pydantic checks each element on its own; this pass checks the scenario as a
whole (an actor in a red line must be an actor, a rung must be on the ladder,
the two sides must not share members, ids must be unique) and reports every
problem with the path of the offending value, which the loader turns into a
line and column. Whether each intervention applies (its paths exist, the
changed scenario is valid) is checked by the loader, which validates scenarios.
"""

from __future__ import annotations

import datetime as dt
import difflib
import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

import redline.scenario.models as m

Path = tuple[str | int, ...]
Problem = tuple[Path, str, str]


def check_references(scenario: Any, known_ids: dict[str, set[str]] | None = None
                     ) -> list[Problem]:
    """Every broken reference in ``scenario`` as (path, message, expected).

    ``scenario`` is a :class:`~redline.scenario.models.Scenario`, or a partial
    one (see :func:`partial_scenario`) whose invalid elements are ``None``;
    ``known_ids`` adds the ids of those invalid elements, so that references
    to them are not reported as unknown.
    """
    return list(_ReferenceChecker(scenario, known_ids or {}).problems())


def partial_scenario(data: dict[str, Any]) -> tuple[Any, dict[str, set[str]]]:
    """The valid parts of scenario data that failed validation as a whole.

    Each element of each list and mapping is validated on its own; an invalid
    one becomes ``None``. Returns the parts (with the attributes of a
    Scenario) and the ids of the invalid elements, read from the raw data.
    """
    parts: dict[str, Any] = {}
    known: dict[str, set[str]] = {}
    for name, field in m.Scenario.model_fields.items():
        raw = data.get(name)
        origin = typing.get_origin(field.annotation)
        args = typing.get_args(field.annotation)
        annotation: Any = field.annotation
        if origin is list:
            elements = raw if isinstance(raw, list) else []
            adapter: TypeAdapter[Any] = TypeAdapter(args[0])
            parts[name] = [_valid(adapter, item) for item in elements]
            known[name] = {item["id"] for item in elements
                           if isinstance(item, dict) and isinstance(item.get("id"), str)}
        elif origin is dict and name != "sides":
            mapping = raw if isinstance(raw, dict) else {}
            adapter = TypeAdapter(args[1])
            parts[name] = {key: _valid(adapter, value) for key, value in mapping.items()}
        elif name == "sides":
            sides = _valid(TypeAdapter(annotation), raw)
            parts[name] = sides if sides is not None else {}
        else:
            parts[name] = None if raw is None else _valid(TypeAdapter(annotation), raw)
    return types.SimpleNamespace(**parts), known


def _valid(adapter: TypeAdapter[Any], value: Any) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def _present(items: Any) -> list[tuple[Any, Any]]:
    """(index or key, element) of the valid elements of a list or mapping."""
    pairs = items.items() if isinstance(items, dict) else enumerate(items)
    return [(key, item) for key, item in pairs if item is not None]


class _ReferenceChecker:
    def __init__(self, scenario: Any, known_ids: dict[str, set[str]]) -> None:
        self.s = scenario
        self.known_ids = known_ids
        self.actors = set(scenario.actors)
        self.rungs: dict[str, m.Rung | None] = dict.fromkeys(known_ids.get("ladder", set()))
        self.rungs.update({rung.id: rung for _, rung in _present(scenario.ladder)})
        self.fronts = set(scenario.fronts)

        def ids(name: str) -> set[str]:
            return known_ids.get(name, set()) | {x.id for _, x in _present(getattr(scenario,
                                                                                    name))}

        self.deployments = ids("deployments")
        self.policies = ids("policies")
        self.red_lines = ids("red_lines")
        self.side_of: dict[str, str] = {}
        for leader, members in scenario.sides.items():
            for actor in {leader, *members}:
                self.side_of.setdefault(actor, leader)
        for _, support in _present(scenario.support):  # outsiders align with whom they support
            if support.to in self.side_of:
                self.side_of.setdefault(support.by, self.side_of[support.to])

    def actor(self, path: Path, actor_id: str) -> Iterator[Problem]:
        if actor_id not in self.actors:
            yield (path, f"unknown actor {actor_id!r}{_did_you_mean(actor_id, self.actors)}",
                   "one of " + _names(self.actors))

    def rung(self, path: Path, rung_id: str) -> Iterator[Problem]:
        if rung_id not in self.rungs:
            yield (path, f"unknown rung {rung_id!r}{_did_you_mean(rung_id, self.rungs)}",
                   "a ladder rung: " + _names(self.rungs))

    def member(self, path: Path, actor_id: str) -> Iterator[Problem]:
        yield from self.actor(path, actor_id)
        if actor_id in self.actors and actor_id not in self.side_of:
            yield (path, f"actor {actor_id!r} is on neither side",
                   "a member of a side, or an actor with a support entry for one")

    def problems(self) -> Iterator[Problem]:
        yield from self._unique()
        yield from self._sides()
        yield from self._actors()
        yield from self._ladder()
        yield from self._red_lines()
        yield from self._fronts()
        yield from self._deployments()
        for i, policy in _present(self.s.policies):
            yield from self.condition(("policies", i, "when"), policy.when)
            for j, action in enumerate(policy.then):
                yield from self.action(("policies", i, "then", j), action)
        for field_name in ("questions", "observations"):
            for i, item in _present(getattr(self.s, field_name)):
                yield from self.condition((field_name, i, "event"), item.event)
        yield from self._windows()
        yield from self._source_groups()
        yield from self._declared(self.s, ())
        for i, commitment in _present(self.s.commitments):
            yield from self.actor(("commitments", i, "by"), commitment.by)
            yield from self.actor(("commitments", i, "to"), commitment.to)
        hypotheses = [h for _, h in _present(self.s.hypotheses)]
        total = sum(h.prior for h in hypotheses)
        if hypotheses and len(hypotheses) == len(self.s.hypotheses) and abs(total - 1.0) > 1e-6:
            yield ("hypotheses",), f"hypothesis priors sum to {total:g}", "priors summing to 1"

    def _unique(self) -> Iterator[Problem]:
        for field_name in ("ladder", "red_lines", "deployments", "policies", "questions",
                           "hypotheses", "observations", "interventions", "commitments"):
            seen: set[str] = set()
            for i, item in _present(getattr(self.s, field_name)):
                if item.id is None:  # commitments: ids are optional
                    continue
                if item.id in seen:
                    yield (field_name, i, "id"), f"duplicate id {item.id!r}", "unique ids"
                seen.add(item.id)

    def _windows(self) -> Iterator[Problem]:
        """A question's deadline is a week of the scenario, and its window opens by it.

        Dates (``by_date``, ``from_date``) are worked out in weeks from the start
        (:meth:`~redline.scenario.models.Question.weeks`) and reported at the date.
        """
        start = self.s.start
        if start is None:
            return
        for i, question in _present(self.s.questions):
            from_week, by_week = question.weeks(start)
            if question.by_date is not None and not 1 <= by_week <= m.MAX_HORIZON:
                first = start + dt.timedelta(weeks=1)
                last = start + dt.timedelta(weeks=m.MAX_HORIZON)
                yield (("questions", i, "by_date"),
                       f"by_date {question.by_date} falls in week {by_week} of a scenario "
                       f"that starts on {start}",
                       f"a date from {first} (the end of week 1) to {last} "
                       f"(week {m.MAX_HORIZON})")
            elif question.from_date is not None and from_week > m.MAX_HORIZON:
                yield (("questions", i, "from_date"),
                       f"from_date {question.from_date} falls after week {m.MAX_HORIZON}",
                       "a date within the longest horizon")
            elif from_week > by_week:
                key = "from_date" if question.from_date is not None else "from_week"
                yield (("questions", i, key),
                       f"the window opens at week {from_week}, after the deadline "
                       f"(week {by_week})", "a window that opens by its deadline")

    def _source_groups(self) -> Iterator[Problem]:
        """Reports relaying one source must say the same thing (same event, week, report)."""
        first: dict[str, Any] = {}
        for i, observation in _present(self.s.observations):
            group = observation.source_group
            if group is None:
                continue
            if group not in first:
                first[group] = observation
                continue
            lead = first[group]
            if (observation.event != lead.event or observation.by_week != lead.by_week
                    or observation.observed != lead.observed):
                yield (("observations", i, "source_group"),
                       f"observation {observation.id!r} is in source group {group!r} but does "
                       f"not report what {lead.id!r} reports",
                       "the same event, by_week and observed as the group's first report")

    def _sides(self) -> Iterator[Problem]:
        if len(self.s.sides) != 2:
            yield (("sides",), f"{len(self.s.sides)} sides",
                   "exactly two sides, each keyed by its leader")
        seen: dict[str, str] = {leader: leader for leader in self.s.sides}
        for leader, members in self.s.sides.items():
            yield from self.actor(("sides", leader), leader)
            for i, actor_id in enumerate(members):
                yield from self.actor(("sides", leader, i), actor_id)
                if actor_id in seen and seen[actor_id] != leader:
                    yield (("sides", leader, i), f"actor {actor_id!r} is on both sides",
                           "each actor on one side at most")
                seen.setdefault(actor_id, leader)
        givers: set[str] = set()
        for i, support in _present(self.s.support):
            yield from self.actor(("support", i, "by"), support.by)
            yield from self.member(("support", i, "to"), support.to)
            if support.by in givers:
                yield (("support", i, "by"), f"a second support entry for {support.by!r}",
                       "one entry per supporting actor (change it later with a policy)")
            givers.add(support.by)
            own = self.side_of.get(support.by)
            if own is not None and support.to in self.side_of and own != self.side_of[support.to]:
                yield (("support", i, "to"), f"{support.by!r} would support the other side",
                       "support for its own side")

    def _actors(self) -> Iterator[Problem]:
        seated = [actor_id for actor_id, actor in _present(self.s.actors)
                  if actor.position is not None]
        model = self.s.model
        if model is not None and model.negotiation_terms == "expected_utility" and len(seated) < 2:
            yield (("model", "negotiation_terms"), "fewer than two actors have a `position`",
                   "positions for at least two actors, or negotiation_terms: midpoint")
        for actor_id, actor in _present(self.s.actors):
            if actor.position is not None and actor.salience is None:
                yield (("actors", actor_id, "position"), f"{actor_id} has a position but no"
                       " salience", "a salience in [0, 1] beside the position")
            if actor.initial_posture is not None:
                path = ("actors", actor_id, "initial_posture")
                yield from self.rung(path, actor.initial_posture)
                rung = self.rungs.get(actor.initial_posture)
                if rung is not None and rung.users is not None and actor_id not in rung.users:
                    yield path, f"{actor_id} may not use rung {rung.id!r}", "a rung it may use"

    def _ladder(self) -> Iterator[Problem]:
        for i, rung in _present(self.s.ladder):
            for j, actor_id in enumerate(rung.users or []):
                yield from self.actor(("ladder", i, "users", j), actor_id)
            for j, actor_id in enumerate(rung.needs_permission_from):
                yield from self.actor(("ladder", i, "needs_permission_from", j), actor_id)

    def _red_lines(self) -> Iterator[Problem]:
        for i, red_line in _present(self.s.red_lines):
            path: Path = ("red_lines", i)
            yield from self.actor((*path, "owner"), red_line.owner)
            for j, actor_id in enumerate(red_line.applies_to):
                yield from self.actor((*path, "applies_to", j), actor_id)
            for key in ("declared_at", "tolerated", "response", "fallback"):
                rung_id = getattr(red_line, key)
                if rung_id is not None:
                    yield from self.rung((*path, key), rung_id)
            for observer in red_line.priors:
                yield from self.actor((*path, "priors", observer), observer)
            yield from self._graded_responses(path, red_line)
            if red_line.audience_cost is not None and red_line.owner not in red_line.applies_to:
                yield ((*path, "audience_cost"),
                       f"audience_cost on red line {red_line.id!r}, which does not apply to its "
                       f"owner {red_line.owner!r}: only a self-limit has an audience cost",
                       f"{red_line.owner} in applies_to, or no audience_cost")
            tolerated = self.rungs.get(red_line.tolerated or "")
            declared = self.rungs.get(red_line.declared_at)
            if tolerated is not None and declared is not None:
                low, high = tolerated.severity, declared.severity
                if low >= high:
                    yield ((*path, "tolerated"),
                           f"tolerated rung has severity {low:g}, not below declared {high:g}",
                           "a tolerated rung below the declared one")

    def _graded_responses(self, path: Path, red_line: m.RedLine) -> Iterator[Problem]:
        """The rungs of a graded schedule, and its entries in increasing severity of ``at``."""
        previous: m.Rung | None = None
        for j, entry in enumerate(red_line.responses):
            where: Path = (*path, "responses", j)
            for key in ("at", "response", "fallback"):
                rung_id = getattr(entry, key)
                if rung_id is not None:
                    yield from self.rung((*where, key), rung_id)
            at = self.rungs.get(entry.at)
            if at is None:
                continue
            if previous is not None and at.severity <= previous.severity:
                yield ((*where, "at"),
                       f"rung {entry.at!r} (severity {at.severity:g}) is not above the previous "
                       f"entry's {previous.id!r} (severity {previous.severity:g})",
                       "entries in increasing severity of their `at` rungs")
            previous = at

    def _fronts(self) -> Iterator[Problem]:
        for front_id, front in _present(self.s.fronts):
            path: Path = ("fronts", front_id)
            yield from self.member((*path, "attacker"), front.attacker)
            yield from self.member((*path, "defender"), front.defender)
            if (front.attacker in self.side_of and front.defender in self.side_of
                    and self.side_of[front.attacker] == self.side_of[front.defender]):
                yield ((*path, "defender"), "attacker and defender are on the same side",
                       "actors of opposite sides")
            for key in ("forces", "attrition", "reinforcement"):
                for actor_id in getattr(front, key):
                    yield from self.member((*path, key, actor_id), actor_id)
            for actor_id in front.diverts:
                yield from self.actor((*path, "diverts", actor_id), actor_id)

    def _deployments(self) -> Iterator[Problem]:
        for i, deployment in _present(self.s.deployments):
            yield from self.actor(("deployments", i, "actor"), deployment.actor)
            yield from self.member(("deployments", i, "side"), deployment.side)
            if deployment.front not in self.fronts:
                yield (("deployments", i, "front"), f"unknown front {deployment.front!r}"
                       f"{_did_you_mean(deployment.front, self.fronts)}",
                       "one of " + _names(self.fronts))

    def condition(self, path: Path, condition: BaseModel) -> Iterator[Problem]:
        """Problems in one condition tree."""
        match condition:
            case m.AllOf(all=items) | m.AnyOf(any=items):
                key = "all" if isinstance(condition, m.AllOf) else "any"
                for i, item in enumerate(items):
                    yield from self.condition((*path, key, i), item)
            case m.NotOf(not_=inner):
                yield from self.condition((*path, "not"), inner)
            case m.HeldFor(held_for=spec):
                yield from self.condition((*path, "held_for", "condition"), spec.condition)
            case m.Ever(ever=inner):
                yield from self.condition((*path, "ever"), inner)
            case m.PostureAtLeast(posture_at_least=target) | m.Reached(reached=target) | \
                    m.Permitted(permitted=target) | m.PostureIs(posture_is=target):
                key = next(iter(type(condition).model_fields))
                yield from self.actor((*path, key, "actor"), target.actor)
                yield from self.rung((*path, key, "rung"), target.rung)
            case m.DeploymentInCombat(deployment_in_combat=ident):
                yield from self._known((*path, "deployment_in_combat"), ident, self.deployments,
                                       "deployment")
            case m.DeploymentExists(deployment_exists=ident):
                yield from self._known((*path, "deployment_exists"), ident, self.deployments,
                                       "deployment")
            case m.ControlBelow(control_below=target) | m.ControlAbove(control_above=target):
                key = next(iter(type(condition).model_fields))
                yield from self._known((*path, key, "front"), target.front, self.fronts, "front")
            case m.FrontActive(front_active=ident):
                yield from self._known((*path, "front_active"), ident, self.fronts, "front")
            case m.PolicyFired(policy_fired=ident):
                yield from self._known((*path, "policy_fired"), ident, self.policies, "policy")
            case m.RedLineEnforced(red_line_enforced=ident):
                yield from self._known((*path, "red_line_enforced"), ident, self.red_lines,
                                       "red line")
            case m.RedLineCrossed(red_line_crossed=ident):
                yield from self._known((*path, "red_line_crossed"), ident, self.red_lines,
                                       "red line")
            case m.StabilityBelow(stability_below=target):
                yield from self.actor((*path, "stability_below", "actor"), target.actor)
            case m.BeliefBelow(belief_below=target):
                yield from self.actor((*path, "belief_below", "observer"), target.observer)
                yield from self._known((*path, "belief_below", "red_line"), target.red_line,
                                       self.red_lines, "red line")
                yield from self.rung((*path, "belief_below", "rung"), target.rung)
            case m.RegimeCrisis(regime_crisis=ident):
                yield from self.actor((*path, "regime_crisis"), ident)
            case _:
                return

    def action(self, path: Path, action: BaseModel) -> Iterator[Problem]:
        """Problems in one policy action."""
        match action:
            case m.Permit(permit=target) | m.Forbid(forbid=target):
                key = "permit" if isinstance(action, m.Permit) else "forbid"
                yield from self.actor((*path, key, "actor"), target.actor)
                yield from self.actor((*path, key, "by"), target.by)
                yield from self.rung((*path, key, "rung"), target.rung)
                rung = self.rungs.get(target.rung)
                if rung is not None and target.by not in rung.needs_permission_from:
                    yield ((*path, key, "by"),
                           f"{target.by!r} is not a supplier of rung {rung.id!r}",
                           "one of its needs_permission_from: "
                           + _names(rung.needs_permission_from))
            case m.Deploy(deploy=ident):
                yield from self._known((*path, "deploy"), ident, self.deployments, "deployment")
            case m.ChangeSupport(support=change):
                yield from self.actor((*path, "support", "by"), change.by)
                yield from self.member((*path, "support", "to"), change.to)
            case m.OpenFront(open_front=ident):
                yield from self._known((*path, "open_front"), ident, self.fronts, "front")
            case m.Concede(concede=terms):
                yield from self.member((*path, "concede", "by"), terms.by)
            case m.Withdraw(withdraw=target):
                front = dict(_present(self.s.fronts)).get(target.front)
                if front is not None and target.actor not in (front.attacker, front.defender):
                    yield ((*path, "withdraw", "actor"),
                           f"{target.actor!r} is neither the attacker nor the defender of "
                           f"front {target.front!r}",
                           f"{front.attacker!r} or {front.defender!r}")
            case m.Adopt(adopt=target):
                yield from self._adopter((*path, "adopt"), target)
            case _:
                return

    def _adopter(self, path: Path, target: m.AdoptTarget) -> Iterator[Problem]:
        """An ``adopt``'s actor must choose postures (be aligned) and be among the rung's users."""
        rung = self.rungs.get(target.rung)
        if target.actor not in self.actors or rung is None:
            return  # (unknown ids are reported with the declared references)
        if target.actor not in self.side_of and target.actor not in self._policy_supporters():
            yield ((*path, "actor"), f"actor {target.actor!r} is on neither side, so it holds"
                   " no posture", "a member of a side, or an actor with a support entry for one")
        members = {actor for leader, listed in self.s.sides.items()
                   for actor in (leader, *listed)}

        def may_use(candidate: m.Rung) -> bool:  # (users default to the side members)
            users = members if candidate.users is None else candidate.users
            return target.actor in users

        if not may_use(rung):
            yield ((*path, "rung"), f"{target.actor} may not use rung {rung.id!r}",
                   "a rung among whose users it is: "
                   + _names([r.id for _, r in _present(self.s.ladder) if may_use(r)]))

    def _policy_supporters(self) -> set[str]:
        """Actors aligned with a side by a policy's ``support`` action."""
        return {action.support.by for _, policy in _present(self.s.policies)
                for action in policy.then if isinstance(action, m.ChangeSupport)}

    def _declared(self, value: Any, path: Path) -> Iterator[Problem]:
        """Ids in fields marked :class:`~redline.scenario.models.Refers`, anywhere in ``value``."""
        if isinstance(value, BaseModel):
            for name, field in type(value).model_fields.items():
                item = getattr(value, name)
                kind = _refers(field.annotation, field.metadata)
                if kind is None:
                    yield from self._declared(item, (*path, name))
                    continue
                ids = item if isinstance(item, list) else [item]
                paths = [(*path, name, i) for i in range(len(ids))] if isinstance(
                    item, list) else [(*path, name)]
                for where, ident in zip(paths, ids, strict=True):
                    if ident is not None:
                        yield from self._known(where, ident, self._ids(kind),
                                               kind.removesuffix("s").replace("_", " "))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from self._declared(item, (*path, i))
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from self._declared(item, (*path, key))

    def _ids(self, kind: str) -> set[str]:
        """The ids of the scenario's collection ``kind`` (a mapping's keys, a list's ``id``)."""
        collection = getattr(self.s, kind)
        if isinstance(collection, dict):
            return set(collection) | self.known_ids.get(kind, set())
        return self.known_ids.get(kind, set()) | {x.id for _, x in _present(collection)}

    def _known(self, path: Path, ident: str, known: Any, what: str) -> Iterator[Problem]:
        if ident not in known:
            yield (path, f"unknown {what} {ident!r}{_did_you_mean(ident, known)}",
                   "one of " + _names(known))


def _refers(annotation: Any, metadata: list[Any]) -> str | None:
    """The collection an id field (or list of ids) refers to, if it is marked ``Refers``."""
    marks = [*metadata]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):  # an optional id
        annotation = next((arg for arg in typing.get_args(annotation) if arg is not type(None)),
                          annotation)
    if typing.get_origin(annotation) is list:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is typing.Annotated:
        marks += typing.get_args(annotation)[1:]
    kinds = [mark.kind for mark in marks if isinstance(mark, m.Refers)]
    return kinds[0] if kinds else None


def _did_you_mean(ident: str, known: Any) -> str:
    """``; did you mean 'x'?`` for the closest known id, if one is close (difflib ratio 0.6)."""
    close = difflib.get_close_matches(ident, sorted(known), n=1)
    if not close:
        close = [name for name in sorted(known) if name.lower() == ident.lower()][:1]
    return f"; did you mean {close[0]!r}?" if close else ""


def _names(ids: Any) -> str:
    names = sorted(ids)
    if not names:
        return "(none defined)"
    shown = ", ".join(names[:12])
    return shown + (", ..." if len(names) > 12 else "")
