r"""Global sensitivity of outcome probabilities to a scenario's uncertain parameters.

Which of a scenario's uncertain numbers decide its forecast? Every scenario
number that is a distribution is an *uncertain parameter* (an uncertain slot of
:class:`redline.arrays.scenario_arrays.ParameterSlots`). Parameter ``i`` is varied on
its own quantile scale :math:`u_i \in [0, 1]`, and the engine turns :math:`u_i`
into a value by inverting the number's distribution, :math:`\theta_i =
F_i^{-1}(u_i)`. The targets are outcome probabilities (and optionally forecast
questions), as functions of the parameters:

.. math::

    Y_k(u) = P(\text{outcome } k \mid \theta = F^{-1}(u)),

the chance that is left over once the parameters are fixed (the weekly
randomness of decisions, policies, enforcement and talks). Since :math:`u_i`
uniform is the same as :math:`\theta_i \sim F_i`, variance-based indices in
:math:`u` are those of the scenario's own parameter uncertainty, and the
quantile scale makes parameters with different units comparable.

Sobol' indices [Sobol2001]_. With :math:`V = \operatorname{Var} Y`, the
first-order index :math:`S_i = \operatorname{Var}[E(Y \mid u_i)] / V` is the
share of the variance that parameter ``i`` explains alone, and the total-order
index :math:`S_{Ti} = E[\operatorname{Var}(Y \mid u_{\sim i})] / V` its share
with every interaction it takes part in; :math:`S_{Ti} = 0` means the parameter
can be fixed anywhere without changing the target. They are estimated from
Saltelli's scheme, ``N (D + 2)`` points for ``N`` base samples and ``D``
parameters [Saltelli2002]_, with the estimators of [Saltelli2010]_ and 95%
bootstrap intervals, as implemented by SALib [Herman2017]_.

Morris screening [Morris1991]_. ``r`` trajectories of ``D + 1`` points each
move one parameter at a time by ``p / (2 (p - 1))`` on a grid of ``p = 4``
levels. The levels are mapped to the centres of ``p`` equal quantile strata
(``1/8, 3/8, 5/8, 7/8``), so unbounded distributions are never inverted at 0
or 1, and each move changes a quantile by :math:`\Delta = 1/2`. A move gives
the elementary effect :math:`EE_i = [Y(u + \Delta e_i) - Y(u)] / \Delta`, in
probability per unit of quantile scale (for :math:`Y` linear in :math:`u_i`,
the change of :math:`Y` across the parameter's whole range). The mean of their
absolute values :math:`\mu^*_i` ranks the parameters [Campolongo2007]_ and
their standard deviation :math:`\sigma_i` flags non-linearity or interactions.
SALib's effects, per grid unit, are rescaled by ``p / (p - 1)`` to that unit.

Monte Carlo filtering [Hornberger1981]_ [Saltelli2004]_ (``method="rsa"``,
regional sensitivity analysis), for rare outcomes. Sobol' and Morris need the
outcome's probability to vary across design points, which a rare outcome does
in a corner of the parameter space that few points visit. Filtering asks the
question the other way round: among ``N`` runs, each with its own parameter
quantiles, do the runs in which the outcome happened (``B``) have different
parameters from the others (``B̄``)? For each parameter the index is the
two-sample Kolmogorov-Smirnov distance :math:`D_i = \sup_u |F_i(u \mid B) -
F_i(u \mid \bar B)|` between its quantiles in the two groups (0: the same
distribution; 1: disjoint), with its p-value. Under no effect, :math:`D_i`
exceeds :math:`c \sqrt{(n_B + n_{\bar B}) / (n_B n_{\bar B})}`, with
:math:`c = \sqrt{-\ln(\alpha / 2) / 2}`, with probability about
:math:`\alpha`; that critical distance at :math:`\alpha = 0.05 / D`
(Bonferroni over the ``D`` parameters) is the method's noise floor. Every run
counts, so 700 settlements among 100,000 runs (0.7%) are 700 points of
evidence, where a Sobol' design of the same cost sees a handful of points with
a non-zero probability. ``R`` is 1: each run is its own design point.

Design. The SALib sample gives ``N`` points. Each point is evaluated by ``R``
replicate runs that share its parameter quantiles; every other slot (the
per-run draws, such as whether a deployment exists, named ``...#draw``) gets
fresh uniforms in each replicate, and each run has its own weekly random
numbers. All ``N R`` runs go through :func:`redline.engine.run.simulate` in
one call (``parameter_uniforms``), and ``Y`` at a point is the mean of the
outcome indicators over its replicates.

Replicate noise. With finite ``R`` the model output is
:math:`\hat Y = Y + \varepsilon` with :math:`\operatorname{Var}\varepsilon =
\sigma^2 \approx Y (1 - Y) / R`, independent across points. It inflates the
variance to :math:`V + \sigma^2`, so first-order indices are biased down by the
factor :math:`V / (V + \sigma^2)` and total-order indices are biased up: a
parameter with no effect has :math:`S_T \approx \sigma^2 / (V + \sigma^2)`,
the *noise floor*, and :math:`\mu^* \approx 2 \sigma / (\sqrt{\pi} \Delta) =
4 \sigma / \sqrt{\pi}`.
:math:`\sigma^2` is estimated from the spread of each point's replicates and
reported with every target; indices at or below the floor cannot be told
apart from no effect. More replicates lower the floor (as ``1 / R``); more
samples narrow the bootstrap intervals. A rare outcome (a probability near 0)
has little variance across the design and a high floor, and an outcome that is
likely only in a corner of the parameter space (several parameters in their
tails at once) is seen by few design points, or none: its indices then say
nothing, whatever their values. :meth:`SensitivityResult.resolved` tells
whether any parameter's interval clears the floor.

Randomness. One root ``SeedSequence(seed)`` is split up front into four
children: the SALib design, the replicates' draws, the engine's seed and the
bootstrap of the analysis. The same seed gives the same indices.

Examples
--------
>>> import redline
>>> from redline.analysis.sensitivity import salib_problem
>>> scenario = redline.load("kursk-2024")
>>> problem = salib_problem(scenario)
>>> problem["num_vars"] == len(problem["names"]), problem["bounds"][0]
(True, [0.0, 1.0])
>>> "red_lines.rus_deep_strike.threshold" in problem["names"]
True

"""

