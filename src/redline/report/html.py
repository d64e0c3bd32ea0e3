"""The HTML report of one ensemble run: one self-contained file with figures.

The page carries everything it shows: figures are inline SVG (their text is
real text; hovering a bar, point or cell shows its exact value), styles are
inline, and there is no script, font, image or style sheet to fetch. A
Content-Security-Policy (``default-src 'none'``) makes the browser refuse any
fetch a figure might still attempt. Every piece of text that comes from the
scenario (names, titles, descriptions, question texts) is escaped.

Sections: summary; outcomes; forecast questions; escalation (mean highest
rung by week, and ladder reach by the horizon); public knowledge of the red
lines' thresholds; front control; the actors network; hypotheses (posterior
and the ACH matrix); sensitivity; calibration against recorded outcomes. The
last three take plain data computed elsewhere (:func:`html_report`'s keyword
arguments) and are replaced by a short note when it is not given.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from redline.report import figures
from redline.report.describe import describe_condition
from redline.report.markdown import (
    OUTCOME_MEANINGS,
    format_interval,
    format_probability,
    redline_version,
    week_date,
)
from redline.results import EnsembleResult, Estimate
from redline.scenario.distributions import describe
from redline.scenario.models import OUTCOMES

#: Allows inline styles and the data: images matplotlib may embed; nothing else.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "base-uri 'none'; form-action 'none'"
)

STYLE_SHEET = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
       max-width: 62rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; color: #1a1a1a;
       line-height: 1.45; background: #fff; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem;
     margin-top: 2.2rem; }
p.lead { color: #444; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .88rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .25rem .6rem; text-align: left;
         vertical-align: top; }
th { background: #f5f5f5; }
table.summary th { background: none; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1.2rem 0; padding: .6rem; border: 1px solid #e6e6e6; border-radius: 4px; }
figure svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: .88rem; color: #333; margin-top: .4rem; }
.note { background: #f7f7f2; border-left: 3px solid #c9c28b; padding: .4rem .8rem;
        font-size: .9rem; }
nav ol { columns: 2; font-size: .9rem; }
footer { margin-top: 3rem; font-size: .8rem; color: #666; }
@media print { figure { break-inside: avoid; } nav { display: none; } }
"""

CAPTIONS: dict[str, str] = {
    "outcomes": "Each bar is the share of the {runs:,} runs that ended in that outcome and the"
                " whisker its 95% Monte Carlo interval (Wilson); the outcomes are exclusive and"
                " sum to 100%.",
    "questions": "Each bar is the share of runs in which the question's event happened by its"
                 " deadline (date in brackets), with its 95% interval.",
    "escalation": "Each panel is one actor: the line is the median run's highest rung reached"
                  " by that week, the dark band holds half the runs, the light band 90%; a band"
                  " reaching a rung means at least that share of runs got there.",
    "ladder": "Each cell is the probability that the actor's highest rung by the horizon was at"
              " least that rung (darker is likelier); hatched cells are rungs the actor cannot"
              " use.",
    "knowledge": "The shaded band is what is publicly known of the owner's true threshold,"
                 " averaged over runs: tests up to L drew no response, a test at U did; the band"
                 " narrows as the line is tested (U is capped at the ladder's top).",
    "control": "Each line is the attacker's share of the ground on a front, averaged over runs;"
               " the lower panel, when shown, is the share of runs in which the front is open.",
    "network": "Circles are actors (area: capability; colour: side; bold outline: side leader);"
               " solid arrows run from supporter to supported, thicker for more support; dashed"
               " arrows are deployments to fronts (squares).",
    "posterior": "Bars: the probability of each hypothesis given the observations, with its 95%"
                 " interval; diamonds: its prior. A bar beyond its diamond means the evidence"
                 " favours that hypothesis.",
    "ach": "Each cell is the probability of the observation (row) if the hypothesis (column)"
           " were true, with Heuer's rating (C consistent, N neutral, I inconsistent); a row"
           " whose values differ across hypotheses is diagnostic, a row of equal values is"
           " not.",
    "tornado": "Parameters ranked by their sensitivity index for each outcome probability:"
               " the longer the bar, the more the parameter moves that probability; whiskers:"
               " the index's confidence interval.",
    "calibration": "Each point is a group of questions with similar forecasts: calibrated"
                   " forecasts lie on the dashed diagonal; ticks at the top and bottom are single"
                   " questions that did and did not happen.",
}

