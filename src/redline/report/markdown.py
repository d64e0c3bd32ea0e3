"""The Markdown report of one ensemble run.

A report states what was run (scenario, start, horizon, runs, seed), then the
outcome probabilities, the forecast questions and how far up the escalation
ladder each actor went, each probability with its 95% Monte Carlo interval
(Wilson 1927), and ends with a note on how to read the numbers.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from importlib import metadata

from redline.results import EnsembleResult, Estimate
from redline.scenario.models import OUTCOMES

#: One-line meaning of each outcome, in the order of :data:`OUTCOMES`.
OUTCOME_MEANINGS: dict[str, str] = {
    "settlement": "a negotiated deal was struck and still held at the end",
    "settlement_broken": "a deal was struck and later broke down",
    "ongoing": "still fighting at the horizon, no deal, no terminal event",
    "military_collapse": "one side's power collapsed",
    "great_power_war": "a great power entered as a belligerent against another",
    "nuclear_use": "nuclear weapons were used",
    "regime_crisis": "a regime's stability fell below its floor",
}


def format_probability(p: float) -> str:
    """Format a probability as a percentage, with two significant digits near 0 and 1.

    >>> [format_probability(p) for p in (0.4567, 0.0003, 0.0, 0.99971, 1.0)]
    ['45.7%', '0.030%', '0%', '99.971%', '100%']
    """
    if math.isnan(p):
        return "n/a"
    if p < 1e-12:
        return "0%"
    if p > 1.0 - 1e-12:
        return "100%"
    if p < 0.01:
        return f"{100 * p:#.2g}%"
    if p > 0.99:
        complement = f"{100 * (1.0 - p):#.2g}"  # two significant digits, e.g. 0.030
        decimals = len(complement.partition(".")[2])
        return f"{100 * p:.{decimals}f}%"
    return f"{100 * p:.1f}%"


def format_interval(estimate: Estimate) -> str:
    """Format the 95% interval of an estimate, e.g. ``[44.7%, 46.7%]``."""
    return f"[{format_probability(estimate.lo)}, {format_probability(estimate.hi)}]"


def week_date(result: EnsembleResult, week: int) -> dt.date:
    """Return the calendar date at the end of ``week`` steps from the scenario's start."""
    return result.scenario.start + dt.timedelta(weeks=week)


def redline_version() -> str:
    """Return the installed version of redline (``unknown`` if not installed)."""
    try:
        return metadata.version("redline")
    except metadata.PackageNotFoundError:
        return "unknown"


def _plain(text: object) -> str:
    """Scenario text with its markup characters escaped.

    A viewer that renders HTML inside Markdown then shows ``<script>`` instead
    of running it.
    """
    return html.escape(str(text), quote=False)