from __future__ import annotations

import math
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import NDArray
from SALib.analyze import morris as morris_analysis
from SALib.analyze import sobol as sobol_analysis
from SALib.sample import morris as morris_sampling
from SALib.sample import sobol as sobol_sampling
from scipy import stats

from redline.arrays.scenario_arrays import ParameterSlots, compile_scenario
from redline.arrays.state import NEVER
from redline.engine.executors import Executor
from redline.engine.run import MAX_RUNS, simulate
from redline.files import write_output
from redline.scenario.models import OUTCOMES, Scenario

Progress = Callable[[int, int], None]

#: The methods, each with its default (samples, replicates). Sobol: base
#: samples ``N`` (a power of 2), ``N (D + 2)`` points; Morris: trajectories,
#: ``r (D + 1)`` points. For kursk-2024 (60 parameters) that is 126,976 and
#: 78,080 design points, a few seconds each with the compiled engine (Morris: 4 s on
#: the 2-core development machine, docs/performance.md). Halving ``N`` doubles the
#: Sobol intervals' variance; halving ``R`` doubles the noise floor.
DEFAULTS: dict[str, tuple[int, int]] = {"sobol": (128, 16), "morris": (40, 32),
                                        "rsa": (100_000, 1)}
METHODS = tuple(DEFAULTS)
#: Grid levels of the Morris design.
MORRIS_LEVELS = 4
#: Change of a parameter's quantile in one Morris move (grid step mapped to strata).
MORRIS_STEP = 0.5
#: Prefix of a target that is a forecast question rather than an outcome.
QUESTION_PREFIX = "question:"
#: Indices reported by each method, the first being the one that ranks.
INDEX_NAMES: dict[str, tuple[str, ...]] = {"sobol": ("ST", "S1"),
                                           "morris": ("mu_star", "mu", "sigma"),
                                           "rsa": ("ks", "p_value")}
#: Family-wise significance level of the filtering method's critical distance.
RSA_ALPHA = 0.05
#: Confidence half-width (95%) reported with an index, where SALib gives one.
CONF_NAMES: dict[str, str] = {"ST": "ST_conf", "S1": "S1_conf", "mu_star": "mu_star_conf"}
_BOOTSTRAP_RESAMPLES = 100


