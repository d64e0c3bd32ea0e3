r"""Interventions: what one change to a scenario does, on common random numbers.

An intervention is an overlay (:mod:`redline.scenario.overlay`): dotted paths
set to new values, given on the command line (``--set PATH=VALUE``) or named
in the scenario's ``interventions``. :func:`compare` runs the baseline and the
changed scenario with the same seed. Every random number follows the
scenario's structure (parameter slots, then each week's draws; docs/model.md,
"Randomness"), so run *i* of both ensembles starts from the same uniforms:
the runs are paired, the method of *common random numbers*.

For an event (an outcome, or a question by its deadline) with per-run
indicators :math:`x_{0i}` (baseline) and :math:`x_{1i}` (changed), the change
of its probability is estimated from the paired differences
:math:`d_i = x_{1i} - x_{0i} \in \{-1, 0, 1\}`:

.. math::

    \bar d = \frac{1}{n} \sum_i d_i, \qquad
    s_d^2 = \frac{1}{n - 1} \sum_i (d_i - \bar d)^2, \qquad
    \bar d \pm z_{0.975}\, s_d / \sqrt{n},

the paired-t interval (Law & Kelton, *Simulation Modeling and Analysis*,
3rd ed., 2000, ch. 10, comparing two systems) with the normal quantile, since
*n* is thousands of runs. Its variance is
:math:`(\mathrm{Var}\,x_0 + \mathrm{Var}\,x_1 - 2\,\mathrm{Cov}(x_0, x_1)) / n`:
common random numbers make the two ensembles positively correlated and so
narrow the interval (Law & Kelton 2000, ch. 11, variance-reduction
techniques). As a diagnostic, each difference reports its *variance-reduction
factor* :math:`(s_0^2 + s_1^2) / s_d^2`, the variance the same difference
would have from two independent ensembles of *n* runs each over the paired
one (above 1: pairing helped). A change that leaves a run's indicator alone
contributes :math:`d_i = 0` exactly, so a null change gives a difference of 0
with a zero-width interval.

>>> import numpy as np
>>> difference = paired_difference("e", "question", np.array([1, 1, 0, 0]),
...                                np.array([1, 0, 0, 0]))
>>> difference.difference, difference.runs_up, difference.runs_down
(-0.25, 0, 1)
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redline.engine.executors import Executor
from redline.engine.run import simulate
from redline.results import Z_95, EnsembleResult
from redline.scenario.models import OUTCOMES, Scenario
from redline.scenario.overlay import apply_overlay
from redline.scenario.yaml_source import read_yaml

Progress = Callable[[int, int], None]

#: A dotted path: names, ids or list positions joined by dots.
_PATH = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")


class InterventionError(ValueError):
    """A change that cannot be read, or an intervention the scenario does not name."""


# -------------------------------------------------------------------- inputs


def parse_set(text: str) -> tuple[str, Any]:
    """Read one ``PATH=VALUE`` change; the value is YAML (safe subset).

    Parameters
    ----------
    text : str
        A dotted path, ``=``, and a YAML value: ``0.8``, ``false``,
        ``{uniform: [0.1, 0.2]}``, ``[RUS, PRK]``, ``null``.

    Returns
    -------
    tuple of (str, object)
        The path and the value as plain data.

    Raises
    ------
    InterventionError
        Without ``=``, with an empty or malformed path, an empty value, or a
        value that is not valid YAML.

    Examples
    --------
    >>> parse_set("policies.lift_strike_ban.probability=0")
    ('policies.lift_strike_ban.probability', 0)
    >>> parse_set("support.CHN.level={triangular: [0.01, 0.02, 0.04]}")
    ('support.CHN.level', {'triangular': [0.01, 0.02, 0.04]})

    """
    path, equals, value_text = text.partition("=")
    path = path.strip()
    if not equals:
        raise InterventionError(f"{text!r}: no '=' (expected PATH=VALUE, e.g. "
                                "policies.lift_strike_ban.probability=0)")
    if not _PATH.match(path):
        raise InterventionError(f"{text!r}: {path!r} is not a dotted path (expected names, ids"
                                " or positions joined by dots, e.g. actors.RUS.resolve)")
    if not value_text.strip():
        raise InterventionError(f"{text!r}: no value after '=' (expected a YAML value; write"
                                " null for none)")
    value, _, issues = read_yaml(value_text, "--set")
    if issues:
        problem = issues[0].message
        raise InterventionError(f"{text!r}: the value is not valid YAML: {problem}")
    return path, value


def parse_sets(texts: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Read several ``PATH=VALUE`` changes into one overlay (a later path wins).

    >>> parse_sets(["horizon=26", "model.talks_hazard=0.1"])
    {'horizon': 26, 'model.talks_hazard': 0.1}
    """
    return dict(parse_set(text) for text in texts)


