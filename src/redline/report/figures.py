"""Figures of a report: one small function per figure, each returning a matplotlib Figure.

Every function takes plain data (an :class:`~redline.results.EnsembleResult`,
a :class:`~redline.scenario.models.Scenario`, dicts or a pandas frame), draws on
a fresh :class:`matplotlib.figure.Figure` (no pyplot, no global state, so any
backend or thread will do) and gives it a title (the figure's ``suptitle``) and
axes labelled with their units. How to read each figure is the caption, which
the HTML report writes beside it.

:func:`figure_to_svg` turns a figure into an inline SVG element whose text is
real text (``svg.fonttype: none``), whose ids are prefixed so that several
figures share one page, and whose marked artists carry ``<title>`` tooltips
(set with :func:`set_tooltip`). Scenario text is drawn literally: mathtext is
off (``text.parse_math: False``), so a ``$`` in a name is a dollar sign.

Probabilities are drawn with their 95% Wilson score intervals (Wilson 1927),
as :mod:`redline.results.ensemble` computes them; calibration follows the
reliability diagram of Murphy & Winkler (1977).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import math
import re
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle
from numpy.typing import NDArray

from redline.report.markdown import format_probability
from redline.results import EnsembleResult, Estimate
from redline.scenario.distributions import describe, mean_of
from redline.scenario.models import OUTCOMES, Scenario

#: Okabe & Ito's colour-blind safe palette (black last).
PALETTE: tuple[str, ...] = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000",
)
#: Colours of side 0, side 1 and actors on neither side.
SIDE_COLOURS: tuple[str, str, str] = ("#D55E00", "#0072B2", "#7F7F7F")
#: Colour of bars of probabilities.
BAR_COLOUR = "#56B4E9"
#: Colour map of probabilities in heatmaps (light = low, dark = high).
PROBABILITY_CMAP = "Blues"

#: Style every figure is drawn and saved with.
STYLE: dict[Any, Any] = {
    "svg.fonttype": "none",  # text stays text: searchable, selectable, scalable
    "svg.hashsalt": "redline",  # reproducible ids
    "text.parse_math": False,  # scenario names are drawn literally
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial", "Liberation Sans"],
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "figure.titlesize": 12.0,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 8.0,
}

_TOOLTIPS: weakref.WeakKeyDictionary[Figure, dict[str, str]] = weakref.WeakKeyDictionary()


@contextmanager
def figure_style() -> Iterator[None]:
    """Context in which figures are built and saved (see :data:`STYLE`)."""
    with mpl.rc_context(STYLE):
        yield


def new_figure(width: float, height: float, title: str) -> Figure:
    """A new constrained-layout figure of ``width`` x ``height`` inches with a title."""
    figure = Figure(figsize=(width, height), layout="constrained")
    figure.suptitle(title)
    return figure


def set_tooltip(figure: Figure, artist: Artist, text: str) -> None:
    """Attach a hover tooltip (an SVG ``<title>``) to ``artist`` of ``figure``."""
    tips = _TOOLTIPS.setdefault(figure, {})
    gid = f"tip{len(tips)}"
    artist.set_gid(gid)
    tips[gid] = text


def figure_title(figure: Figure) -> str:
    """The title of a figure of this module (its ``suptitle``)."""
    return figure.get_suptitle()


_ID = re.compile(r'\bid="([^"]+)"')


def figure_to_svg(figure: Figure, prefix: str) -> str:
    """Render ``figure`` as an inline ``<svg>`` element for an HTML page.

    Parameters
    ----------
    figure : Figure
        A figure, built under :func:`figure_style`.
    prefix : str
        Prefix of every id in the SVG (letters, digits and ``-``), unique per page.

    Returns
    -------
    str
        The ``<svg>`` element, with a ``<title>`` (the figure's title) as its
        first child, ``role="img"``, and tooltips as ``<title>`` children of
        the artists marked with :func:`set_tooltip`. The XML prolog and the
        creation date are left out, so the same figure gives the same text.

    """
    buffer = io.StringIO()
    with figure_style():
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    ids = {match.group(1): f"{prefix}-{match.group(1)}" for match in _ID.finditer(text)}

    def rename(match: re.Match[str]) -> str:
        head, name, tail = match.group(1), match.group(2), match.group(3)
        return f"{head}{ids.get(name, name)}{tail}"

    text = re.sub(r'(\bid=")([^"]+)(")', rename, text)
    text = re.sub(r'(url\(#)([^)]+)(\))', rename, text)
    text = re.sub(r'(href="#)([^"]+)(")', rename, text)
    for gid, tip in _TOOLTIPS.get(figure, {}).items():
        anchor = f'<g id="{prefix}-{gid}">'
        text = text.replace(anchor, f"{anchor}<title>{html.escape(tip)}</title>", 1)
    title = html.escape(figure_title(figure))
    text = re.sub(r"<svg\b", f'<svg role="img" aria-labelledby="{prefix}-title"', text, count=1)
    opening_end = text.index(">", text.index("<svg")) + 1
    return (text[:opening_end] + f'<title id="{prefix}-title">{title}</title>'
            + text[opening_end:]).strip()


# ----------------------------------------------------------------- helpers


def _percent_axis(ax: Axes, axis: str = "x") -> None:
    formatter = mpl.ticker.PercentFormatter(xmax=1.0, decimals=0)
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(formatter)


def _dates(result: EnsembleResult, weeks: int) -> NDArray[np.datetime64]:
    start = np.datetime64(result.scenario.start, "D")
    return start + 7 * np.arange(weeks).astype("timedelta64[D]")


def _date_axis(ax: Axes, start: dt.date) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel(f"date (weekly steps; week 0 = {start.isoformat()})")


def _percent(p: float) -> str:
    return format_probability(p)


def _float(value: Any) -> float:
    """A float from a JSON-ready number (``None`` is NaN)."""
    return math.nan if value is None else float(value)


def _interval_text(estimate: Estimate | Mapping[str, float]) -> str:
    if isinstance(estimate, Estimate):
        p, lo, hi = estimate.p, estimate.lo, estimate.hi
    else:
        p, lo, hi = estimate["p"], estimate["lo"], estimate["hi"]
    return f"{_percent(p)} [{_percent(lo)}, {_percent(hi)}]"


def _probability_bars(figure: Figure, ax: Axes, labels: Sequence[str],
                      estimates: Sequence[Estimate], tips: Sequence[str]) -> None:
    """Horizontal bars of probabilities with 95% interval whiskers, top to bottom."""
    positions = np.arange(len(labels))[::-1]
    p = np.array([e.p for e in estimates])
    lo = np.array([e.lo for e in estimates])
    hi = np.array([e.hi for e in estimates])
    bars = ax.barh(positions, p, height=0.65, color=BAR_COLOUR, edgecolor="#1F4E79",
                   linewidth=0.5)
    ax.errorbar(p, positions, xerr=np.vstack([p - lo, hi - p]), fmt="none", ecolor="black",
                elinewidth=1.0, capsize=3)
    for bar, tip in zip(bars, tips, strict=True):
        set_tooltip(figure, bar, tip)
    for y, estimate in zip(positions, estimates, strict=True):
        if not math.isfinite(estimate.p):
            continue
        ax.text(min(estimate.hi, 1.0) + 0.012, y, _percent(estimate.p), va="center",
                fontsize=8)
    ax.set_yticks(positions, labels=list(labels))
    ax.set_xlim(0.0, 1.12)
    ax.set_xticks(np.linspace(0.0, 1.0, 6))
    _percent_axis(ax, "x")
    ax.grid(axis="x")
    ax.set_axisbelow(True)
    ax.set_ylim(-0.6, len(labels) - 0.4)


# ---------------------------------------------------------------- outcomes


def outcome_figure(result: EnsembleResult) -> Figure:
    """Probability of each outcome with its 95% interval, as horizontal bars."""
    with figure_style():
        figure = new_figure(7.0, 3.2, "Outcome probabilities at the horizon")
        ax = figure.add_subplot()
        estimates = [result.outcomes[name] for name in OUTCOMES]
        tips = [f"{name}: {_interval_text(e)}, {e.count:,} of {e.runs:,} runs"
                for name, e in zip(OUTCOMES, estimates, strict=True)]
        _probability_bars(figure, ax, list(OUTCOMES), estimates, tips)
        ax.set_xlabel(f"probability over {result.runs:,} runs (%), whiskers: 95% interval")
        ax.set_ylabel("outcome")
    return figure


def question_figure(result: EnsembleResult) -> Figure | None:
    """Probability of each forecast question with its 95% interval (None without questions)."""
    if not result.questions:
        return None
    by_week = {q.id: q.by_week for q in result.scenario.questions}
    texts = {q.id: q.text or q.id for q in result.scenario.questions}
    ids = list(result.questions)
    with figure_style():
        figure = new_figure(7.0, 1.2 + 0.32 * len(ids), "Forecast questions by their deadlines")
        ax = figure.add_subplot()
        labels = []
        for qid in ids:
            week = by_week.get(qid)
            date = (result.scenario.start + dt.timedelta(weeks=week)).isoformat() if week else ""
            labels.append(f"{qid} (by {date})" if date else qid)
        estimates = [result.questions[qid] for qid in ids]
        tips = [f"{texts.get(qid, qid)} {_interval_text(e)}"
                for qid, e in zip(ids, estimates, strict=True)]
        _probability_bars(figure, ax, labels, estimates, tips)
        ax.set_xlabel("P(event by its deadline) (%), whiskers: 95% interval")
        ax.set_ylabel("question (deadline)")
    return figure


# -------------------------------------------------------------- escalation


def _rung_axis(ax: Axes, scenario: Scenario) -> None:
    """Severity axis ticked at the ladder's rungs, named on the right."""
    severities = [rung.severity for rung in scenario.ladder]
    top = max(severities) if severities else 1.0
    ax.set_ylim(-0.02 * top, top * 1.04 + 0.01)
    ax.set_yticks(sorted(set(severities)))
    ax.grid(axis="y")
    ax.set_axisbelow(True)
    names: dict[float, list[str]] = {}
    for rung in scenario.ladder:
        names.setdefault(rung.severity, []).append(rung.id)
    right = ax.secondary_yaxis("right")
    right.set_yticks(sorted(names), labels=[" / ".join(names[s]) for s in sorted(names)])
    right.tick_params(labelsize=7, length=0)


def rung_quantiles(distribution: NDArray[np.float64], severities: NDArray[np.float64],
                   levels: Sequence[float]) -> NDArray[np.float64]:
    """Quantiles of the severity of the highest rung reached, from its distribution.

    ``distribution`` is (weeks, rungs): P(highest rung so far = r) with rungs in
    ladder order (severity non-decreasing); returns (len(levels), weeks).

    >>> d = np.array([[0.5, 0.5, 0.0]])
    >>> rung_quantiles(d, np.array([0.0, 2.0, 5.0]), [0.25, 0.75]).ravel().tolist()
    [0.0, 2.0]
    """
    cumulative = np.cumsum(distribution, axis=-1)
    cumulative[..., -1] = 1.0  # guard against rounding below 1
    index = np.stack([(cumulative < level - 1e-12).sum(axis=-1) for level in levels])
    return severities[np.minimum(index, len(severities) - 1)]


def escalation_figure(result: EnsembleResult) -> Figure | None:
    """Fan chart of the severity of each actor's highest rung reached so far, by week.

    Bands: 5-95% and 25-75% of runs, line: the median, from the exact
    distribution over rungs the engine counts each week. Only actors that
    escalate in some run are drawn (at most six panels; the side leaders when
    nobody does). Returns None when the result has no distribution.
    """
    distribution = result.distributions.get("max_posture")
    if distribution is None:
        return None
    severities = np.array([0.0, *sorted(rung.severity for rung in result.scenario.ladder)])
    labels = result.labels["max_posture"]
    start = distribution[0]
    moving = [a for a in range(distribution.shape[1])
              if not np.allclose(distribution[:, a], start[a])]
    leaders = [labels.index(leader) for leader in result.scenario.sides if leader in labels]
    shown = moving[:6] or leaders  # nobody escalates: the flat fans of the side leaders
    dates = _dates(result, distribution.shape[0])
    names = result.scenario.actors
    levels = (0.05, 0.25, 0.5, 0.75, 0.95)
    columns = 2 if len(shown) > 1 else 1
    rows = -(-len(shown) // columns)
    with figure_style():
        figure = new_figure(7.5, 1.2 + 2.2 * rows,
                            "Escalation over time: highest rung reached so far (fan chart)")
        for k, a in enumerate(shown):
            ax = figure.add_subplot(rows, columns, k + 1)
            q05, q25, q50, q75, q95 = rung_quantiles(distribution[:, a], severities, levels)
            colour = PALETTE[k % len(PALETTE)]
            ax.fill_between(dates, q05, q95, step="post", color=colour, alpha=0.18,
                            linewidth=0, label="5-95% of runs")
            ax.fill_between(dates, q25, q75, step="post", color=colour, alpha=0.38,
                            linewidth=0, label="25-75% of runs")
            (line,) = ax.step(dates, q50, where="post", color=colour, linewidth=1.8,
                              label="median")
            actor = labels[a]
            name = names[actor].name if actor in names else actor
            mean_end = float(distribution[-1, a] @ severities)
            set_tooltip(figure, line, f"{actor} ({name}): median severity {q50[-1]:g} at the"
                        f" horizon; 95% of runs at most {q95[-1]:g}; mean {mean_end:.2f}")
            ax.set_title(f"{actor} ({name})", fontsize=8.5)
            _rung_axis(ax, result.scenario)
            ax.set_ylabel("severity (ladder units)", fontsize=7.5)
            _date_axis(ax, result.scenario.start)
            ax.tick_params(labelsize=7)
        handles, _ = figure.axes[0].get_legend_handles_labels()
        figure.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=7.5)
    return figure


def ladder_figure(result: EnsembleResult) -> Figure | None:
    """Heatmap of P(highest rung reached by the horizon is at least this rung), actor x rung."""
    actors = [actor for actor, reached in result.ladder_reached.items() if reached]
    if not actors:
        return None
    used = {rung for actor in actors for rung in result.ladder_reached[actor]}
    rungs = [rung for rung in result.scenario.ladder if rung.id in used]
    with figure_style():
        figure = new_figure(max(5.0, 1.6 + 0.75 * len(rungs)), 1.6 + 0.34 * len(actors),
                            "Escalation ladder: how far up each actor went by the horizon")
        ax = figure.add_subplot()
        norm = Normalize(0.0, 1.0)
        cmap = mpl.colormaps[PROBABILITY_CMAP]
        for row, actor in enumerate(actors):
            reached = result.ladder_reached[actor]
            for column, rung in enumerate(rungs):
                y = len(actors) - 1 - row
                estimate = reached.get(rung.id)
                if estimate is None:
                    cell = Rectangle((column - 0.5, y - 0.5), 1, 1, facecolor="white",
                                     edgecolor="#CCCCCC", hatch="///", linewidth=0.5)
                    ax.add_patch(cell)
                    set_tooltip(figure, cell, f"{actor} cannot use {rung.id}")
                    continue
                cell = Rectangle((column - 0.5, y - 0.5), 1, 1, facecolor=cmap(norm(estimate.p)),
                                 edgecolor="white", linewidth=1.0)
                ax.add_patch(cell)
                set_tooltip(figure, cell,
                            f"{actor} reached {rung.id} (severity {rung.severity:g}) or higher: "
                            f"{_interval_text(estimate)}")
                ax.text(column, y, _percent(estimate.p), ha="center", va="center", fontsize=7,
                        color="white" if estimate.p > 0.6 else "black")
        ax.set_xlim(-0.5, len(rungs) - 0.5)
        ax.set_ylim(-0.5, len(actors) - 0.5)
        ax.set_xticks(range(len(rungs)),
                      labels=[f"{rung.id} ({rung.severity:g})" for rung in rungs],
                      rotation=30, ha="right", rotation_mode="anchor", fontsize=7.5)
        ax.set_yticks(range(len(actors)), labels=actors[::-1])
        ax.set_xlabel("rung of the ladder (severity in ladder units)")
        ax.set_ylabel("actor")
        for side in ("top", "right", "left", "bottom"):
            ax.spines[side].set_visible(False)
        colourbar = figure.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax,
                                    shrink=0.9, format=mpl.ticker.PercentFormatter(1.0, 0))
        colourbar.set_label("P(reached at least this rung) (%)")
    return figure