def salib_problem(scenario: Scenario) -> dict[str, Any]:
    """The SALib problem of ``scenario``: one variable per uncertain slot.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.

    Returns
    -------
    dict
        ``num_vars``, ``names`` (the slots' dotted names, in slot order) and
        ``bounds`` (``[0, 1]`` each: the parameter's quantile scale).

    """
    return _problem(compile_scenario(scenario).slots)


def _problem(slots: ParameterSlots) -> dict[str, Any]:
    names = [slots.names[slot] for slot in slots.uncertain()]
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def target_names(scenario: Scenario, outcomes: Sequence[str] | None = None,
                 questions: bool | Sequence[str] = False) -> list[str]:
    """The targets selected: outcome names, then ``question:ID`` for questions.

    Parameters
    ----------
    scenario : Scenario
        The scenario (for its question ids).
    outcomes : sequence of str, optional
        Outcome names (see ``OUTCOMES``) or ``question:ID``; default every outcome
        (or none, when only ``question:ID`` names are given).
    questions : bool or sequence of str
        ``True`` adds every forecast question; a sequence adds those question ids.

    Returns
    -------
    list of str
        The targets in order, without repeats.

    Raises
    ------
    ValueError
        An unknown outcome or question.

    """
    question_ids = [q.id for q in scenario.questions]
    chosen: list[str] = []
    if outcomes is None:
        chosen.extend(OUTCOMES)
    else:
        for name in outcomes:
            if name.startswith(QUESTION_PREFIX):
                if name.removeprefix(QUESTION_PREFIX) not in question_ids:
                    raise ValueError(f"unknown question {name.removeprefix(QUESTION_PREFIX)!r}"
                                     f" in {scenario.name}; its questions are: "
                                     f"{', '.join(question_ids) or 'none'}")
            elif name not in OUTCOMES:
                raise ValueError(f"unknown outcome {name!r}; the outcomes are: "
                                 f"{', '.join(OUTCOMES)} (or question:ID for a question)")
            chosen.append(name)
    if questions is True:
        chosen.extend(QUESTION_PREFIX + qid for qid in question_ids)
    elif questions:
        for qid in questions:  # type: ignore[union-attr]
            if qid not in question_ids:
                raise ValueError(f"unknown question {qid!r} in {scenario.name}")
            chosen.append(QUESTION_PREFIX + qid)
    return list(dict.fromkeys(chosen))


def design_size(method: str, samples: int, parameters: int) -> int:
    """Number of design points: ``N (D + 2)`` for Sobol, ``r (D + 1)`` for Morris, ``N`` runs."""
    if method == "rsa":
        return samples
    return samples * (parameters + 2) if method == "sobol" else samples * (parameters + 1)


def ks_critical_distance(events: int, others: int, parameters: int,
                         alpha: float = RSA_ALPHA) -> float:
    r"""Kolmogorov-Smirnov distance that no-effect parameters exceed with probability ``alpha``.

    The asymptotic two-sample bound :math:`c(a) \sqrt{(n + m) / (n m)}` with
    :math:`c(a) = \sqrt{-\ln(a / 2) / 2}` and :math:`a = \alpha / D` (Bonferroni);
    NaN when either group is empty.

    >>> round(ks_critical_distance(700, 99_300, 1), 4)  # c(0.05) = 1.358
    0.0515
    """
    if events <= 0 or others <= 0:
        return math.nan
    c = math.sqrt(-math.log(alpha / max(parameters, 1) / 2.0) / 2.0)
    return c * math.sqrt((events + others) / (events * others))


