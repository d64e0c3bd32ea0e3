"""The ``redline`` command line: a thin layer over the library.

Each command loads, runs or reads through the library and prints with Rich;
nothing here computes. Errors in what the user gave (a bad scenario file, an
unknown name, an out-of-range flag) are one clear message each on stderr and
exit status 2, before any work is done and without writing anything; a
missing results database is exit status 1. Flags shared by several commands
(``--runs``, ``--seed``, ``--horizon``, ``--chunk-size``, ``--db``,
``--json``) are defined once below.
"""

from __future__ import annotations

from redline.cli import (
    analysis_commands,
    compare_command,
    estimate_command,
    history_commands,
    hypotheses_command,
    report_command,
    run_commands,
    scenario_commands,
    sensitivity_command,
    serve_command,
    sweep_command,
    verify_command,
)
from redline.cli.common import app

__all__ = ["analysis_commands", "app", "compare_command", "estimate_command", "history_commands",
           "hypotheses_command", "main",
           "report_command", "run_commands", "scenario_commands", "sensitivity_command",
           "serve_command", "sweep_command", "verify_command"]


def main() -> None:
    """Run the command line (the ``redline`` console script)."""
    app(prog_name="redline")
