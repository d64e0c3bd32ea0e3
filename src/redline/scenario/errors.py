"""Scenario errors: every problem of a file, each with its line and column."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in a scenario file.

    ``line`` and ``column`` count from 1, as editors do.
    """

    file: str
    line: int
    column: int
    message: str
    expected: str | None = None

    def format(self) -> str:
        """``file:line:column: message (expected ...)``."""
        text = f"{self.file}:{self.line}:{self.column}: {self.message}"
        if self.expected:
            text += f" (expected {self.expected})"
        return text


class ScenarioError(Exception):
    """A scenario could not be loaded; ``issues`` lists every problem found."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = sorted(set(issues))
        super().__init__(self.format())

    def format(self) -> str:
        """One line per issue."""
        return "\n".join(issue.format() for issue in self.issues)
