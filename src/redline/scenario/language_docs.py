"""The scenario language reference, generated from the models themselves.

``python -m redline.scenario.language_docs`` prints docs/reference/scenario.md;
a test checks that the committed page matches, so the reference can never
drift from the code.
"""

from __future__ import annotations

import inspect
import types
import typing
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

import redline.scenario.models as m
from redline.scenario.distributions import DISTRIBUTION_NAMES, EXTREME_Z, LOG_LARGEST

_SECTIONS: list[tuple[str, list[type[BaseModel]]]] = [
    ("Scenario", [m.Scenario]),
    ("Actors and sides", [m.Actor, m.Reprisal, m.Support]),
    ("Escalation ladder", [m.Rung]),
    ("Red lines", [m.RedLine, m.GradedResponse]),
    ("Fronts and deployments", [m.Front, m.Deployment]),
    ("Conditional policies", [m.Policy]),
    ("Commitments", [m.Commitment]),
    ("Questions, hypotheses, observations", [m.Question, m.Hypothesis, m.Observation]),
    ("Interventions", [m.Intervention]),
    ("Model settings (`model:`)", [m.ModelSettings]),
]



def _members(union: Any) -> list[type[BaseModel]]:
    """The models of a tagged union such as :data:`~redline.scenario.models.Action`."""
    inner = typing.get_args(union)[0]  # Annotated[A | B | ..., Discriminator]
    return [typing.get_args(arg)[0] for arg in typing.get_args(inner)]


_CONDITIONS: list[type[BaseModel]] = _members(m.Condition)
_ACTIONS: list[type[BaseModel]] = _members(m.Action)


def _sections() -> list[tuple[str, list[type[BaseModel]]]]:
    """:data:`_SECTIONS`, then a section for each element model of the scenario not in them.

    A new construct (a mapping or list of models in :class:`Scenario`) gets its
    own section, titled by the first line of its docstring, without an entry here.
    """
    listed = {model for _, models in _SECTIONS for model in models}
    extra = []
    for field in m.Scenario.model_fields.values():
        args = typing.get_args(field.annotation)
        element = args[-1] if args else None
        if isinstance(element, type) and issubclass(element, BaseModel) and element not in listed:
            title = (element.__doc__ or element.__name__).strip().split("\n")[0].split(":")[0]
            extra.append((title.rstrip("."), [element]))
            listed.add(element)
    return [*_SECTIONS, *extra]


def _type_name(annotation: Any) -> str:
    text = str(annotation)
    if "Uniform" in text and "Triangular" in text:
        return "number"
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        inner = [typing.get_args(arg)[0] if typing.get_origin(arg) is typing.Annotated else arg
                 for arg in args]
        if any(arg in _CONDITIONS for arg in inner):
            return "condition"
        if any(arg in _ACTIONS for arg in inner):
            return "action"
        parts = [_type_name(arg) for arg in args if arg is not type(None)]
        return " or ".join(dict.fromkeys(parts))
    if origin is list:
        return f"list of {_type_name(typing.get_args(annotation)[0])}"
    if origin is dict:
        key, value = typing.get_args(annotation)
        return f"map {_type_name(key)} -> {_type_name(value)}"
    if origin is tuple:
        return "[" + ", ".join(_type_name(arg) for arg in typing.get_args(annotation)) + "]"
    if origin is typing.Literal:
        return " | ".join(repr(arg) for arg in typing.get_args(annotation))
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return annotation.__name__
        return {"str": "text", "float": "number", "int": "integer", "bool": "true/false",
                "date": "date", "object": "value"}.get(annotation.__name__, annotation.__name__)
    if "Condition" in text or "Tag('posture_at_least')" in text:
        return "condition"
    if "Tag('permit')" in text:
        return "action"
    return text.replace("typing.", "")


_COMMON = {
    "id": "Unique id, used to refer to it elsewhere.",
    "by": "Actor id (who gives or gave it).",
    "to": "Actor id (who receives it).",
    "label": "Display label.",
    "owner": "Actor id of the red line's owner.",
    "applies_to": "Actor ids whose postures it constrains.",
    "attacker": "Actor id of the attacking side's actor on this front.",
    "defender": "Actor id of the defending side's actor on this front.",
    "actor": "Actor id.",
    "front": "Front id.",
    "strength": "Strength sent (same units as the front's forces).",
    "description": "Free text.",
    "text": "Free text (the question or report as worded).",
    "when": "Condition that triggers it.",
    "then": "Actions carried out.",
    "what": "What was promised.",
    "year": "Year of the promise.",
    "kept": "Whether it was kept.",
    "weight": "Weight of this piece of evidence in trust.",
    "event": "Condition that resolves it.",
    "by_week": "Deadline: week (from the start) by which the event counts.",
    "prior": "Prior probability.",
    "observed": "Whether the event was reported as happening.",
    "source": "Who reported it.",
}


