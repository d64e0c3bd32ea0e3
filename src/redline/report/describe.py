"""Plain-language text for the declarative parts of a scenario.

Conditions (``when`` of a policy, ``event`` of a question or observation) and
actions (``then`` of a policy) are small trees of pydantic models; these
functions render them as short phrases for the command line and reports, e.g.
``{all: [{deployment_in_combat: prk_kursk}, {week_at_least: 2}]}`` becomes
``deployment prk_kursk in combat and week >= 2``.
"""

from __future__ import annotations

from pydantic import BaseModel

from redline.scenario import models as m
from redline.scenario.distributions import describe as describe_number


def describe_condition(condition: BaseModel, *, nested: bool = False) -> str:
    """Render a condition as a phrase.

    Parameters
    ----------
    condition : BaseModel
        One of the condition models of :mod:`redline.scenario.models`.
    nested : bool, optional
        Whether the condition sits inside another ``all``/``any``; compound
        conditions are then parenthesised.

    Returns
    -------
    str
        The phrase.

    Examples
    --------
    >>> from redline.scenario.models import WeekAtLeast
    >>> describe_condition(WeekAtLeast(week_at_least=2))
    'week >= 2'

    """
    match condition:
        case m.PostureAtLeast(posture_at_least=target):
            return f"{target.actor} posture at least {target.rung}"
        case m.PostureIs(posture_is=target):
            return f"{target.actor} posture is {target.rung}"
        case m.Reached(reached=target):
            return f"{target.actor} has reached {target.rung}"
        case m.Permitted(permitted=target):
            return f"{target.actor} permitted {target.rung}"
        case m.DeploymentInCombat(deployment_in_combat=deployment):
            return f"deployment {deployment} in combat"
        case m.DeploymentExists(deployment_exists=deployment):
            return f"deployment {deployment} real and under way"
        case m.BeliefBelow(belief_below=target):
            return (f"{target.observer}'s belief that {target.rung} meets enforcement of "
                    f"{target.red_line} below {target.value:g}")
        case m.ControlBelow(control_below=target):
            return f"attacker's control of {target.front} below {target.value:g}"
        case m.ControlAbove(control_above=target):
            return f"attacker's control of {target.front} above {target.value:g}"
        case m.FrontActive(front_active=front):
            return f"front {front} open"
        case m.WeekAtLeast(week_at_least=week):
            return f"week >= {week}"
        case m.PolicyFired(policy_fired=policy):
            return f"policy {policy} has fired"
        case m.RedLineEnforced(red_line_enforced=red_line):
            return f"red line {red_line} enforced"
        case m.RedLineCrossed(red_line_crossed=red_line):
            return f"red line {red_line} crossed"
        case m.Settled():
            return "a settlement holds"
        case m.OutcomeIs(outcome=outcome):
            return f"outcome is {outcome}"
        case m.StabilityBelow(stability_below=target):
            return f"{target.actor} stability below {target.value:g}"
        case m.RegimeCrisis(regime_crisis=actor):
            return f"regime crisis in {actor}"
        case m.AllOf(all=parts):
            return _join(parts, " and ", nested)
        case m.AnyOf(any=parts):
            return _join(parts, " or ", nested)
        case m.NotOf(not_=part):
            return f"not {describe_condition(part, nested=True)}"
        case m.HeldFor(held_for=spec):
            weeks = "week" if spec.weeks == 1 else f"{spec.weeks} weeks"
            return f"{describe_condition(spec.condition, nested=True)} for {weeks} running"
        case m.Ever(ever=part):
            return f"ever {describe_condition(part, nested=True)}"
    raise TypeError(f"not a condition: {type(condition).__name__}")


def _join(parts: list[m.Condition], word: str, nested: bool) -> str:
    text = word.join(describe_condition(part, nested=True) for part in parts)
    return f"({text})" if nested and len(parts) > 1 else text


def describe_action(action: BaseModel) -> str:
    """Render a policy action as a phrase.

    Parameters
    ----------
    action : BaseModel
        One of the action models of :mod:`redline.scenario.models`.

    Returns
    -------
    str
        The phrase.

    Examples
    --------
    >>> from redline.scenario.models import Deploy
    >>> describe_action(Deploy(deploy="prk_kursk"))
    'activate deployment prk_kursk'

    """
    match action:
        case m.Permit(permit=target):
            return f"{target.by} permits {target.actor} to use {target.rung}"
        case m.Forbid(forbid=target):
            return f"{target.by} forbids {target.actor} to use {target.rung}"
        case m.Deploy(deploy=deployment):
            return f"activate deployment {deployment}"
        case m.ChangeSupport(support=change):
            return f"{change.by} support to {change.to} becomes {describe_number(change.level)}"
        case m.OpenFront(open_front=front):
            return f"open front {front}"
        case m.OfferTalks(offer_talks=offer):
            return f"talks offered (weekly hazard {offer.hazard:g})"
        case m.Adopt(adopt=target):
            held = ("" if target.weeks is None
                    else f" for {target.weeks} week{'s' if target.weeks != 1 else ''}, then back")
            return f"{target.actor} adopts {target.rung}{held}"
        case m.RecordedAction():
            return action.describe()
    raise TypeError(f"not an action: {type(action).__name__}")


def describe_policy(policy: m.Policy) -> str:
    """Render a whole policy: ``when ... then ... (probability, delay)``.

    Parameters
    ----------
    policy : Policy
        The policy.

    Returns
    -------
    str
        One line of text.

    """
    actions = "; ".join(describe_action(action) for action in policy.then)
    chance = (f"probability {describe_number(policy.probability)}" if policy.hazard is None
              else f"weekly hazard {describe_number(policy.hazard)}")
    delay = describe_number(policy.delay_weeks)
    return (
        f"when {describe_condition(policy.when)} then {actions}"
        f" ({chance}, delay {delay} weeks)"
    )