# ------------------------------------------------------ red-line knowledge


def knowledge_figure(result: EnsembleResult) -> Figure | None:
    """Public knowledge of each red line's threshold: mean interval [L, U) by week."""
    low = result.trajectories.get("knowledge_low")
    high = result.trajectories.get("knowledge_high")
    if low is None or high is None or low.shape[1] == 0:
        return None
    labels = result.labels["knowledge_low"]
    lines = {line.id: line for line in result.scenario.red_lines}
    severity = {rung.id: rung.severity for rung in result.scenario.ladder}
    dates = _dates(result, low.shape[0])
    with figure_style():
        figure = new_figure(7.5, 1.6 + 2.3 * len(labels),
                            "Public knowledge of each red line's threshold over time")
        axes = figure.subplots(len(labels), 1, sharex=True, squeeze=False)[:, 0]
        for k, (ax, line_id) in enumerate(zip(axes, labels, strict=True)):
            band = ax.fill_between(dates, low[:, k], high[:, k], color="#F0E442", alpha=0.45,
                                   linewidth=0, label="still possible: [L, U)")
            set_tooltip(figure, band,
                        f"{line_id}: at the start L = {low[0, k]:.2f}, U = {high[0, k]:.2f}; "
                        f"at the horizon L = {low[-1, k]:.2f}, U = {high[-1, k]:.2f}")
            ax.plot(dates, low[:, k], color="#009E73", linewidth=1.6,
                    label="L: highest severity tested without a response")
            ax.plot(dates, high[:, k], color="#D55E00", linewidth=1.6,
                    label="U: lowest severity that drew a response")
            line = lines.get(line_id)
            if line is not None:
                declared = severity.get(line.declared_at)
                if declared is not None:
                    ax.axhline(declared, color="black", linestyle="--", linewidth=1.0,
                               label="declared threshold (the rung the owner named)")
                ax.set_title(f"{line_id}: red line of {line.owner}, declared at "
                             f"{line.declared_at}", loc="left")
            _rung_axis(ax, result.scenario)
            ax.set_ylabel("threshold severity\n(ladder units, mean)")
        handles, names = axes[0].get_legend_handles_labels()
        figure.legend(handles, names, loc="outside lower center", ncols=2, fontsize=7.5)
        _date_axis(axes[-1], result.scenario.start)
    return figure