def check_arguments(method: str, samples: int, replicates: int, seed: int) -> None:
    """Refuse out-of-range arguments before any work starts.

    Raises
    ------
    ValueError
        An unknown method, a Sobol sample size that is not a power of 2 (the
        balance of the Sobol' sequence needs one), fewer than 2 Morris
        trajectories, no replicates, or a seed out of range.

    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose {', '.join(METHODS)}")
    samples, replicates = int(samples), int(replicates)
    if method == "sobol" and (samples < 2 or samples & (samples - 1)):
        raise ValueError(f"Sobol samples must be a power of 2 (at least 2), got {samples}")
    if method == "morris" and samples < 2:
        raise ValueError(f"Morris needs at least 2 trajectories, got {samples}")
    if method == "rsa" and samples < 100:
        raise ValueError(f"Monte Carlo filtering needs at least 100 runs, got {samples}")
    if method == "rsa" and replicates != 1:
        raise ValueError("Monte Carlo filtering (rsa) uses one run per design point: "
                         f"--replicates must be 1, got {replicates}")
    if replicates < 1:
        raise ValueError(f"replicates must be at least 1, got {replicates}")
    if not 0 <= int(seed) < 2**63:
        raise ValueError(f"seed must be a non-negative integer below 2**63, got {seed}")


@dataclass(frozen=True)
class SensitivityResult:
    r"""Sensitivity indices of each target to each uncertain parameter.

    Attributes
    ----------
    scenario : str
        Scenario name.
    method : str
        ``"sobol"`` or ``"morris"``.
    samples, replicates, seed : int
        The design: base samples (Sobol) or trajectories (Morris), runs per point,
        root seed.
    points, runs, horizon : int
        Design points, runs simulated (``points * replicates``), weeks per run.
    parameters : list of str
        The uncertain slots' names, in slot order.
    targets : list of str
        Outcome names, and ``question:ID`` for questions.
    indices : dict
        ``indices[target][name]`` is an array over ``parameters``, for ``name`` in
        :data:`INDEX_NAMES` and :data:`CONF_NAMES` (NaN where undefined).
    mean, variance, noise_variance : dict
        Per target: the probability averaged over the design, its variance across
        design points, and the estimated replicate noise variance
        :math:`\sigma^2` of a point's mean (NaN with one replicate). The design
        is not a forecast: Morris's grid in particular never visits the tails.
    events : dict
        Per target: runs of the design in which it happened.
    elapsed_seconds : float
        Wall time of the simulation and the analysis.

    """

    scenario: str
    method: str
    samples: int
    replicates: int
    seed: int
    points: int
    runs: int
    horizon: int
    parameters: list[str]
    targets: list[str]
    indices: dict[str, dict[str, NDArray[np.float64]]]
    mean: dict[str, float]
    variance: dict[str, float]
    noise_variance: dict[str, float]
    events: dict[str, int]
    elapsed_seconds: float

    @property
    def main_index(self) -> str:
        """The index that ranks parameters: ``ST`` (Sobol), ``mu_star`` (Morris), ``ks`` (rsa)."""
        return INDEX_NAMES[self.method][0]

    def constant(self, target: str) -> bool:
        """The target takes one value at every design point (Sobol indices undefined)."""
        return self.variance[target] == 0.0

    def noise_floor(self, target: str) -> float:
        r"""Value of the main index for a parameter without effect, from replicate noise.

        Sobol: :math:`\sigma^2 / \operatorname{Var}\hat Y`; Morris:
        :math:`2 \sigma / (\sqrt{\pi} \Delta)` with :math:`\Delta = 1/2` (see the
        module notes). NaN when it
        cannot be estimated (one replicate, or a constant target for Sobol).
        """
        if self.method == "rsa":
            events = self.events[target]
            return ks_critical_distance(events, self.runs - events, len(self.parameters))
        noise = self.noise_variance[target]
        if self.method == "sobol":
            total = self.variance[target]
            return min(noise / total, 1.0) if total > 0.0 else math.nan
        return 2.0 * math.sqrt(noise) / (math.sqrt(math.pi) * MORRIS_STEP)

    def resolved(self, target: str) -> bool:
        """Some parameter's interval lies clear of what noise alone would give.

        That is, the lower end of some ``S_T`` or ``mu*`` interval is above the noise
        floor, or (Sobol) that of some ``S_1`` above 0: noise biases ``S_1`` towards
        0, never away from it. When no parameter qualifies, the design cannot tell
        any parameter from no effect on this target: more replicates (a lower
        floor) or samples (narrower intervals) are needed, or the outcome is too
        rare for the design to see.
        """
        if self.constant(target):
            return False
        floor = self.noise_floor(target)
        if self.method == "rsa":  # a distance above the family-wise critical one
            return bool(np.any(np.nan_to_num(self.indices[target]["ks"], nan=-1.0) > floor))
        bounds = {self.main_index: 0.0 if math.isnan(floor) else floor}
        if self.method == "sobol":
            bounds["S1"] = 0.0
        table = self.indices[target]
        return any(bool(np.any(np.nan_to_num(table[name] - table[CONF_NAMES[name]],
                                             nan=-np.inf) > bound))
                   for name, bound in bounds.items())

    def ranking(self, target: str, top: int | None = None) -> list[str]:
        """Parameters by decreasing main index (undefined values last)."""
        values = self.indices[target][self.main_index]
        order = sorted(range(len(self.parameters)),
                       key=lambda i: (math.isnan(values[i]), -np.nan_to_num(values[i])))
        return [self.parameters[i] for i in order[:top]]

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per (parameter, target, index) with ``value`` and ``conf``.

        ``conf`` is the half-width of the 95% bootstrap interval (NaN for ``mu``
        and ``sigma``, which SALib gives without one).
        """
        rows = []
        for target in self.targets:
            table = self.indices[target]
            for name in INDEX_NAMES[self.method]:
                conf = table.get(CONF_NAMES.get(name, ""))
                for i, parameter in enumerate(self.parameters):
                    rows.append((parameter, target, name, float(table[name][i]),
                                 float(conf[i]) if conf is not None else math.nan))
        return pd.DataFrame(rows, columns=["parameter", "target", "index", "value", "conf"])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document (NaN as ``None``): the design, then every target's indices."""
        def number(value: float) -> float | None:
            return None if math.isnan(value) else float(value)

        targets = {}
        for target in self.targets:
            table = self.indices[target]
            names = [name for name in INDEX_NAMES[self.method]]
            names += [CONF_NAMES[name] for name in names if name in CONF_NAMES]
            targets[target] = {
                "mean": number(self.mean[target]),
                "variance": number(self.variance[target]),
                "noise_variance": number(self.noise_variance[target]),
                "noise_floor": number(self.noise_floor(target)),
                "events": self.events[target],
                "constant": self.constant(target),
                "resolved": self.resolved(target),
                "ranking": self.ranking(target),
                "indices": {parameter: {name: number(float(table[name][i])) for name in names}
                            for i, parameter in enumerate(self.parameters)},
            }
        return {
            "scenario": self.scenario, "method": self.method, "samples": self.samples,
            "replicates": self.replicates, "seed": self.seed, "points": self.points,
            "runs": self.runs, "horizon": self.horizon,
            "elapsed_seconds": self.elapsed_seconds, "main_index": self.main_index,
            "parameters": list(self.parameters), "targets": targets,
        }


