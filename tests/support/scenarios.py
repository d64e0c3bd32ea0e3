"""Scenarios written inline in a test, as indented YAML text."""

from __future__ import annotations

import textwrap

from redline.scenario.loader import load_text
from redline.scenario.models import Scenario


def scenario(text: str) -> Scenario:
    """The scenario of ``text``, an indented YAML string (dedented; its file is test.yaml)."""
    return load_text(textwrap.dedent(text), "test.yaml")
