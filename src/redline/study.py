"""One object for a notebook: a scenario's ensemble and the analyses chained on it.

A :class:`Study` holds a scenario, a number of runs and a root seed, and
chains the library's analyses the way SALib's ``ProblemSpec`` chains sample,
evaluate and analyze. Each step calls the function the command line calls,
with the study's scenario, runs and seed, keeps what it returns as an
attribute, and returns the study, so that one line runs a whole analysis:

>>> import redline
>>> study = redline.Study("cuba-1962", runs=500, seed=1).simulate().score()
>>> study.result.runs, len(study.scorecard.questions)
(500, 14)
>>> study
Study('cuba-1962', runs=500, seed=1)

The steps and the commands they match (same scenario, runs and seed: same
numbers):

============================  ========================  ===========================
step                          attribute                 command
============================  ========================  ===========================
:meth:`Study.simulate`        ``result``                ``redline run --no-db``
:meth:`Study.compare`         ``comparisons``           ``redline compare``
:meth:`Study.sensitivity`     ``indices``               ``redline sensitivity``
:meth:`Study.hypotheses`      ``hypothesis_analysis``   ``redline hypotheses``
:meth:`Study.score`           ``scorecard``             ``redline score``
:meth:`Study.report`          ``report_path``           ``redline report``
============================  ========================  ===========================

:meth:`~Study.score` and :meth:`~Study.report` use the ensemble of
:meth:`~Study.simulate` and raise :class:`StudyError` before it; the other
steps run designs of their own (paired ensembles, a sensitivity design, one
ensemble per hypothesis) and need only the scenario. Inputs are checked when
they are given: an unknown scenario or an out-of-range number of runs when
the study is made, an unknown intervention or method when its step is
called, each before anything runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import redline.destinations as destinations
from redline.analysis.fixed_ranges import with_fixed_ranges
from redline.analysis.hinges import HINGE_RUNS, Hinge, hinges
from redline.analysis.hypotheses import HypothesisAnalysis, evaluate_hypotheses
from redline.analysis.interventions import (
    Comparison,
    InterventionError,
    compare,
    intervention_changes,
    parse_sets,
)
from redline.analysis.resolutions import load_resolutions, score_result
from redline.analysis.scoring import ScoreCard
from redline.analysis.sensitivity import SensitivityResult, analyse
from redline.engine.executors import Executor
from redline.engine.run import check_run_arguments, simulate
from redline.files import write_text_output
from redline.report.html import html_report
from redline.report.markdown import format_interval, format_probability, markdown_report
from redline.results import EnsembleResult
from redline.scenario.loader import load_scenario
from redline.scenario.models import Scenario
from redline.scenarios import builtin_resolutions, resolve

Progress = Callable[[int, int], None]

#: Width of the lines of :meth:`Study.summary`.
SUMMARY_WIDTH = 100
#: Report formats by file suffix.
REPORT_SUFFIXES = (".html", ".htm", ".md")


class StudyError(ValueError):
    """A step called before the step it needs, or without what it works on."""


class Study:
    """A scenario's ensemble and the analyses chained on it.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A validated scenario, a built-in scenario's name (``"kursk-2024"``,
        see :func:`redline.builtin_names`) or a scenario file.
    runs : int
        Runs of each ensemble: of :meth:`simulate`, of both sides of each
        :meth:`compare`, of each hypothesis in :meth:`hypotheses`.
    seed : int
        Root seed of every step.
    horizon : int, optional
        Weeks to simulate in :meth:`simulate` and :meth:`compare` (default:
        the scenario's).
    executor : Executor, optional
        Where chunks of runs go (e.g.
        :class:`redline.engine.executors.DaskExecutor`); the numbers are the
        same for any executor.

    Attributes
    ----------
    scenario : Scenario
        The validated scenario.
    result : EnsembleResult or None
        The ensemble of :meth:`simulate`.
    comparisons : dict of str to Comparison
        The :meth:`compare` results, by intervention (or by the changes made).
    indices : SensitivityResult or None
        The sensitivity indices of :meth:`sensitivity`.
    hypothesis_analysis : HypothesisAnalysis or None
        The posterior and ACH matrix of :meth:`hypotheses`.
    scorecard : ScoreCard or None
        The scores of :meth:`score`.
    hinges : dict or None
        What each question hinges on, computed by :meth:`report`.
    report_path : Path or None
        The file :meth:`report` last wrote.

    Raises
    ------
    ScenarioError
        If the scenario is neither a built-in name nor a readable, valid file.
    ValueError
        If ``runs``, ``seed`` or ``horizon`` is out of range.

    """

    def __init__(self, scenario: Scenario | str | Path, runs: int = 10_000, seed: int = 0, *,
                 horizon: int | None = None, executor: Executor | None = None) -> None:
        check_run_arguments(runs, seed, horizon, None)
        if isinstance(scenario, Scenario):
            self.scenario = scenario
            self._given = scenario.name
        else:
            self.scenario = load_scenario(resolve(scenario))
            self._given = str(scenario)
        self.runs = int(runs)
        self.seed = int(seed)
        self.horizon = None if horizon is None else int(horizon)
        self.executor = executor
        self.result: EnsembleResult | None = None
        self.comparisons: dict[str, Comparison] = {}
        self.indices: SensitivityResult | None = None
        self.hypothesis_analysis: HypothesisAnalysis | None = None
        self.scorecard: ScoreCard | None = None
        self.hinges: dict[str, list[Hinge]] | None = None
        self.report_path: Path | None = None

    # ------------------------------------------------------------ the steps

    def simulate(self, *, progress: Progress | None = None) -> Study:
        """Run the ensemble (:func:`redline.simulate`); kept as :attr:`result`.

        Parameters
        ----------
        progress : callable, optional
            Called as ``progress(done, total)`` in run-weeks.

        Returns
        -------
        Study
            This study.

        """
        self.result = simulate(self.scenario, runs=self.runs, seed=self.seed,
                               horizon=self.horizon, progress=progress,
                               executor=self.executor)
        return self

    def compare(self, intervention: str | None = None, *,
                changes: Mapping[str, Any] | Sequence[str] | None = None,
                progress: Progress | None = None) -> Study:
        """Compare the scenario with a changed copy on common random numbers.

        Calls :func:`redline.analysis.interventions.compare`, as ``redline
        compare`` does. The result is kept in :attr:`comparisons` under the
        intervention's name (or the changes, written ``PATH=VALUE``), so that
        several interventions can be compared in one chain; the latest is
        also :attr:`comparison`.

        Parameters
        ----------
        intervention : str, optional
            A named intervention of the scenario.
        changes : mapping or sequence of str, optional
            Changes applied on top of the intervention: dotted path -> value,
            or ``"PATH=VALUE"`` strings as ``--set`` takes them.
        progress : callable, optional
            Called as ``progress(done, total)`` in run-weeks of both ensembles.

        Returns
        -------
        Study
            This study.

        Raises
        ------
        InterventionError
            If the scenario has no such intervention, a change cannot be read,
            or there is nothing to compare.
        ScenarioError
            If a change leads nowhere or makes an invalid scenario (before
            anything runs).

        """
        overlay: dict[str, Any] = {}
        if intervention is not None:
            overlay.update(intervention_changes(self.scenario, intervention))
        if isinstance(changes, str):
            changes = [changes]
        extra = (parse_sets(list(changes)) if isinstance(changes, Sequence)
                 else dict(changes or {}))
        overlay.update(extra)
        if not overlay:
            named = ", ".join(i.id for i in self.scenario.interventions) or "none"
            raise InterventionError(
                "nothing to compare: give an intervention or changes (interventions of "
                f"{self.scenario.name}: {named})")
        label = " + ".join([*([intervention] if intervention else []),
                            *([", ".join(f"{path}={value}" for path, value in extra.items())]
                              if extra else [])])
        self.comparisons[label] = compare(self.scenario, overlay, runs=self.runs,
                                          seed=self.seed, progress=progress,
                                          horizon=self.horizon, intervention=intervention,
                                          executor=self.executor)
        return self

    def sensitivity(self, method: str = "sobol", *, samples: int | None = None,
                    replicates: int | None = None, outcomes: Sequence[str] | None = None,
                    questions: bool = False, include_fixed: bool = False,
                    progress: Progress | None = None) -> Study:
        """Global sensitivity indices of the outcome probabilities; kept as :attr:`indices`.

        Calls :func:`redline.analysis.sensitivity.analyse` with the study's
        seed, as ``redline sensitivity`` does; its design has its own size
        (``samples`` and ``replicates``), not the study's ``runs``. The
        defaults are the command's: a Sobol' design of 128 base samples and
        16 replicates is millions of runs for the flagship scenario; Morris
        screening (``method="morris"``) costs less.

        Parameters
        ----------
        method : {"sobol", "morris", "rsa"}
            The method (see :mod:`redline.analysis.sensitivity`).
        samples, replicates : int, optional
            The design's size (default: :data:`redline.analysis.sensitivity.DEFAULTS`).
        outcomes : sequence of str, optional
            The targets: outcome names, or ``question:ID`` (default: every outcome).
        questions : bool
            Also every forecast question.
        include_fixed : bool
            Also every fixed number, over a range of its own
            (:func:`redline.analysis.fixed_ranges.with_fixed_ranges`).
        progress : callable, optional
            Called as ``progress(done, total)`` in run-weeks.

        Returns
        -------
        Study
            This study.

        Raises
        ------
        ValueError
            An unknown method or target, a design out of range, or a scenario
            without uncertain parameters (before anything runs).

        """
        scenario = with_fixed_ranges(self.scenario) if include_fixed else self.scenario
        self.indices = analyse(scenario, method=method, samples=samples, replicates=replicates,
                               seed=self.seed, outcomes=outcomes, questions=questions,
                               progress=progress, executor=self.executor)
        return self

    def hypotheses(self, *, progress: Progress | None = None) -> Study:
        """Weigh the scenario's hypotheses against its observations.

        Calls :func:`redline.analysis.hypotheses.evaluate_hypotheses` with the
        study's runs and seed, as ``redline hypotheses`` does; kept as
        :attr:`hypothesis_analysis`.

        Parameters
        ----------
        progress : callable, optional
            Called as ``progress(done, total)`` in run-weeks over all hypotheses.

        Returns
        -------
        Study
            This study.

        Raises
        ------
        NoHypothesesError
            If the scenario declares no hypotheses.

        """
        self.hypothesis_analysis = evaluate_hypotheses(
            self.scenario, runs=self.runs, seed=self.seed, progress=progress,
            executor=self.executor)
        return self

    def score(self, resolutions: str | Path | None = None) -> Study:
        """Score the forecasts of :meth:`simulate` against what happened.

        Calls :func:`redline.analysis.resolutions.score_result`, as ``redline
        score`` does; kept as :attr:`scorecard`.

        Parameters
        ----------
        resolutions : str or Path, optional
            A resolutions file (the format of
            :func:`redline.analysis.resolutions.load_resolutions`). Default:
            the resolutions shipped with a built-in scenario (``cuba-1962``).

        Returns
        -------
        Study
            This study.

        Raises
        ------
        StudyError
            Before :meth:`simulate`, or without resolutions to score against.
        ScenarioError
            If the resolutions file cannot be read or names unknown questions.

        """
        result = self._simulated("score")
        if resolutions is None:
            resolutions = builtin_resolutions(self._given)
            if resolutions is None:
                raise StudyError(f"{self._given} ships no resolutions: give a resolutions "
                                 "file, score(PATH)")
        recorded = load_resolutions(resolutions, self.scenario)
        self.scorecard = score_result(result, recorded)
        return self

    def report(self, path: str | Path) -> Study:
        """Write a report of everything the study has computed.

        ``.html`` (or ``.htm``): the self-contained page of ``redline
        report``, with the ensemble's figures, what each question hinges on
        (computed here on ``min(runs, 4000)`` runs, kept as :attr:`hinges`),
        and the hypotheses, sensitivity and scores computed so far. ``.md``:
        the Markdown report of ``redline run --markdown`` (the ensemble
        alone). The file is written atomically.

        Parameters
        ----------
        path : str or Path
            The file to write.

        Returns
        -------
        Study
            This study.

        Raises
        ------
        StudyError
            Before :meth:`simulate`, or for a suffix other than ``.html``,
            ``.htm`` or ``.md``.
        OSError
            If the file cannot be written (checked before any work).

        """
        result = self._simulated("report")
        path = Path(path)
        if path.suffix.lower() not in REPORT_SUFFIXES:
            raise StudyError(f"the report path {path} must end in "
                             + ", ".join(REPORT_SUFFIXES))
        destinations.check_writable(destinations.resolve(path))
        if path.suffix.lower() == ".md":
            page = markdown_report(result)
        else:
            if self.hinges is None and self.scenario.questions:
                self.hinges = hinges(self.scenario, runs=min(self.runs, HINGE_RUNS),
                                     seed=self.seed)
            analysis, indices = self.hypothesis_analysis, self.indices
            page = html_report(result,
                               hypotheses=None if analysis is None else analysis.to_dict(),
                               sensitivity=None if indices is None else indices.to_frame(),
                               score=self.scorecard, hinges=self.hinges)
        write_text_output(path, page)
        self.report_path = path
        return self

    # ------------------------------------------------------------ reading

    @property
    def comparison(self) -> Comparison | None:
        """The latest :meth:`compare` result, or ``None``."""
        return next(reversed(self.comparisons.values()), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready document of every step run so far (a step not run is ``None``).

        Keys: ``scenario``, ``runs``, ``seed``, ``horizon``; ``result``
        (:meth:`EnsembleResult.to_dict <redline.results.EnsembleResult.to_dict>`),
        ``comparisons`` (label -> ``Comparison.to_dict()``), ``sensitivity``,
        ``hypotheses``, ``score`` (each its result's ``to_dict()``) and
        ``report`` (the path written).
        """
        def document(value: Any) -> Any:
            return None if value is None else value.to_dict()

        return {
            "scenario": self.scenario.name, "runs": self.runs, "seed": self.seed,
            "horizon": self.horizon,
            "result": document(self.result),
            "comparisons": {label: c.to_dict() for label, c in self.comparisons.items()},
            "sensitivity": document(self.indices),
            "hypotheses": document(self.hypothesis_analysis),
            "score": document(self.scorecard),
            "report": None if self.report_path is None else str(self.report_path),
        }

    def summary(self) -> str:
        """What each step found, one block per step, as plain text."""
        horizon = self.horizon or self.scenario.horizon
        lines = [f"Study of {self.scenario.name}: {self.runs:,} runs, seed {self.seed}, "
                 f"{horizon} weeks"]
        lines += _block("simulate", self._simulate_entries())
        lines += _block("compare", [_comparison_entry(label, comparison)
                                    for label, comparison in self.comparisons.items()])
        lines += _block("sensitivity", _sensitivity_entries(self.indices))
        lines += _block("hypotheses", _hypotheses_entries(self.hypothesis_analysis))
        lines += _block("score", _score_entries(self.scorecard))
        lines += _block("report", [] if self.report_path is None else [[str(self.report_path)]])
        return "\n".join(lines)

    def __repr__(self) -> str:
        horizon = "" if self.horizon is None else f", horizon={self.horizon}"
        return f"Study({self._given!r}, runs={self.runs}, seed={self.seed}{horizon})"

    def __str__(self) -> str:
        return self.summary()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's display: the summary."""
        printer.text(repr(self) if cycle else self.summary())

    # ------------------------------------------------------------ helpers

    def _simulated(self, step: str) -> EnsembleResult:
        """The ensemble of :meth:`simulate`, or :class:`StudyError` naming ``step``."""
        if self.result is None:
            raise StudyError(f"{step}() uses the ensemble of simulate(): call simulate() "
                             f"first, e.g. Study(...).simulate().{step}(...)")
        return self.result

    def _simulate_entries(self) -> list[list[str]]:
        if self.result is None:
            return []
        result = self.result
        entries = [[f"outcomes: {name} {_estimate(estimate)}" if i == 0
                    else f"{name} {_estimate(estimate)}"
                    for i, (name, estimate) in enumerate(result.outcomes.items())]]
        if result.questions:
            entries.append([f"{len(result.questions)} questions: {qid} "
                            f"{format_probability(estimate.p)}" if i == 0
                            else f"{qid} {format_probability(estimate.p)}"
                            for i, (qid, estimate) in enumerate(result.questions.items())])
        return entries


def _estimate(estimate: Any) -> str:
    return f"{format_probability(estimate.p)} {format_interval(estimate)}"


def _block(step: str, entries: list[list[str]]) -> list[str]:
    """A step's entries under its name, or that it has not run.

    An entry is a list of items, joined by ``"; "`` and wrapped between items
    (an item is never broken) at :data:`SUMMARY_WIDTH`.
    """
    if not entries:
        return [f"  {step:<14}not run"]
    lines: list[str] = []
    for entry in entries:
        line = f"  {'' if lines else step:<14}"
        for i, item in enumerate(entry):
            piece = item if i == 0 else f"; {item}"
            if i and len(line) + len(piece) > SUMMARY_WIDTH:
                lines.append(line + ";")
                line = " " * 16 + item
            else:
                line += piece
        lines.append(line)
    return lines


def _comparison_entry(label: str, comparison: Comparison) -> list[str]:
    """The differences whose 95% interval excludes 0, largest first."""
    differences = [*comparison.outcomes.values(), *comparison.questions.values()]
    clear = sorted((d for d in differences if d.excludes_zero),
                   key=lambda d: -abs(d.difference))
    if not clear:
        return [f"{label}: no difference clear of 0 (of {len(differences)})"]
    items = [f"{d.id} {100 * d.difference:+.2f} pp [{100 * d.lo:+.2f}, {100 * d.hi:+.2f}]"
             for d in clear]
    return [f"{label}: {items[0]}", *items[1:]]


def _sensitivity_entries(indices: SensitivityResult | None) -> list[list[str]]:
    if indices is None:
        return []
    entries = [[f"{indices.method}, {len(indices.parameters)} parameters, "
                f"{indices.runs:,} runs"]]
    for target in indices.targets:
        if indices.constant(target):
            entries.append([f"{target}: constant over the design"])
        elif not indices.resolved(target):
            entries.append([f"{target}: not resolved"])
        else:
            top = indices.ranking(target, 3)
            entries.append([f"{target}: {top[0]}", *top[1:]])
    return entries


def _hypotheses_entries(analysis: HypothesisAnalysis | None) -> list[list[str]]:
    if analysis is None:
        return []
    items = [f"{hypothesis} {analysis.posterior[h]:.3f} [{analysis.lo[h]:.3f}, "
             f"{analysis.hi[h]:.3f}]" for h, hypothesis in enumerate(analysis.hypotheses)]
    return [[f"posterior: {items[0]}", *items[1:]]]


def _score_entries(card: ScoreCard | None) -> list[list[str]]:
    if card is None:
        return []
    always = card.baselines["always_0.5"]
    return [[f"{len(card.questions)} questions: Brier {card.brier:.4f}, log {card.log:.4f}",
             f"always 0.5: Brier {always['brier']:.4f}, log {always['log']:.4f}"]]