HOW_TO_READ = """\
<ul>
<li>Each probability is the share of the {runs:,} simulated runs in which the event happened;
its 95% interval (Wilson score interval) is the Monte Carlo error only. It shrinks with more
runs and does <strong>not</strong> cover the error of the model itself, which is usually much
larger. Uncertain inputs of the scenario are sampled run by run, so they are part of the
spread.</li>
<li>Curves over time are means over runs, week by week, from the scenario's start.</li>
<li>Hover over a bar, point, cell or arrow of a figure to see its exact value.</li>
<li>The same scenario, seed and number of runs give the same numbers.</li>
</ul>
"""


def _e(text: object) -> str:
    """Escape any text for HTML content or a quoted attribute."""
    return html.escape("" if text is None else str(text), quote=True)


def _table(header: Sequence[str] | None, rows: Sequence[Sequence[object]],
           numeric: Sequence[int] = ()) -> str:
    """An HTML table; every cell is escaped; columns in ``numeric`` are right-aligned.

    Without ``header``, the first column holds row headings.
    """
    def cell(tag: str, column: int, value: object) -> str:
        css = ' class="num"' if column in numeric else ""
        return f"<{tag}{css}>{_e(value)}</{tag}>"

    body = "\n".join(
        "<tr>" + "".join(cell("th" if header is None and i == 0 else "td", i, v)
                         for i, v in enumerate(row)) + "</tr>"
        for row in rows)
    if header is None:
        return f'<table class="summary">\n<tbody>\n{body}\n</tbody>\n</table>'
    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _note(text: str) -> str:
    return f'<p class="note">{_e(text)}</p>'


class _Figures:
    """Numbers the figures of a page and renders each as a <figure> element."""

    def __init__(self) -> None:
        self.count = 0

    def render(self, key: str, build: Callable[[], Figure | None], caption: str,
               missing: str) -> str:
        """The <figure> of ``build()``, or the note ``missing`` when it returns None."""
        figure = build()
        if figure is None:
            return _note(missing)
        self.count += 1
        prefix = f"fig{self.count}"
        title = figures.figure_title(figure)
        svg = figures.figure_to_svg(figure, prefix)
        figure.clear()
        return (
            f'<figure id="figure-{_e(key)}" data-figure="{_e(key)}" data-title="{_e(title)}">\n'
            f"{svg}\n"
            f'<figcaption><strong class="figure-title">Figure {self.count}. {_e(title)}.'
            f"</strong> {_e(caption)}</figcaption>\n</figure>"
        )


