"""Every verification suite, in the order `redline verify` runs them."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from redline.verify.checks import Check

#: Suite name -> module whose ``checks()`` returns its checks.
SUITES: dict[str, str] = {
    "games": "redline.verify.games_checks",
    "lanchester": "redline.verify.lanchester_checks",
    "negotiation": "redline.verify.negotiation_checks",
    "simulator": "redline.verify.simulator_checks",
}


def run_checks(suites: list[str] | None = None,
               progress: Callable[[str], None] | None = None) -> list[Check]:
    """Run the named suites (default: all) and return their checks in order.

    Raises
    ------
    KeyError
        For a suite name that does not exist.
    """
    names = list(SUITES) if not suites else suites
    unknown = [name for name in names if name not in SUITES]
    if unknown:
        raise KeyError(f"unknown suite(s): {', '.join(unknown)}; known: {', '.join(SUITES)}")
    results: list[Check] = []
    for name in names:
        if progress is not None:
            progress(name)
        results.extend(importlib.import_module(SUITES[name]).checks())
    return results