def intervention_changes(scenario: Scenario, name: str) -> dict[str, Any]:
    """The overlay of the scenario's intervention ``name``.

    Raises
    ------
    InterventionError
        If the scenario names no such intervention (the message lists those it has).

    """
    for intervention in scenario.interventions:
        if intervention.id == name:
            return dict(intervention.set)
    known = ", ".join(i.id for i in scenario.interventions) or "none"
    raise InterventionError(f"{scenario.name} has no intervention {name!r} (it has: {known})")


# ---------------------------------------------------------------- statistics


@dataclass(frozen=True)
class Difference:
    """The change of one event's probability, estimated from paired runs.

    Attributes
    ----------
    id : the outcome or question id.
    kind : ``"outcome"`` or ``"question"``.
    baseline, changed : the probabilities p0 and p1.
    difference : p1 - p0, the mean of the paired per-run differences.
    lo, hi : its 95% paired interval.
    se : its standard error from the paired differences.
    se_independent : the standard error two independent ensembles of the same
        size would give, sqrt((s0^2 + s1^2) / n).
    runs_up, runs_down : runs where the event happens only in the changed
        scenario, and only in the baseline (the discordant pairs).
    runs : number of paired runs.

    """

    id: str
    kind: str
    baseline: float
    changed: float
    difference: float
    lo: float
    hi: float
    se: float
    se_independent: float
    runs_up: int
    runs_down: int
    runs: int

    @property
    def excludes_zero(self) -> bool:
        """True when the 95% interval lies wholly above or below 0."""
        return self.lo > 0.0 or self.hi < 0.0

    @property
    def variance_reduction(self) -> float:
        """Independent-runs variance over paired variance (inf when pairing removes it all).

        NaN when both are 0 (the event's indicator is constant in both ensembles).
        """
        if self.se > 0.0:
            return (self.se_independent / self.se) ** 2
        return math.inf if self.se_independent > 0.0 else math.nan

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (a non-finite variance reduction becomes ``None``)."""
        reduction = self.variance_reduction
        return {
            "baseline": self.baseline, "changed": self.changed, "difference": self.difference,
            "lo": self.lo, "hi": self.hi, "se": self.se, "se_independent": self.se_independent,
            "excludes_zero": self.excludes_zero,
            "variance_reduction": reduction if math.isfinite(reduction) else None,
            "runs_up": self.runs_up, "runs_down": self.runs_down,
        }


def paired_difference(event_id: str, kind: str, baseline: NDArray[Any],
                      changed: NDArray[Any]) -> Difference:
    """Estimate p1 - p0 from per-run indicators of the same runs (common random numbers).

    Parameters
    ----------
    event_id, kind : what the indicators are of (for the record).
    baseline, changed : arrays (runs,) of 0/1 indicators, run *i* of one paired
        with run *i* of the other.

    Returns
    -------
    Difference
        With the paired interval and the independent-runs standard error.

    """
    x0 = np.asarray(baseline, dtype=np.float64)
    x1 = np.asarray(changed, dtype=np.float64)
    if x0.shape != x1.shape or x0.ndim != 1 or x0.size == 0:
        raise ValueError("paired indicators must be two non-empty arrays of the same length")
    n = x0.size
    d = x1 - x0
    mean = float(d.mean())
    # sample variances with n - 1, as in the paired-t interval
    dof = max(n - 1, 1)
    se = math.sqrt(float(np.square(d - mean).sum()) / dof / n)
    var0 = float(np.square(x0 - x0.mean()).sum()) / dof
    var1 = float(np.square(x1 - x1.mean()).sum()) / dof
    half = Z_95 * se
    return Difference(
        id=event_id, kind=kind, baseline=float(x0.mean()), changed=float(x1.mean()),
        difference=mean, lo=mean - half, hi=mean + half, se=se,
        se_independent=math.sqrt((var0 + var1) / n),
        runs_up=int(np.count_nonzero(d > 0)), runs_down=int(np.count_nonzero(d < 0)), runs=n,
    )


def event_indicators(result: EnsembleResult) -> dict[tuple[str, str], NDArray[np.bool_]]:
    """Per-run indicators of every outcome and question of a result kept with its runs.

    Keys are ``("outcome", name)`` for each outcome of
    :data:`~redline.scenario.models.OUTCOMES` and ``("question", id)`` for each
    question (its event by its deadline week, as the result's estimates count it).

    Raises
    ------
    ValueError
        If the result was run without ``keep_runs=True``.

    """
    per_run = getattr(result, "per_run", None)
    if not per_run:
        raise ValueError("the result has no per-run records: simulate with keep_runs=True")
    indicators: dict[tuple[str, str], NDArray[np.bool_]] = {}
    for code, name in enumerate(OUTCOMES):
        indicators[("outcome", name)] = per_run["outcome"] == code
    for q, question in enumerate(result.scenario.questions):
        deadline = min(question.by_week, result.horizon)
        indicators[("question", question.id)] = per_run["event_week"][:, q] <= deadline
    return indicators


# ---------------------------------------------------------------- comparison


@dataclass
class Comparison:
    """A baseline and a changed ensemble on the same runs, and their differences.

    Attributes
    ----------
    scenario : name of the baseline scenario.
    changes : the overlay that made the changed scenario (path -> value).
    intervention : the scenario's intervention id when one was named, else ``None``.
    runs, seed, horizon : how both ensembles were run.
    baseline, changed : the two results (with per-run records).
    outcomes, questions : id -> :class:`Difference`.

    """

    scenario: str
    changes: dict[str, Any]
    intervention: str | None
    runs: int
    seed: int
    horizon: int
    baseline: EnsembleResult
    changed: EnsembleResult
    outcomes: dict[str, Difference]
    questions: dict[str, Difference]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready document.

        Keys: ``scenario``, ``intervention``, ``changes``, ``runs``, ``seed``,
        ``horizon``; ``baseline`` and ``changed`` (each ``{"outcomes": {name:
        {p, lo, hi, count}}, "questions": {id: {p, lo, hi, count}}}`` with Wilson
        intervals); ``differences`` (``{"outcomes": {name: ...}, "questions":
        {id: ...}}``, each as :meth:`Difference.to_dict`).
        """
        def estimates(result: EnsembleResult) -> dict[str, Any]:
            return {"outcomes": {k: v.to_dict() for k, v in result.outcomes.items()},
                    "questions": {k: v.to_dict() for k, v in result.questions.items()}}

        return {
            "scenario": self.scenario,
            "intervention": self.intervention,
            "changes": json.loads(json.dumps(self.changes, default=str)),
            "runs": self.runs, "seed": self.seed, "horizon": self.horizon,
            "baseline": estimates(self.baseline),
            "changed": estimates(self.changed),
            "differences": {
                "outcomes": {k: v.to_dict() for k, v in self.outcomes.items()},
                "questions": {k: v.to_dict() for k, v in self.questions.items()},
            },
        }


def compare_results(baseline: EnsembleResult, changed: EnsembleResult, *,
                    changes: Mapping[str, Any] | None = None,
                    intervention: str | None = None) -> Comparison:
    """Paired differences of two results run on the same seed with their runs kept.

    Raises
    ------
    ValueError
        If the results are not paired (runs, seed or horizon differ) or have no
        per-run records.

    """
    if (baseline.runs, baseline.seed, baseline.horizon) != (changed.runs, changed.seed,
                                                           changed.horizon):
        raise ValueError("the results are not paired: runs, seed and horizon must match")
    before = event_indicators(baseline)
    after = event_indicators(changed)
    outcomes: dict[str, Difference] = {}
    questions: dict[str, Difference] = {}
    for (kind, event_id), indicator in before.items():
        if (kind, event_id) not in after:  # a question the change removed
            continue
        difference = paired_difference(event_id, kind, indicator, after[(kind, event_id)])
        (outcomes if kind == "outcome" else questions)[event_id] = difference
    return Comparison(
        scenario=baseline.scenario.name, changes=dict(changes or {}), intervention=intervention,
        runs=baseline.runs, seed=baseline.seed, horizon=baseline.horizon,
        baseline=baseline, changed=changed, outcomes=outcomes, questions=questions,
    )


def compare(scenario: Scenario, changes: Mapping[str, Any], runs: int = 10_000, seed: int = 0,
            progress: Progress | None = None, *, horizon: int | None = None,
            intervention: str | None = None, executor: Executor | None = None) -> Comparison:
    """Run ``scenario`` and ``scenario`` with ``changes`` on common random numbers.

    Parameters
    ----------
    scenario : Scenario
        The baseline, validated.
    changes : Mapping[str, Any]
        Overlay: dotted path -> new value (see :mod:`redline.scenario.overlay`).
    runs, seed : int
        Runs of each ensemble, and their shared root seed.
    progress : callable, optional
        Called as ``progress(done, total)`` in run-weeks over both ensembles.
    horizon : int, optional
        Weeks to simulate (default: the scenario's).
    intervention : str, optional
        The name of the intervention, for the record.

    Returns
    -------
    Comparison
        Both results and each outcome's and question's paired difference.

    Raises
    ------
    ScenarioError
        If a path does not exist or the changed scenario is invalid (before
        anything is run).

    """
    changed_scenario = apply_overlay(scenario, changes, what=intervention or "changes")
    results = [simulate(item, runs=runs, seed=seed, horizon=horizon, keep_runs=True,
                        progress=_stage(progress, stage), executor=executor)
               for stage, item in enumerate((scenario, changed_scenario))]
    return compare_results(*results, changes=changes, intervention=intervention)


def _stage(progress: Progress | None, stage: int) -> Progress | None:
    """Report one of two ensembles' progress as part of both."""
    if progress is None:
        return None

    def report(done: int, total: int) -> None:
        progress(stage * total + done, 2 * total)

    return report
