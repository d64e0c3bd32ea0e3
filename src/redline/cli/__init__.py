"""The ``redline`` command line: a thin layer over the library.

Each command loads, runs or reads through the library and prints with Rich;
nothing here computes. Errors in what the user gave (a bad scenario file, an
unknown name, an out-of-range flag) are one clear message each on stderr and
exit status 2, before any work is done and without writing anything; a
missing results database is exit status 1. Flags shared by several commands
(``--runs``, ``--seed``, ``--horizon``, ``--chunk-size``, ``--db``,
``--json``) are defined once in :mod:`redline.cli.common`.

Importing this package is cheap: :func:`main` imports the commands (and with
them the library) only once it can answer Ctrl-C, so that an interrupt while
they load ends quietly with status 130 instead of a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

#: The modules that define the commands (each registers its own on the app).
COMMAND_MODULES = ("analysis_commands", "compare_command", "estimate_command",
                   "history_commands", "hypotheses_command", "report_command", "run_commands",
                   "scenario_commands", "sensitivity_command", "serve_command", "sweep_command",
                   "verify_command")
#: Exit status of a command interrupted by Ctrl-C (128 + SIGINT, as a shell reports it).
EXIT_INTERRUPTED = 130

__all__ = ["COMMAND_MODULES", "EXIT_INTERRUPTED", "app", "main"]


def commands() -> typer.Typer:
    """The Typer app with every command registered (imports the command modules)."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"redline.cli.{name}")
    from redline.cli.common import app

    return app


def __getattr__(name: str) -> Any:
    """``redline.cli.app``: the app with its commands, imported on first use (PEP 562)."""
    if name == "app":
        return commands()
    raise AttributeError(f"module 'redline.cli' has no attribute {name!r}")


def main() -> None:
    """Run the command line (the ``redline`` console script) and exit with its status."""
    try:
        status = commands()(prog_name="redline")
    except KeyboardInterrupt:  # while the commands load, before any could catch it
        status = EXIT_INTERRUPTED
    sys.exit(status)
