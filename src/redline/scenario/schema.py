"""JSON Schema of the scenario language, for editors and other tools."""

from __future__ import annotations

from typing import Any

from redline.scenario.models import Scenario


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file."""
    schema = Scenario.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "redline scenario"
    return schema
