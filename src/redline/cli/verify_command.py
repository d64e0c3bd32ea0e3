"""The verify command: published results and closed forms, reproduced."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.text import Text

from redline.cli.common import (
    EXIT_FAILURE,
    JsonOption,
    app,
    fail,
    json_default,
    plain_table,
    short_value,
    stderr,
    stdout,
)
from redline.verify.registry import SUITES, run_checks


@app.command()
def verify(
    suite: Annotated[
        list[str] | None,
        typer.Option("--suite", help="Run only this suite (repeatable): "
                     + ", ".join(SUITES) + "."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Reproduce every published result and closed form the mechanisms rest on.

    Prints name, source, published value, ours, tolerance and pass for each
    check; exits 1 if any fails.
    """
    try:
        with stderr.status("verifying") as status:
            checks = run_checks(suite, progress=lambda name: status.update(
                f"verifying: {name}") if not json_output else None)
    except KeyError as error:
        fail(f"error: {error.args[0]}")
    failed = [check for check in checks if not check.passed]
    if json_output:
        typer.echo(json.dumps({"checks": [check.to_dict() for check in checks],
                               "passed": len(checks) - len(failed), "failed": len(failed)},
                              indent=2, default=json_default))
    else:
        stdout.print(plain_table(
            "Verification: published results and closed forms",
            ["check", "source", "published", "ours", "tolerance", "pass"],
            [[check.name, check.source, short_value(check.published), short_value(check.ours),
              f"{check.tolerance:g}" + (" (relative)" if check.relative else ""),
              "yes" if check.passed else "NO"] for check in checks],
        ))
        stdout.print(Text(f"{len(checks) - len(failed)} of {len(checks)} checks pass"))
    if failed:
        raise typer.Exit(EXIT_FAILURE)
