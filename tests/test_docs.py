"""The docs that are generated from code must match the code."""


from redline.scenario.language_docs import reference_markdown
from tests.support.paths import ROOT


def test_scenario_reference_is_up_to_date():
    committed = (ROOT / "docs" / "reference" / "scenario.md").read_text(encoding="utf-8")
    assert committed == reference_markdown(), (
        "docs/reference/scenario.md is stale: run "
        "`python -m redline.scenario.language_docs > docs/reference/scenario.md`"
    )


def test_every_example_in_the_reference_is_valid():
    """Each model's example (language_docs.examples) validates as what it illustrates: a
    condition or an action as itself, an element inside the scenario's part that holds it."""
    from pydantic import TypeAdapter

    from redline.scenario import models as m
    from redline.scenario.language_docs import _ACTIONS, _CONDITIONS, _sections, examples

    checked = 0
    for model in (*_CONDITIONS, *_ACTIONS):
        for example in examples(model):
            union = m.Condition if model in _CONDITIONS else m.Action
            assert isinstance(TypeAdapter(union).validate_python(example), model), example
            checked += 1
    for _, models in _sections():
        for model in models:
            for example in examples(model):
                if len(example) == 1 and next(iter(example)) in m.Scenario.model_fields:
                    (_, elements), = example.items()  # e.g. {fronts: {id: {...}}}
                    if isinstance(elements, dict):
                        elements = list(elements.values())
                else:
                    elements = [example]
                for element in elements:
                    assert isinstance(TypeAdapter(model).validate_python(element), model)
                checked += 1
    assert checked >= 8


def test_every_condition_and_action_is_documented():
    text = (ROOT / "docs" / "reference" / "scenario.md").read_text(encoding="utf-8")
    from redline.scenario.models import ACTION_KEYS, CONDITION_KEYS

    for key in (*CONDITION_KEYS, *ACTION_KEYS):
        assert f"| `{key}` |" in text, key


def test_the_table_of_mechanisms_is_up_to_date():
    """docs/model.md's table is generated from the registry (redline.mechanisms.registry)."""
    from redline.mechanisms.registry import mechanism_table

    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    start = text.index("\n", text.index("<!-- mechanisms: generated")) + 1
    end = text.index("<!-- end of the generated table -->")
    assert text[start:end] == mechanism_table(), (
        "docs/model.md's table of mechanisms is stale: put the output of "
        "`python -m redline.mechanisms.registry` between its two markers"
    )


def test_the_model_page_describes_the_mechanisms_in_the_registrys_order():
    import re

    from redline.mechanisms.registry import MECHANISMS

    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    described = re.findall(r"^\d+\. \*\*[^*]+\*\* \(`(\w+)\.py`\)", text, flags=re.MULTILINE)
    assert described == [mechanism.module.rsplit(".", 1)[-1] for mechanism in MECHANISMS]