def analyse(scenario: Scenario, method: str = "sobol", samples: int | None = None,
            replicates: int | None = None, seed: int = 0,
            outcomes: Sequence[str] | None = None, questions: bool | Sequence[str] = False,
            progress: Progress | None = None,
            executor: Executor | None = None) -> SensitivityResult:
    """Sensitivity indices of outcome (and question) probabilities to every uncertain parameter.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario with at least one uncertain number.
    method : {"sobol", "morris", "rsa"}
        Variance-based indices [Sobol2001]_ from Saltelli's design [Saltelli2002]_
        [Saltelli2010]_, or elementary-effects screening [Morris1991]_
        [Campolongo2007]_, both through SALib [Herman2017]_; or Monte Carlo
        filtering [Hornberger1981]_ [Saltelli2004]_ for rare outcomes.
    samples : int, optional
        Sobol: base samples ``N``, a power of 2 (``N (D + 2)`` points). Morris:
        trajectories (``r (D + 1)`` points). rsa: runs. Default from :data:`DEFAULTS`.
    replicates : int, optional
        Runs per design point (1 for rsa). Default from :data:`DEFAULTS`.
    seed : int
        Root seed of the design, the replicates, the engine and the bootstrap.
    outcomes, questions
        The targets, as in :func:`target_names` (default: every outcome).
    progress : callable, optional
        Called as ``progress(done, total)`` in run-weeks while the runs go.

    Returns
    -------
    SensitivityResult
        Indices with 95% bootstrap half-widths for each target.

    Raises
    ------
    ValueError
        Bad arguments, an unknown target, no uncertain parameter, or too many runs.

    Notes
    -----
    A finite number of replicates adds noise to each point's probability, which
    biases first-order indices down and total-order indices up; each target
    reports its noise floor (see the module docstring).

    """
    default_samples, default_replicates = DEFAULTS.get(method, (0, 0))
    samples = default_samples if samples is None else int(samples)
    replicates = default_replicates if replicates is None else int(replicates)
    check_arguments(method, samples, replicates, seed)
    targets = target_names(scenario, outcomes, questions)
    slots = compile_scenario(scenario).slots
    uncertain = slots.uncertain()
    problem = _problem(slots)
    if not uncertain:
        raise ValueError(f"{scenario.name} has no uncertain parameter: every number is a "
                         "constant, so there is nothing to vary")
    points = design_size(method, samples, len(uncertain))
    runs = points * replicates
    if runs > MAX_RUNS:
        raise ValueError(f"{points:,} points x {replicates} replicates = {runs:,} runs, more "
                         f"than {MAX_RUNS:,}; lower --samples or --replicates")

    started = time.perf_counter()
    design_seed, replicate_seed, engine_seed, analysis_seed = np.random.SeedSequence(
        int(seed)).spawn(4)
    design_rng = np.random.Generator(np.random.PCG64(design_seed))
    if method == "sobol":
        design = sobol_sampling.sample(problem, samples, calc_second_order=False,
                                       seed=design_rng)
        quantiles = design
    elif method == "rsa":  # a plain Monte Carlo sample: each run its own point
        design = design_rng.random((samples, len(uncertain)))
        quantiles = design
    else:
        design = morris_sampling.sample(problem, samples, num_levels=MORRIS_LEVELS,
                                        seed=design_rng)
        # grid levels k/(p-1) -> centres (k + 1/2)/p of p equal quantile strata
        quantiles = (design * (MORRIS_LEVELS - 1) + 0.5) / MORRIS_LEVELS

    replicate_rng = np.random.Generator(np.random.PCG64(replicate_seed))
    uniforms = replicate_rng.random((runs, len(slots.numbers)))
    uniforms[:, uncertain] = np.repeat(quantiles, replicates, axis=0)
    engine_root = int(engine_seed.generate_state(1, np.uint64)[0] >> np.uint64(1))
    result = simulate(scenario, runs=runs, seed=engine_root, progress=progress,
                      keep_runs=True, parameter_uniforms=uniforms, executor=executor)
    del uniforms
    hits = _indicators(scenario, result.per_run, result.horizon, targets)
    per_point = hits.reshape(points, replicates, len(targets)).mean(axis=1)
    if replicates > 1:
        within = per_point * (1.0 - per_point) * replicates / (replicates - 1)
        noise = (within / replicates).mean(axis=0)
    else:
        noise = np.full(len(targets), math.nan)

    indices = {target: _indices(method, problem, design, per_point[:, k],
                                _target_generator(analysis_seed, scenario, target))
               for k, target in enumerate(targets)}
    return SensitivityResult(
        scenario=scenario.name, method=method, samples=samples, replicates=replicates,
        seed=int(seed), points=points, runs=runs, horizon=result.horizon,
        parameters=list(problem["names"]), targets=targets, indices=indices,
        mean={t: float(per_point[:, k].mean()) for k, t in enumerate(targets)},
        variance={t: float(per_point[:, k].var()) for k, t in enumerate(targets)},
        noise_variance={t: float(noise[k]) for k, t in enumerate(targets)},
        events={t: int(hits[:, k].sum()) for k, t in enumerate(targets)},
        elapsed_seconds=time.perf_counter() - started,
    )