# ------------------------------------------------------------------ fronts


def control_figure(result: EnsembleResult) -> Figure | None:
    """Mean attacker's control of each front by week, and the share of runs with it open."""
    control = result.trajectories.get("control")
    if control is None or control.shape[1] == 0:
        return None
    fronts = result.labels["control"]
    opened = result.trajectories.get("front_open")
    changing = opened is not None and bool(np.any(opened < 1.0))
    dates = _dates(result, control.shape[0])
    definitions = result.scenario.fronts
    with figure_style():
        figure = new_figure(7.5, 4.6 if changing else 3.4, "Front control over time")
        if changing:
            ax, ax_open = figure.subplots(2, 1, sharex=True, height_ratios=[2.2, 1.0])
        else:
            ax, ax_open = figure.add_subplot(), None
        for f, front in enumerate(fronts):
            colour = PALETTE[f % len(PALETTE)]
            definition = definitions.get(front)
            label = (f"{front} ({definition.attacker} attacks {definition.defender})"
                     if definition is not None else front)
            (line,) = ax.plot(dates, control[:, f], color=colour, linewidth=1.8, label=label)
            set_tooltip(figure, line, f"{label}: attacker holds {control[0, f]:.0%} at the start,"
                                      f" {control[-1, f]:.0%} at the horizon (mean over runs)")
            if ax_open is not None and opened is not None:
                ax_open.plot(dates, opened[:, f], color=colour, linewidth=1.4)
        ax.set_ylim(0.0, 1.0)
        _percent_axis(ax, "y")
        ax.grid(axis="y")
        ax.set_ylabel("ground held by the attacker\n(% of the front, mean over runs)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        bottom = ax
        if ax_open is not None:
            ax_open.set_ylim(-0.02, 1.02)
            _percent_axis(ax_open, "y")
            ax_open.grid(axis="y")
            ax_open.set_ylabel("runs with the\nfront open (%)")
            bottom = ax_open
        _date_axis(bottom, result.scenario.start)
    return figure


# ----------------------------------------------------------------- network


def _spread(count: int, low: float, high: float) -> list[float]:
    """``count`` evenly spaced values from ``high`` down to ``low`` (centred if one)."""
    if count <= 1:
        return [(low + high) / 2.0] * count
    step = min((high - low) / (count - 1), 2.0)
    top = (low + high) / 2.0 + step * (count - 1) / 2.0
    return [top - i * step for i in range(count)]


def _network_layout(scenario: Scenario) -> tuple[dict[str, tuple[float, float]],
                                                 dict[str, tuple[float, float]],
                                                 dict[str, int]]:
    """Positions of actors and fronts, and each actor's side (2: neither).

    Side leaders face each other across the fronts (x = 2.5 and 7.5); the other
    members of each side stand in an outer column (x = 0 and 10), so support
    arrows converge on the leader without overlapping; actors on neither side
    stand in a row along the bottom.
    """
    side_of: dict[str, int] = {}
    members: list[list[str]] = [[], []]
    positions: dict[str, tuple[float, float]] = {}
    for index, (leader, side) in enumerate(list(scenario.sides.items())[:2]):
        side_of.setdefault(leader, index)
        positions.setdefault(leader, (2.5 + 5.0 * index, 6.0))
        for actor in side:
            if actor not in side_of:
                side_of[actor] = index
                members[index].append(actor)
    for index, x in ((0, 0.0), (1, 10.0)):
        for actor, y in zip(members[index], _spread(len(members[index]), 1.5, 10.5),
                            strict=True):
            positions[actor] = (x, y)
    outsiders = [actor for actor in scenario.actors if actor not in side_of]
    for actor in outsiders:
        side_of[actor] = 2
    for actor, x in zip(outsiders, _spread(len(outsiders), 2.0, 8.0)[::-1], strict=True):
        positions[actor] = (x, -0.2)
    fronts = list(scenario.fronts)
    front_positions = {front: (5.0, y)
                       for front, y in zip(fronts, _spread(len(fronts), 2.5, 9.5), strict=True)}
    return positions, front_positions, side_of


def network_figure(scenario: Scenario) -> Figure:
    """The actors network: sides, support (width by level) and deployments to fronts."""
    positions, front_positions, side_of = _network_layout(scenario)
    capability = {actor: mean_of(a.capability) for actor, a in scenario.actors.items()}
    largest = max(capability.values()) or 1.0
    leaders = set(scenario.sides)
    rows = max(len(positions), 1)
    with figure_style():
        figure = new_figure(8.0, max(5.0, 0.45 * rows + 1.5),
                            "Actors network: sides, support and deployments")
        ax = figure.add_subplot()
        ax.set_axis_off()
        ax.set_xlim(-3.6, 13.6)
        ax.set_ylim(-1.9, 11.6)
        size = {actor: 120.0 + 900.0 * np.sqrt(capability[actor] / largest)
                for actor in positions}
        radius = {actor: np.sqrt(s) / 2.0 for actor, s in size.items()}  # points

        def arrow(start: tuple[float, float], end: tuple[float, float], *, width: float,
                  colour: str, style: str, shrink_a: float, shrink_b: float,
                  rad: float = 0.0) -> FancyArrowPatch:
            patch = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=8 + width,
                                    linewidth=width, color=colour, linestyle=style,
                                    shrinkA=shrink_a, shrinkB=shrink_b,
                                    connectionstyle=f"arc3,rad={rad}", alpha=0.85, zorder=2)
            ax.add_patch(patch)
            return patch

        # fronts: attacker and defender joined by dotted lines
        for front, (x, y) in front_positions.items():
            definition = scenario.fronts[front]
            for actor in (definition.attacker, definition.defender):
                if actor in positions:
                    ax.plot([positions[actor][0], x], [positions[actor][1], y], color="#BBBBBB",
                            linestyle=":", linewidth=0.8, zorder=1)
            square = ax.scatter([x], [y], s=260, marker="s", color="#EEEEEE", edgecolor="black",
                                linewidth=0.8, zorder=3)
            set_tooltip(figure, square,
                        f"front {front}: {definition.attacker} attacks {definition.defender};"
                        f" attacker holds {describe(definition.control)} of the ground at the"
                        f" start; {'open' if definition.active else 'closed'} at the start")
            ax.text(x, y - 0.55, f"{front}\n{definition.attacker} attacks {definition.defender}",
                    ha="center", va="top", fontsize=7, zorder=4)
        # support: explicit entries, and side members' default support of 1
        explicit = {(s.by, s.to) for s in scenario.support}
        supports: list[tuple[str, str, Any]] = [(s.by, s.to, s.level) for s in scenario.support]
        for leader, members in scenario.sides.items():
            for member in members:
                if member != leader and (member, leader) not in explicit:
                    supports.append((member, leader, 1.0))
        for by, to, level in supports:
            if by not in positions or to not in positions or by == to:
                continue
            mean = mean_of(level)
            width = 0.6 + 7.0 * mean
            colour = SIDE_COLOURS[side_of.get(to, 2)]
            patch = arrow(positions[by], positions[to], width=width, colour=colour, style="-",
                          shrink_a=radius[by] + 1, shrink_b=radius[to] + 2, rad=0.12)
            set_tooltip(figure, patch, f"{by} supports {to}: level {describe(level)} "
                                       f"(mean {mean:.3g} of {by}'s capability)")
        # deployments: dashed arrows to the fronts
        counts: dict[tuple[str, str], int] = {}
        for deployment in scenario.deployments:
            if deployment.actor not in positions or deployment.front not in front_positions:
                continue
            key = (deployment.actor, deployment.front)
            counts[key] = counts.get(key, 0) + 1
            rad = -0.15 - 0.2 * (counts[key] - 1)
            colour = SIDE_COLOURS[side_of.get(deployment.side, 2)]
            patch = arrow(positions[deployment.actor], front_positions[deployment.front],
                          width=1.3, colour=colour, style="--",
                          shrink_a=radius[deployment.actor] + 1, shrink_b=10, rad=rad)
            set_tooltip(figure, patch,
                        f"deployment {deployment.id}: {deployment.actor} sends "
                        f"{describe(deployment.strength)} to {deployment.front} for "
                        f"{deployment.side}'s side; real with probability "
                        f"{describe(deployment.exists)}; "
                        f"{'under way' if deployment.active else 'sent only by a policy'}")
        # actors
        for actor, (x, y) in positions.items():
            info = scenario.actors[actor]
            side = side_of[actor]
            node = ax.scatter([x], [y], s=size[actor], color=SIDE_COLOURS[side],
                              edgecolor="black", linewidth=1.6 if actor in leaders else 0.6,
                              zorder=5)
            flags = [f for f, on in (("nuclear", info.nuclear),
                                     ("great power", info.great_power)) if on]
            set_tooltip(figure, node,
                        f"{actor}: {info.name}; capability {describe(info.capability)}"
                        + (f"; {', '.join(flags)}" if flags else "")
                        + ("; side leader" if actor in leaders else ""))
            label = f"{actor}\n{info.name}"
            gap = 0.35 + radius[actor] / 40.0
            if actor in leaders:
                ax.text(x, y + gap + 0.2, label, ha="center", va="bottom", fontsize=7.5,
                        fontweight="bold", zorder=6)
            elif side == 0:
                ax.text(x - gap, y, label, ha="right", va="center", fontsize=7.5, zorder=6)
            elif side == 1:
                ax.text(x + gap, y, label, ha="left", va="center", fontsize=7.5, zorder=6)
            else:
                ax.text(x, y - gap - 0.1, label, ha="center", va="top", fontsize=7.5, zorder=6)
        leader_names = list(scenario.sides)
        handles = [
            Patch(color=SIDE_COLOURS[0], label=f"side of {leader_names[0]}"),
            Patch(color=SIDE_COLOURS[1], label=f"side of {leader_names[1]}"
                  if len(leader_names) > 1 else "side 1"),
            Patch(color=SIDE_COLOURS[2], label="on neither side"),
            Line2D([], [], color="black", linewidth=3, label="support (width: level)"),
            Line2D([], [], color="black", linewidth=1.3, linestyle="--",
                   label="deployment to a front"),
            Line2D([], [], color="#EEEEEE", marker="s", markeredgecolor="black",
                   linestyle="none", markersize=9, label="front"),
        ]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=3,
                  fontsize=7.5)
    return figure