#: Keys required unless another is given (the model checks that exactly one is).
_ALTERNATIVES = {("Question", "by_week"): "required, or `by_date`",
                 ("Question", "by_date"): "required, or `by_week`"}


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        return "empty"
    if field.default is PydanticUndefined or field.default is None:
        return "none"
    return f"`{field.default}`"


def examples(model: type[BaseModel]) -> list[Any]:
    """The model's examples (its ``json_schema_extra``'s, also in `redline schema`).

    An element's example is the element as written in a scenario; a condition's
    or an action's is the one-key mapping. tests/test_docs.py validates each.
    """
    extra = model.model_config.get("json_schema_extra")
    found = extra.get("examples") if isinstance(extra, dict) else None
    return found if isinstance(found, list) else []


def _examples(model: type[BaseModel]) -> list[str]:
    """The model's examples as YAML blocks."""
    examples_ = examples(model)
    if not examples_:
        return []
    lines = [f"Example{'s' if len(examples_) > 1 else ''} (`{model.__name__}`):", ""]
    for example in examples_:
        text = yaml.safe_dump(example, sort_keys=False, default_flow_style=None, width=88)
        lines += ["```yaml", text.rstrip("\n"), "```", ""]
    return lines


def _table(model: type[BaseModel]) -> list[str]:
    lines = [f"### `{model.__name__}`", "", inspect.cleandoc(model.__doc__ or ""), "",
             "| key | type | default | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        key = field.alias or name
        description = (field.description or _COMMON.get(key, "")).replace("|", "\\|")
        default = _ALTERNATIVES.get((model.__name__, key)) or _default(field)
        lines.append(f"| `{key}` | {_type_name(field.annotation)} | {default} | "
                     f"{description} |")
    return [*lines, "", *_examples(model)]


def _one_key(models: list[type[BaseModel]]) -> list[str]:
    lines = ["| key | value | meaning |", "|---|---|---|"]
    shown = []
    for model in models:
        (name, field), = model.model_fields.items()
        key = field.alias or name
        doc = inspect.cleandoc(model.__doc__ or "").split("\n\n")[0].replace("\n", " ")
        doc = doc.replace("|", "\\|")
        lines.append(f"| `{key}` | {_type_name(field.annotation)} | {doc} |")
        shown += _examples(model)
    return [*lines, "", *shown]


def reference_markdown() -> str:
    """The scenario language reference as Markdown."""
    lines = [
        "# Scenario language reference",
        "",
        "Generated from `redline.scenario.models` by "
        "`python -m redline.scenario.language_docs`; do not edit by hand.",
        "A scenario is one YAML document. `redline schema` prints the same as JSON Schema.",
        "",
        "## Numbers",
        "",
        "Any key typed *number* takes a constant or a one-key distribution, sampled "
        "once per run: " + ", ".join(f"`{name}`" for name in DISTRIBUTION_NAMES) + ".",
        "Parameters: `uniform: [low, high]`, `triangular: [low, mode, high]`, "
        "`beta: [alpha, beta]`, `normal: [mean, sd]`, `lognormal: [mu, sigma]` "
        "(of the logarithm).",
        "A law whose draws could exceed the largest float at the quantiles the engine "
        "draws (uniforms clipped to [2^-53, 1 - 2^-53], so normal quantiles within "
        f"{EXTREME_Z:.2f} standard deviations) is refused: for `lognormal`, "
        f"mu + {EXTREME_Z:.2f} sigma must be at most {LOG_LARGEST:.2f}.",
        "",
    ]
    for title, models in _sections():
        lines += [f"## {title}", ""]
        for model in models:
            lines += _table(model)
    lines += ["## Conditions", "",
              "A condition is a one-key mapping; `all`, `any` and `not` combine them.", ""]
    lines += _one_key(_CONDITIONS)
    lines += _table(m.HeldForSpec)
    lines += ["## Actions", "", "A policy's `then` is a list of one-key actions.", ""]
    lines += _one_key(_ACTIONS)
    for action in _ACTIONS:  # the fields of the actions that take a mapping
        target = action.model_fields[next(iter(action.model_fields))].annotation
        if isinstance(target, type) and issubclass(target, BaseModel) and any(
                field.description for field in target.model_fields.values()):
            lines += _table(target)
    lines += ["## Outcomes", "", "Exclusive and exhaustive: "
              + ", ".join(f"`{name}`" for name in m.OUTCOMES) + ".", ""]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(reference_markdown(), end="")