def _target_generator(parent: np.random.SeedSequence, scenario: Scenario,
                      target: str) -> np.random.Generator:
    """The bootstrap generator of one target: a child of ``parent`` keyed by the target.

    Keyed by the target's place among the outcomes then the questions, so a
    target's intervals do not depend on which other targets were asked for.
    """
    if target in OUTCOMES:
        key = OUTCOMES.index(target)
    else:
        ids = [q.id for q in scenario.questions]
        key = len(OUTCOMES) + ids.index(target.removeprefix(QUESTION_PREFIX))
    child = np.random.SeedSequence(parent.entropy, spawn_key=(*parent.spawn_key, key))
    return np.random.Generator(np.random.PCG64(child))


def _indicators(scenario: Scenario, per_run: dict[str, NDArray[np.int64]], horizon: int,
                targets: list[str]) -> NDArray[np.float64]:
    """Per-run 0/1 indicator of each target, shape (runs, targets)."""
    by_week = {q.id: min(int(q.by_week), horizon) for q in scenario.questions}
    ids = list(by_week)
    columns = []
    for target in targets:
        if target.startswith(QUESTION_PREFIX):
            qid = target.removeprefix(QUESTION_PREFIX)
            week = per_run["event_week"][:, ids.index(qid)]
            columns.append((week != NEVER) & (week <= by_week[qid]))
        else:
            columns.append(per_run["outcome"] == OUTCOMES.index(target))
    return np.stack(columns, axis=1).astype(np.float64)


