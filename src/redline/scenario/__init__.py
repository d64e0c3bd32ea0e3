"""The scenario language: models, safe YAML loading with line-aware errors, JSON Schema."""

from redline.scenario.errors import Issue, ScenarioError
from redline.scenario.loader import load_scenario, load_text
from redline.scenario.models import OUTCOMES, Scenario

__all__ = ["OUTCOMES", "Issue", "Scenario", "ScenarioError", "load_scenario", "load_text"]