def _cell(text: object) -> str:
    """Make text safe for one Markdown table cell."""
    return " ".join(_plain(text).split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> str:
    """Render a GitHub-flavoured Markdown table; ``align`` holds ``l`` or ``r`` per column."""
    align = align or ["l"] * len(header)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = [
        "| " + " | ".join(_cell(h) for h in header) + " |",
        "| " + " | ".join(rule) + " |",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _summary(result: EnsembleResult, generated: dt.datetime, run_id: str | None) -> str:
    scenario = result.scenario
    rows = [
        ["Scenario", f"{scenario.name}" + (f": {scenario.title}" if scenario.title else "")],
        ["Start", scenario.start.isoformat()],
        ["Horizon", f"{result.horizon} weeks (to {week_date(result, result.horizon).isoformat()})"],
        ["Runs", f"{result.runs:,}"],
        ["Seed", str(result.seed)],
        ["Chunk size", f"{result.chunk_size:,}"],
        ["Generated", generated.strftime("%Y-%m-%d %H:%M UTC")],
        ["redline", redline_version()],
    ]
    if result.elapsed_seconds:
        rows.append(["Elapsed", f"{result.elapsed_seconds:.1f} s"])
    if run_id is not None:
        rows.append(["Run id", run_id])
    return _table(["", ""], rows)


def _outcomes(result: EnsembleResult) -> str:
    rows = []
    for name in OUTCOMES:
        estimate = result.outcomes[name]
        rows.append(
            [
                name,
                OUTCOME_MEANINGS.get(name, ""),
                format_probability(estimate.p),
                format_interval(estimate),
                f"{estimate.count:,}",
            ]
        )
    return _table(
        ["Outcome", "Meaning", "P", "95% interval", "Runs"], rows, ["l", "l", "r", "r", "r"]
    )


def _questions(result: EnsembleResult) -> str:
    if not result.questions:
        return "The scenario asks no forecast questions."
    by_id = {question.id: question for question in result.scenario.questions}
    rows = []
    for qid, estimate in result.questions.items():
        question = by_id.get(qid)
        text = (question.text or "") if question else ""
        deadline = (
            f"week {question.by_week} ({week_date(result, question.by_week).isoformat()})"
            if question
            else ""
        )
        rows.append(
            [qid, text, deadline, format_probability(estimate.p), format_interval(estimate)]
        )
    return _table(
        ["Question", "Text", "Deadline", "P", "95% interval"], rows, ["l", "l", "l", "r", "r"]
    )


def _ladder(result: EnsembleResult) -> str:
    if not any(result.ladder_reached.values()):
        return "No ladder reach was recorded."
    severity = {rung.id: rung.severity for rung in result.scenario.ladder}
    used = {rung for reached in result.ladder_reached.values() for rung in reached}
    order = [rung.id for rung in result.scenario.ladder if rung.id in used]
    order += sorted(used - set(order))
    header = ["Actor"] + [
        f"{rung} ({severity[rung]:g})" if rung in severity else rung for rung in order
    ]
    rows = [
        [actor]
        + [format_probability(reached[rung].p) if rung in reached else "–" for rung in order]
        for actor, reached in result.ladder_reached.items()
        if reached  # actors who may use no rung have nothing to show
    ]
    return _table(header, rows, ["l"] + ["r"] * len(order))


HOW_TO_READ = """\
- Each probability is the share of the {runs:,} simulated runs in which the
  event happened. The 95% interval (Wilson score interval) is the Monte Carlo
  error only: it shrinks with more runs. It does **not** cover the error of the
  model itself, which is usually much larger; uncertain inputs of the scenario
  are already sampled run by run and so are part of the spread.
- The outcomes are exclusive: each run ends in exactly one, and they sum to 100%.
- A question's probability is that its event happened by its deadline week.
- The ladder table gives, for each actor, the probability that its highest
  posture during the run reached at least that rung (severity in brackets);
  "–" marks a rung the actor cannot use.
- The same scenario, seed and number of runs give the same numbers.
"""


def markdown_report(
    result: EnsembleResult,
    *,
    run_id: str | None = None,
    generated: dt.datetime | None = None,
) -> str:
    """Render an ensemble result as a Markdown document.

    Parameters
    ----------
    result : EnsembleResult
        What :func:`redline.simulate` returned.
    run_id : str, optional
        The id under which the run was stored, shown in the summary.
    generated : datetime, optional
        Time stamp of the report (default: now, UTC).

    Returns
    -------
    str
        The report, ending with a newline.

    """
    generated = generated or dt.datetime.now(dt.UTC)
    scenario = result.scenario
    title = scenario.title or scenario.name
    parts = [
        f"# redline report: {' '.join(_plain(title).split())}",
        _summary(result, generated, run_id),
        "## Outcomes",
        _outcomes(result),
        "## Forecast questions",
        _questions(result),
        "## Escalation ladder: probability each actor reached each rung",
        _ladder(result),
        "## How to read this",
        HOW_TO_READ.format(runs=result.runs).rstrip(),
    ]
    return "\n\n".join(parts) + "\n"