def _indices(method: str, problem: dict[str, Any], design: NDArray[np.float64],
             output: NDArray[np.float64],
             rng: np.random.Generator) -> dict[str, NDArray[np.float64]]:
    """SALib's analysis of one target, as plain float arrays (NaN where undefined)."""
    size = problem["num_vars"]
    if method == "rsa":
        return _filtering(design, output)
    if method == "sobol":
        if np.ptp(output) == 0.0:  # constant: V = 0, the indices are 0/0
            nan = np.full(size, math.nan)
            return {name: nan.copy() for name in ("ST", "ST_conf", "S1", "S1_conf")}
        # a Generator, never 0 or None: SALib's sobol.analyze falls back to the global
        # numpy random state for a falsy seed
        found = sobol_analysis.analyze(problem, output, calc_second_order=False,
                                       num_resamples=_BOOTSTRAP_RESAMPLES, seed=rng)
        names = ("ST", "ST_conf", "S1", "S1_conf")
    else:
        found = morris_analysis.analyze(problem, design, output,
                                        num_resamples=_BOOTSTRAP_RESAMPLES,
                                        num_levels=MORRIS_LEVELS, seed=rng)
        # SALib divides by the step in grid units, p / (2 (p - 1)); a move changes the
        # quantile by MORRIS_STEP, so effects per unit of quantile are p / (p - 1) larger
        scale = MORRIS_LEVELS / (MORRIS_LEVELS - 1)
        return {name: scale * np.ma.filled(np.ma.asarray(found[name], dtype=np.float64),
                                           math.nan)
                for name in ("mu_star", "mu_star_conf", "mu", "sigma")}
    return {name: np.ma.filled(np.ma.asarray(found[name], dtype=np.float64), math.nan)
            for name in names}