# -------------------------------------------------------------- hypotheses


def posterior_figure(hypotheses: Mapping[str, Any],
                     descriptions: Mapping[str, str | None] | None = None) -> Figure | None:
    """Posterior probability of each hypothesis (bars, 95% interval) beside its prior (marker).

    ``hypotheses`` is the dict form of a hypotheses analysis:
    ``{"posterior": {hypothesis: {"p", "lo", "hi", "prior"}}, ...}``.
    """
    posterior = hypotheses.get("posterior") or {}
    if not posterior:
        return None
    names = list(posterior)
    descriptions = descriptions or {}
    estimates = [Estimate(p=_float(v.get("p")), lo=_float(v.get("lo", v.get("p"))),
                          hi=_float(v.get("hi", v.get("p"))), count=0, runs=0)
                 for v in posterior.values()]
    with figure_style():
        figure = new_figure(7.0, 1.4 + 0.4 * len(names), "Hypotheses: prior and posterior")
        ax = figure.add_subplot()
        tips = [f"{name}: posterior {_interval_text(e)}, prior "
                f"{_percent(_float(posterior[name].get('prior')))}"
                + (f". {descriptions[name]}" if descriptions.get(name) else "")
                for name, e in zip(names, estimates, strict=True)]
        _probability_bars(figure, ax, names, estimates, tips)
        positions = np.arange(len(names))[::-1]
        priors = [_float(posterior[name].get("prior")) for name in names]
        ax.scatter(priors, positions, marker="D", color="black", s=22, zorder=4, label="prior")
        ax.legend(handles=[Patch(color=BAR_COLOUR, label="posterior (whiskers: 95% interval)"),
                           Line2D([], [], marker="D", color="black", linestyle="none",
                                  markersize=5, label="prior")],
                  loc="lower right")
        ax.set_xlabel("probability that the hypothesis is true (%)")
        ax.set_ylabel("hypothesis")
    return figure