def _as_dict(value: Any) -> dict[str, Any] | None:
    """Plain dict from a dict or an object with ``to_dict()``; None stays None."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return dict(value)
    return dict(value.to_dict())


def _as_frame(value: Any) -> pd.DataFrame | None:
    if value is None:
        return None
    if isinstance(value, pd.DataFrame):
        return value
    return pd.DataFrame(value.to_frame())


# ---------------------------------------------------------------- sections


def _summary(result: EnsembleResult, generated: dt.datetime, run_id: str | None) -> str:
    scenario = result.scenario
    rows = [
        ["Scenario", scenario.name],
        ["Start", scenario.start.isoformat()],
        ["Horizon", f"{result.horizon} weeks (to {week_date(result, result.horizon).isoformat()})"],
        ["Runs", f"{result.runs:,}"],
        ["Seed", str(result.seed)],
        ["Generated", generated.strftime("%Y-%m-%d %H:%M UTC")],
        ["redline", redline_version()],
    ]
    if result.elapsed_seconds:
        rows.append(["Simulation time", f"{result.elapsed_seconds:.1f} s"])
    if run_id is not None:
        rows.append(["Run id", run_id])
    return _table(None, rows)


def _outcome_table(result: EnsembleResult) -> str:
    rows = [[name, OUTCOME_MEANINGS.get(name, ""), format_probability(result.outcomes[name].p),
             format_interval(result.outcomes[name]), f"{result.outcomes[name].count:,}"]
            for name in OUTCOMES]
    return _table(["Outcome", "Meaning", "P", "95% interval", "Runs"], rows, numeric=(2, 3, 4))


def _question_table(result: EnsembleResult) -> str:
    by_id = {q.id: q for q in result.scenario.questions}
    rows = []
    for qid, estimate in result.questions.items():
        question = by_id.get(qid)
        deadline = (f"week {question.by_week} ({week_date(result, question.by_week).isoformat()})"
                    if question else "")
        text = (question.text or describe_condition(question.event)) if question else ""
        rows.append([qid, text, deadline, format_probability(estimate.p),
                     format_interval(estimate)])
    return _table(["Question", "Text", "Deadline", "P", "95% interval"], rows, numeric=(3, 4))


def _hinge_table(hinges: Mapping[str, Sequence[Any]] | None) -> str:
    """What each question hinges on: its two or three most influential parameters."""
    if not hinges:
        return ""
    rows = [[qid, "; ".join(
        f"{h.parameter} {h.low_value:.3g}..{h.high_value:.3g}: "
        f"{format_probability(h.p_low)} → {format_probability(h.p_high)}"
        for h in found) or "nothing beyond Monte Carlo noise"] for qid, found in hinges.items()]
    return ("\n<h3>What each forecast hinges on</h3>\n" + _note(
        "For each question, the parameters whose range moves its probability most: the "
        "question's frequency among the runs with the parameter below its 20th percentile, "
        "then above its 80th (a regional sensitivity analysis; docs/trust.md).")
        + _table(["Question", "Hinges on (most first)"], rows))


def _red_line_table(result: EnsembleResult) -> str:
    rows = [[line.id, line.owner, ", ".join(line.applies_to), line.declared_at,
             describe(line.threshold), line.response, describe(line.follow_through)]
            for line in result.scenario.red_lines]
    return _table(["Red line", "Owner", "Applies to", "Declared at", "True threshold T",
                   "Response", "Follow-through"], rows)


def _hypotheses_section(result: EnsembleResult, analysis: dict[str, Any] | None,
                        numbered: _Figures) -> str:
    scenario = result.scenario
    if not scenario.hypotheses:
        return _note("The scenario defines no hypotheses.")
    if analysis is None:
        return _note("Not computed for this report (run `redline report` with --hypotheses).")
    descriptions = {h.id: h.description for h in scenario.hypotheses}
    parts = [
        numbered.render("posterior", lambda: figures.posterior_figure(analysis, descriptions),
                        CAPTIONS["posterior"], "The analysis gave no posterior."),
        numbered.render("ach", lambda: figures.ach_figure(analysis), CAPTIONS["ach"],
                        "The analysis gave no ACH matrix (the scenario has no observations)."),
    ]
    rows = []
    for name, value in (analysis.get("posterior") or {}).items():
        p = _float(value.get("p"))
        estimate = Estimate(p=p, lo=_float(value.get("lo", p)), hi=_float(value.get("hi", p)),
                            count=0, runs=0)
        rows.append([name, descriptions.get(name) or "",
                     format_probability(_float(value.get("prior"))),
                     format_probability(estimate.p), format_interval(estimate)])
    if rows:
        parts.append(_table(["Hypothesis", "Description", "Prior", "Posterior", "95% interval"],
                            rows, numeric=(2, 3, 4)))
    parts += [_note(f"Note: {note}") for note in analysis.get("notes") or []]
    observations = {o.id: o for o in scenario.observations}
    if observations:
        parts.append(_table(
            ["Observation", "Text", "Reported", "Reliability", "Source"],
            [[o.id, o.text or describe_condition(o.event), "yes" if o.observed else "no",
              f"{o.reliability:g}", o.source or ""] for o in observations.values()],
            numeric=(3,)))
    return "\n".join(parts)


def _sensitivity_section(frame: pd.DataFrame | None, numbered: _Figures) -> str:
    if frame is None:
        return _note("Not computed for this report (run `redline report` with --sensitivity;"
                     " it is slow).")
    return numbered.render("tornado", lambda: figures.tornado_figure(frame), CAPTIONS["tornado"],
                           "The sensitivity analysis gave no indices.")


def _calibration_section(score: dict[str, Any] | None, numbered: _Figures) -> str:
    if score is None:
        return _note("No recorded outcomes were given (run `redline report` with"
                     " --resolutions FILE).")
    parts = [numbered.render("calibration", lambda: figures.calibration_figure(score),
                             CAPTIONS["calibration"], "No question could be scored.")]
    rows = [["redline", str(len(score.get("questions") or [])), _number(score.get("brier")),
             _number(score.get("log"))]]
    for name, values in (score.get("baselines") or {}).items():
        rows.append([name, str(int(values.get("n", 0))), _number(values.get("brier")),
                     _number(values.get("log"))])
    parts.append(_table(["Forecaster", "Questions", "Brier (lower is better)",
                         "Log score (higher is better)"], rows, numeric=(1, 2, 3)))
    questions = score.get("questions") or []
    if questions:
        parts.append(_table(["Question", "Forecast", "Happened", "Brier"],
                            [[row["question"], format_probability(float(row["forecast"])),
                              "yes" if row["outcome"] else "no", _number(row.get("brier"))]
                             for row in questions], numeric=(1, 3)))
    return "\n".join(parts)


def _float(value: Any) -> float:
    """A float from a JSON-ready number (``None`` is NaN)."""
    return math.nan if value is None else float(value)


def _number(value: Any) -> str:
    if value is None:
        return ""
    value = float(value)
    return "n/a" if math.isnan(value) else f"{value:.4f}"


# -------------------------------------------------------------------- page


def html_report(
    result: EnsembleResult,
    *,
    hypotheses: Mapping[str, Any] | None = None,
    sensitivity: pd.DataFrame | None = None,
    score: Any | None = None,
    run_id: str | None = None,
    generated: dt.datetime | None = None,
    hinges: Mapping[str, Sequence[Any]] | None = None,
) -> str:
    """Render an ensemble result as one self-contained HTML page.

    Parameters
    ----------
    result : EnsembleResult
        What :func:`redline.simulate` returned.
    hypotheses : dict, optional
        A hypotheses analysis as a dict (or an object with ``to_dict()``):
        ``posterior`` {hypothesis: {"p", "lo", "hi", "prior"}}, ``ach``
        {observation: {hypothesis: {"likelihood", "rating"}}} and
        ``diagnosticity`` {observation: value}.
    sensitivity : pandas.DataFrame, optional
        Sensitivity indices with columns ``parameter``, ``target``, ``index``,
        ``value`` and ``conf`` (or an object with ``to_frame()``).
    score : ScoreCard or dict, optional
        Forecasts scored against recorded outcomes
        (:func:`redline.analysis.scoring.score`, or its ``to_dict()``).
    run_id : str, optional
        The id under which the run was stored, shown in the summary.
    generated : datetime, optional
        Time stamp of the report (default: now, UTC).
    hinges : dict, optional
        Per question, what it hinges on (:func:`redline.analysis.hinges.hinges`):
        items with ``parameter``, ``low_value``, ``high_value``, ``p_low``, ``p_high``.

    Returns
    -------
    str
        The HTML document. It fetches nothing: figures are inline SVG, and
        the page's Content-Security-Policy forbids any fetch.

    """
    generated = generated or dt.datetime.now(dt.UTC)
    analysis = _as_dict(hypotheses)
    frame = _as_frame(sensitivity)
    card = _as_dict(score)
    scenario = result.scenario
    title = scenario.title or scenario.name
    numbered = _Figures()

    def fig(key: str, build: Callable[[], Figure | None], missing: str) -> str:
        return numbered.render(key, build, CAPTIONS[key].format(runs=result.runs), missing)

    sections: list[tuple[str, str, str]] = [
        ("outcomes", "Outcomes",
         fig("outcomes", lambda: figures.outcome_figure(result), "No outcomes.")
         + "\n" + _outcome_table(result)),
        ("questions", "Forecast questions",
         (fig("questions", lambda: figures.question_figure(result), "")
          + "\n" + _question_table(result) + _hinge_table(hinges)) if result.questions
         else _note("The scenario asks no forecast questions.")),
        ("escalation", "Escalation",
         fig("escalation", lambda: figures.escalation_figure(result),
             "This result has no record of postures over time.")
         + "\n" + fig("ladder", lambda: figures.ladder_figure(result),
                      "No actor may use a rung of the ladder.")),
        ("red-lines", "Red lines: what is known of their thresholds",
         (fig("knowledge", lambda: figures.knowledge_figure(result),
              "This result has no record of the public knowledge of thresholds.")
          + "\n" + _red_line_table(result)) if scenario.red_lines
         else _note("The scenario declares no red lines.")),
        ("fronts", "Fronts",
         fig("control", lambda: figures.control_figure(result),
             "The scenario has no fronts (or this result has no record of them).")),
        ("network", "Actors network",
         fig("network", lambda: figures.network_figure(scenario), "")),
        ("hypotheses", "Hypotheses", _hypotheses_section(result, analysis, numbered)),
        ("sensitivity", "Sensitivity", _sensitivity_section(frame, numbered)),
        ("calibration", "Calibration against recorded outcomes",
         _calibration_section(card, numbered)),
        ("how-to-read", "How to read this report", HOW_TO_READ.format(runs=result.runs)),
    ]
    contents = "\n".join(f'<li><a href="#{key}">{_e(heading)}</a></li>'
                         for key, heading, _ in sections)
    body = "\n".join(f'<section id="{key}">\n<h2>{_e(heading)}</h2>\n{content}\n</section>'
                     for key, heading, content in sections)
    description = (f'<p class="lead">{_e(scenario.description)}</p>'
                   if scenario.description else "")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="redline {_e(redline_version())}">
<title>redline report: {_e(title)}</title>
<style>{STYLE_SHEET}</style>
</head>
<body>
<header>
<h1>redline report: {_e(title)}</h1>
{description}
{_summary(result, generated, run_id)}
</header>
<nav aria-label="Contents"><h2>Contents</h2><ol>
{contents}
</ol></nav>
<main>
{body}
</main>
<footer>Generated by redline {_e(redline_version())} on
{_e(generated.strftime("%Y-%m-%d %H:%M UTC"))}. This file is self-contained: it loads
nothing from the network.</footer>
</body>
</html>
"""