def _filtering(quantiles: NDArray[np.float64],
               happened: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """Kolmogorov-Smirnov distance and p-value between runs with and without the event."""
    mask = happened > 0.5
    size = quantiles.shape[1]
    if mask.all() or not mask.any():
        nan = np.full(size, math.nan)
        return {"ks": nan.copy(), "p_value": nan.copy()}
    test = stats.ks_2samp(quantiles[mask], quantiles[~mask], axis=0, method="asymp")
    return {"ks": np.asarray(test.statistic, dtype=np.float64),
            "p_value": np.asarray(test.pvalue, dtype=np.float64)}


# ----------------------------------------------------------------- tornado chart

_AXIS_LABELS = {
    "ST": "total-order Sobol' index S_T (share of the variance of {p}, 0 to 1)",
    "mu_star": "Morris μ* (mean |change in {p}| per unit of the parameter's quantile scale)",
    "ks": ("Kolmogorov-Smirnov distance between the parameter's quantiles in runs with and "
           "without the event (0 to 1)"),
}
_CAPTIONS = {
    "ST": ("How to read: a longer bar means the parameter's uncertainty explains more of the "
           "variance of {p}, alone (dark, S_1) or with interactions (whole bar, S_T); whiskers are "
           "95% bootstrap intervals; bars left of the dashed line are within replicate noise."),
    "mu_star": ("How to read: a longer bar means moving the parameter across its range "
                "changes {p} more; whiskers are 95% bootstrap intervals; bars left of the "
                "dashed line are within replicate noise."),
    "ks": ("How to read: a longer bar means the runs in which the event happened drew this "
           "parameter from a more different part of its range (Monte Carlo filtering); bars "
           "left of the dashed line are within what chance gives one of the parameters "
           "(5%, Bonferroni)."),
}


_BAR_LABELS = {"ST": "S_T (total)", "mu_star": "μ*", "ks": "KS distance D"}
_METHOD_TITLES = {"ST": "Sobol' total-order indices", "mu_star": "Morris elementary effects",
                  "ks": "Monte Carlo filtering"}


def _label(target: str) -> str:
    if target.startswith(QUESTION_PREFIX):
        return f"P({target.removeprefix(QUESTION_PREFIX)} by its deadline)"
    return f"P({target})"


def tornado(result: SensitivityResult, target: str | None = None, top: int = 15) -> Figure:
    """Tornado chart of the ``top`` parameters of one target.

    Parameters
    ----------
    result : SensitivityResult
        The indices.
    target : str, optional
        A target of ``result`` (default: its first).
    top : int
        Number of parameters shown, largest at the top.

    Returns
    -------
    matplotlib.figure.Figure
        Horizontal bars of ``S_T`` (Sobol, with ``S_1`` inside) or ``mu*`` (Morris)
        with their 95% intervals and the replicate-noise floor, drawn on an Agg
        canvas (no display needed).

    Raises
    ------
    ValueError
        An unknown target, or one whose indices are undefined (constant).

    """
    target = result.targets[0] if target is None else target
    if target not in result.targets:
        raise ValueError(f"unknown target {target!r}; the result has: "
                         f"{', '.join(result.targets)}")
    main = result.main_index
    table = result.indices[target]
    if result.constant(target) or np.all(np.isnan(table[main])):
        raise ValueError(f"the indices of {_label(target)} are undefined: it is "
                         f"{result.mean[target]:.4g} at every design point")
    names = result.ranking(target, top)
    rows = [result.parameters.index(name) for name in names]
    values = np.nan_to_num(table[main][rows])
    conf = (np.nan_to_num(table[CONF_NAMES[main]][rows]) if main in CONF_NAMES
            else np.zeros(len(rows)))
    p = _label(target)

    height = max(3.6, 2.2 + 0.3 * len(rows))
    figure = Figure(figsize=(10.0, height))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = np.arange(len(rows))
    axes.barh(positions, values, xerr=conf if main in CONF_NAMES else None, color="#9ecae1",
              edgecolor="#3182bd", ecolor="#333333", capsize=2.5,
              label=_BAR_LABELS[main])
    if main == "ST":
        axes.barh(positions, np.nan_to_num(table["S1"][rows]), height=0.35, color="#08519c",
                  label="S_1 (first order)")
    floor = result.noise_floor(target)
    if not math.isnan(floor):
        axes.axvline(floor, color="#d62728", linestyle="--", linewidth=1.0,
                     label=(f"critical distance ({floor:.3g})" if main == "ks"
                            else f"noise floor ({floor:.3g})"))
    axes.set_yticks(positions, names, fontsize=8)
    axes.invert_yaxis()
    axes.axvline(0.0, color="black", linewidth=0.6)
    axes.set_xlabel(_AXIS_LABELS[main].format(p=p), fontsize=9)
    axes.set_ylabel("uncertain parameter (scenario path)", fontsize=9)
    axes.set_title(f"{result.scenario}: what drives {p}\n{_METHOD_TITLES[main]}, "
                   f"{result.points:,} points x {result.replicates} replicates, seed "
                   f"{result.seed}; mean {p} = {result.mean[target]:.3g}", fontsize=10)
    axes.legend(fontsize=8, loc="best")
    axes.grid(axis="x", alpha=0.3)
    caption = textwrap.fill(_CAPTIONS[main].format(p=p), 150)
    figure.tight_layout(rect=(0.0, 0.5 / height, 1.0, 1.0))
    figure.text(0.01, 0.08 / height, caption, fontsize=7.5, ha="left", va="bottom")
    return figure


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` as SVG or PNG (by the suffix) atomically.

    The image is written to a temporary file beside ``path`` and moved over it
    with :func:`os.replace`, so a reader never sees half a file; a symbolic
    link is written through, a FIFO or a device in place
    (:func:`redline.files.write_output`).

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure.
    path : str or Path
        Destination ending in ``.svg`` or ``.png``; parent directories are created.

    Returns
    -------
    Path
        The destination.

    Raises
    ------
    ValueError
        Another suffix.

    """
    destination = Path(path)
    image_format = destination.suffix.lower().removeprefix(".")
    if image_format not in ("svg", "png"):
        raise ValueError(f"{destination}: the figure is written as .svg or .png, "
                         f"not {destination.suffix or 'a file without a suffix'}")
    return write_output(destination,
                        lambda handle: figure.savefig(handle, format=image_format, dpi=150))