def ach_figure(hypotheses: Mapping[str, Any]) -> Figure | None:
    """ACH heatmap: likelihood of each observation (row) under each hypothesis (column).

    Cells show the rating (e.g. consistent / inconsistent) over the likelihood;
    row labels carry each observation's diagnosticity.
    """
    ach = hypotheses.get("ach") or {}
    if not ach:
        return None
    observations = list(ach)
    names: list[str] = []
    for row in ach.values():
        names += [h for h in row if h not in names]
    diagnosticity = hypotheses.get("diagnosticity") or {}
    with figure_style():
        figure = new_figure(max(7.0, 3.2 + 0.9 * len(names)), 2.2 + 0.55 * len(observations),
                            "Analysis of competing hypotheses: likelihood of each observation")
        ax = figure.add_subplot()
        norm = Normalize(0.0, 1.0)
        cmap = mpl.colormaps["PuOr_r"]
        for row, observation in enumerate(observations):
            y = len(observations) - 1 - row
            for column, name in enumerate(names):
                entry = ach[observation].get(name)
                if entry is None:
                    continue
                likelihood = _float(entry.get("likelihood"))
                rating = str(entry.get("rating", ""))
                colour = cmap(norm(likelihood)) if np.isfinite(likelihood) else "#FFFFFF"
                cell = Rectangle((column - 0.5, y - 0.5), 1, 1, facecolor=colour,
                                 edgecolor="white", linewidth=1.0)
                ax.add_patch(cell)
                set_tooltip(figure, cell, f"P({observation} | {name}) = {likelihood:.3f}"
                                          + (f" ({rating})" if rating else ""))
                dark = np.isfinite(likelihood) and abs(likelihood - 0.5) > 0.3
                ax.text(column, y, f"{rating}\n{likelihood:.2f}" if rating else f"{likelihood:.2f}",
                        ha="center", va="center", fontsize=7, color="white" if dark else "black")
        ax.set_xlim(-0.5, len(names) - 0.5)
        ax.set_ylim(-0.5, len(observations) - 0.5)
        ax.set_xticks(range(len(names)), labels=names)
        row_labels = []
        for observation in observations:
            if observation not in diagnosticity:
                row_labels.append(observation)
                continue
            value = _float(diagnosticity[observation])
            shown = "infinite" if math.isnan(value) else f"{value:.2f} nats"
            row_labels.append(f"{observation}\n(diagnosticity {shown})")
        ax.set_yticks(range(len(observations)), labels=row_labels[::-1], fontsize=7.5)
        ax.set_xlabel("hypothesis")
        ax.set_ylabel("observation")
        for side in ("top", "right", "left", "bottom"):
            ax.spines[side].set_visible(False)
        colourbar = figure.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax,
                                    shrink=0.9)
        colourbar.set_label("P(observation | hypothesis)")
    return figure


