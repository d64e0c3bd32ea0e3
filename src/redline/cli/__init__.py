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
they load ends quietly with status 130 instead of a traceback. Before that,
and before any thread starts, :func:`main` sets the memory allocator for
large ensembles (:func:`redline.allocation.tune_allocator`): a setting of the
whole process, which the command line makes for itself and the library never
makes for a program that imports it.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

from redline.allocation import tune_allocator

if TYPE_CHECKING:
    import typer

#: The modules that define the commands (each registers its own on the app).
COMMAND_MODULES = ("analysis_commands", "compare_command", "estimate_command",
                   "history_commands", "hypotheses_command", "report_command", "run_commands",
                   "scenario_commands", "sensitivity_command", "serve_command", "sweep_command",
                   "verify_command")
#: Exit status of a command interrupted by Ctrl-C (128 + SIGINT, as a shell reports it).
EXIT_INTERRUPTED = 130
#: Exit status of a command stopped by SIGTERM (128 + 15).
EXIT_TERMINATED = 143
#: Seconds after which an interrupt lost in a callback is sent again (:func:`catch_interrupts`).
REDELIVERY_DELAY = 0.05
#: Exit status of a usage error (the same as :data:`redline.cli.common.EXIT_USAGE`).
EXIT_USAGE = 2

__all__ = ["COMMAND_MODULES", "EXIT_INTERRUPTED", "EXIT_TERMINATED", "EXIT_USAGE", "app", "main",
           "usage_line"]


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


def main(args: list[str] | None = None) -> None:
    """Run the command line (the ``redline`` console script) and exit with its status.

    SIGTERM unwinds as Ctrl-C does (temporary files removed, nothing half
    stored) and exits with 143. The allocator is set for ensembles first, before
    any thread starts (:mod:`redline.allocation`).
    """
    tune_allocator()
    catch_interrupts()
    try:
        status = _run(sys.argv[1:] if args is None else args)
    except KeyboardInterrupt:  # while the commands load, before any could catch it
        status = EXIT_INTERRUPTED
    if _terminated:
        status = EXIT_TERMINATED
    sys.exit(status)


def _run(args: list[str]) -> int:
    """Run one command; a usage error is one line on stderr, ``redline CMD: error: ...``."""
    app = commands()
    from typer.exceptions import TyperException

    try:
        status = app(args=args, prog_name="redline", standalone_mode=False)
    except TyperException as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # the help is printed already
            return EXIT_USAGE
        print(usage_line(error), file=sys.stderr)
        return int(getattr(error, "exit_code", EXIT_USAGE))
    return status if isinstance(status, int) else 0


def usage_line(error: Exception) -> str:
    """``redline run: error: MESSAGE``: the command and Click's message, on one line."""
    context = getattr(error, "ctx", None)
    command = context.command_path if context is not None else "redline"
    message = error.format_message() if hasattr(error, "format_message") else str(error)
    return f"{command}: error: {' '.join(message.split())}"


_terminated: list[int] = []


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM: unwind as Ctrl-C does; a second SIGTERM ends the process at once."""
    _terminated.append(signum)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise KeyboardInterrupt


def catch_interrupts() -> None:
    """Answer SIGTERM as Ctrl-C (:func:`_terminate`), and never lose either to a callback.

    A signal's handler runs between two bytecodes of whatever the main thread
    is running. When that is a weak reference's callback or a ``__del__``
    (the garbage collector, Matplotlib's caches), Python cannot raise the
    ``KeyboardInterrupt`` there: it printed "Exception ignored in ...", a
    traceback, and carried on, so ``redline report`` stopped by SIGTERM while
    drawing went on to write the whole report (second probe, issue 18).
    :func:`_interrupt_lost` raises it again where it can be raised.
    """
    signal.signal(signal.SIGTERM, _terminate)
    sys.unraisablehook = _interrupt_lost


def _interrupt_lost(unraisable: Any) -> None:
    """An interrupt raised where it could not be: deliver it again, silently, a moment later.

    Not at once: a handler would run inside this hook, where its interrupt is lost
    too. Should the signal land in a callback again, this hook sends it once more.
    """
    if not isinstance(unraisable.exc_value, KeyboardInterrupt):
        sys.__unraisablehook__(unraisable)
        return
    number = signal.SIGINT
    if _terminated and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)  # the first SIGTERM's interrupt was lost
        number = signal.SIGTERM
    resend = threading.Timer(REDELIVERY_DELAY, os.kill, (os.getpid(), number))
    resend.daemon = True
    resend.start()