# ------------------------------------------------------------- sensitivity

#: Preferred index to show, in order, and the unit it is in.
SENSITIVITY_INDICES: dict[str, str] = {
    "ST": "total-order Sobol index (share of variance)",
    "S1": "first-order Sobol index (share of variance)",
    "mu_star": "Morris mu* (mean |elementary effect|, probability)",
    "mu": "Morris mu (mean elementary effect, probability)",
    "sigma": "Morris sigma (sd of elementary effects, probability)",
    "ks": "Kolmogorov-Smirnov distance, runs with the event against runs without (0 to 1)",
}


#: Outcomes shown first in a tornado chart (at most four targets are drawn).
TARGET_PRIORITY: tuple[str, ...] = (
    "settlement", "nuclear_use", "great_power_war", "regime_crisis", "military_collapse",
    "settlement_broken", "ongoing",
)


def tornado_figure(frame: pd.DataFrame, *, targets: Sequence[str] | None = None,
                   top: int = 10) -> Figure | None:
    """Tornado chart: the ``top`` parameters by sensitivity index, one panel per target.

    ``frame`` has columns ``parameter``, ``target``, ``index``, ``value`` and
    ``conf`` (the half-width of the index's confidence interval; may be NaN).
    The index shown is the first of :data:`SENSITIVITY_INDICES` present (else
    the frame's first index). Without ``targets``, up to four targets that
    some parameter moves are drawn, in the order of :data:`TARGET_PRIORITY`.
    """
    if frame is None or frame.empty:
        return None
    present = list(dict.fromkeys(frame["index"].astype(str)))
    index = next((name for name in SENSITIVITY_INDICES if name in present), present[0])
    chosen = frame[frame["index"].astype(str) == index]
    magnitude = chosen["value"].astype(float).abs().groupby(chosen["target"].astype(str)).max()
    informative = [t for t in magnitude.index if magnitude[t] > 0.0]  # NaN or 0: nothing moves it
    if targets is None:
        order = {name: rank for rank, name in enumerate(TARGET_PRIORITY)}
        targets = sorted(informative, key=lambda t: (order.get(t, len(order)),
                                                     -float(magnitude[t])))
    targets = [t for t in targets if t in informative][:4]
    if not targets:
        return None
    unit = SENSITIVITY_INDICES.get(index, f"sensitivity index {index}")
    with figure_style():
        figure = new_figure(7.5, 0.8 + len(targets) * (0.6 + 0.24 * top),
                            f"Sensitivity: the parameters that move the outcomes most ({index})")
        axes = figure.subplots(len(targets), 1, squeeze=False)[:, 0]
        for ax, target in zip(axes, targets, strict=True):
            rows = chosen[chosen["target"].astype(str) == target].copy()
            rows["magnitude"] = rows["value"].astype(float).abs()
            rows = rows[rows["magnitude"].notna()]
            rows = rows.sort_values("magnitude", ascending=False).head(top)
            positions = np.arange(len(rows))[::-1]
            values = rows["value"].astype(float).to_numpy()
            conf = (rows["conf"].astype(float).to_numpy() if "conf" in rows
                    else np.full(len(rows), np.nan))
            colours = [PALETTE[0] if v >= 0 else PALETTE[1] for v in values]
            bars = ax.barh(positions, values, color=colours, height=0.65)
            finite = np.isfinite(conf)
            if finite.any():
                ax.errorbar(values[finite], positions[finite], xerr=conf[finite], fmt="none",
                            ecolor="black", elinewidth=0.9, capsize=2.5)
            for bar, parameter, value, half in zip(bars, rows["parameter"].astype(str), values,
                                                   conf, strict=True):
                extra = f" ± {half:.3g}" if np.isfinite(half) else ""
                set_tooltip(figure, bar, f"{parameter}: {index} of {target} = {value:.3g}{extra}")
            ax.set_yticks(positions, labels=list(rows["parameter"].astype(str)), fontsize=7.5)
            ax.axvline(0.0, color="black", linewidth=0.6)
            ax.grid(axis="x")
            ax.set_axisbelow(True)
            ax.set_title(f"P({target})", loc="left")
            ax.set_xlabel(unit)
            ax.set_ylabel("parameter")
    return figure


# ------------------------------------------------------------- calibration


def calibration_figure(score: Mapping[str, Any]) -> Figure | None:
    """Reliability diagram: observed frequency against mean forecast per bin, and each question.

    ``score`` is the dict form of a :class:`~redline.analysis.scoring.ScoreCard`
    (``calibration``: bins with ``low``, ``high``, ``count``, ``mean_forecast``,
    ``observed_frequency``; ``questions``: rows with ``question``, ``forecast``,
    ``outcome``).
    """
    bins = score.get("calibration") or []
    questions = score.get("questions") or []
    if not bins and not questions:
        return None
    with figure_style():
        figure = new_figure(6.0, 5.2, "Calibration: forecasts against what happened")
        ax = figure.add_subplot()
        ax.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1.0,
                label="perfect calibration")
        for b in bins:
            count = int(b.get("count", 0))
            point = ax.scatter([b["mean_forecast"]], [b["observed_frequency"]],
                               s=30 + 25 * count, color=PALETTE[0], edgecolor="black",
                               linewidth=0.6, zorder=4)
            set_tooltip(figure, point,
                        f"forecasts {b.get('low', 0):.0%}-{b.get('high', 1):.0%}: {count} "
                        f"questions, mean forecast {_percent(float(b['mean_forecast']))}, "
                        f"happened {_percent(float(b['observed_frequency']))}")
            ax.annotate(f"n={count}", (b["mean_forecast"], b["observed_frequency"]),
                        textcoords="offset points", xytext=(8, -10), fontsize=7)
        for i, row in enumerate(questions):
            y = (1.04 if row["outcome"] else -0.04) + 0.012 * ((i % 3) - 1)
            (tick,) = ax.plot([row["forecast"]], [y], marker="|", markersize=10,
                              color=PALETTE[2] if row["outcome"] else PALETTE[1],
                              linestyle="none")
            set_tooltip(figure, tick, f"{row['question']}: forecast "
                                      f"{_percent(float(row['forecast']))}, "
                                      f"{'happened' if row['outcome'] else 'did not happen'}")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.08, 1.08)
        ax.set_aspect("equal")
        _percent_axis(ax, "x")
        _percent_axis(ax, "y")
        ax.grid(True)
        ax.set_xlabel("forecast probability (%, mean in bin)")
        ax.set_ylabel("observed frequency (% of questions that happened)")
        figure.legend(handles=[
            Line2D([], [], color="#999999", linestyle="--", label="perfect calibration"),
            Line2D([], [], marker="o", color=PALETTE[0], linestyle="none",
                   label="bin (area: questions)"),
            Line2D([], [], marker="|", color=PALETTE[2], linestyle="none",
                   label="question that happened (top)"),
            Line2D([], [], marker="|", color=PALETTE[1], linestyle="none",
                   label="question that did not (bottom)"),
        ], loc="outside lower center", ncols=2)
    return figure
