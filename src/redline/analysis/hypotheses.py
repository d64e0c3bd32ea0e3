"""Competing hypotheses: posterior over explanations and the ACH matrix.

A scenario's hypotheses ``H_1 .. H_m`` are parameter overlays with priors
``pi_h``; its observations ``o = 1 .. n`` are reports that an event ``E_o``
happened (or did not) by a given week, each from a source of reliability
``r_o``. For each hypothesis the scenario is changed by its overlay and
simulated with the *same* seed, so every hypothesis sees the same random
numbers (common random numbers): a difference between two hypotheses'
estimates comes from the hypotheses, not from sampling noise.

**Likelihood of an event.** ``q_oh = P(E_o | H_h)`` is the share of runs of
the changed scenario in which ``E_o`` happens by its week: ``k_oh`` of ``N``
runs.

**Source reliability.** A source tells the truth with probability ``r`` and
otherwise reports the opposite of what happened, independently of the event
(the simplest "credibility" model of testimony [Schum1994], the Bayesian
reading of a source's reliability rating in intelligence analysis
[Heuer1999]). The likelihood of the report under ``H`` is then::

    P(report "E happened"     | H) = r q + (1 - r)(1 - q)
    P(report "E did not happen" | H) = r (1 - q) + (1 - r) q

A source with ``r = 1/2`` carries no information (every hypothesis gets the
same likelihood, 1/2); ``r = 1`` is a perfect witness; ``r < 1/2`` is a
source that tends to invert the truth, and is informative in reverse.

**Posterior.** The observations are assumed *conditionally independent
given the hypothesis* (the sources do not copy each other, and each report
depends on the world only through its own event), so by Bayes' rule::

    P(H_h | reports) = pi_h prod_o L_oh / sum_g pi_g prod_o L_og,   L_oh = P(report_o | H_h)

computed in log space (:func:`posterior`). The hypotheses are treated as
exclusive and exhaustive: the priors are normalised to sum to one.

**Shared sources.** Reports that relay one underlying source (two officials
citing the same intelligence) are not independent: if the source erred, all
of them err together. An observation's ``source_group`` marks such reports;
the model is a single source whose report each member relays faithfully, so a
group is one piece of evidence, ``P(report | H) = r q + (1 - r)(1 - q)`` with
``r`` the highest reliability among its members (the best-informed relay's
judgement of the source). The loader requires a group's members to report the
same event by the same week; the ACH matrix still shows every report, and
the posterior counts each group once (:attr:`HypothesisAnalysis.counted`).

**Intervals.** The ``q_oh`` are Monte Carlo estimates, so the posterior is
uncertain too. Its 95% interval is a parametric bootstrap over that
uncertainty: each ``q_oh`` is drawn from its Jeffreys posterior
``Beta(k_oh + 1/2, N - k_oh + 1/2)`` [Jeffreys1946] ``draws`` times (2,000 by
default) with a generator seeded from the analysis seed; the posterior is
recomputed for each draw, and the interval is the 2.5th and 97.5th
percentiles of each hypothesis's posterior, widened if need be to contain
the point estimate (computed from ``k / N``). Observations that name the
same event by the same week under the same hypothesis are one quantity and
share one draw. The draws of different hypotheses are independent, although
common random numbers usually correlate their estimates positively; ignoring
a positive correlation makes the intervals wider, not narrower. The interval covers the
simulation's sampling error only, not doubt about priors, reliabilities or
the model.

**ACH matrix** [Heuer1999, ch. 8]. Analysis of competing hypotheses lays
out the evidence (rows) against the hypotheses (columns) and asks, cell by
cell, how consistent the evidence is with the hypothesis; the hypothesis
with the least evidence *against* it is preferred, and evidence that is
consistent with every hypothesis is of no help in choosing between them.
Here the consistency of observation ``o`` with ``H`` is its likelihood
``L_oh``, rated ``C`` (consistent) when ``L_oh >= 0.6``, ``I`` (inconsistent)
when ``L_oh <= 0.4``, ``N`` (neutral) in between (:data:`CONSISTENT`,
:data:`INCONSISTENT`). A source of reliability ``r`` can only produce
likelihoods between ``1 - r`` and ``r``, so a weak source (``r < 0.6``)
never earns a ``C`` or an ``I``. A hypothesis's inconsistency score is its
number of ``I`` ratings, Heuer's count of the evidence against it.

**Diagnosticity** of observation ``o`` is what Heuer's matrix is for: how
far the evidence discriminates. It is the largest absolute log likelihood
ratio between any two hypotheses, ``max_h log L_oh - min_h log L_oh`` (in
nats; infinite when the report is impossible under some hypothesis but not
all). An observation whose largest ratio is below 1.05
(:data:`NON_DIAGNOSTIC`) is flagged non-diagnostic: it moves the odds
between any two hypotheses by less than 5%.

Only the weeks up to the latest observation's ``by_week`` are simulated: the
dynamics of weeks ``0 .. w`` do not depend on the horizon, and the random
numbers are drawn week by week, so the estimates equal those of a run over
the whole horizon.

>>> import numpy as np
>>> report_likelihood(np.array([0.0, 0.9, 1.0]), 0.85, observed=True).round(3).tolist()
[0.15, 0.78, 0.85]
>>> posterior(np.array([0.5, 0.5]), np.array([[0.26], [0.74]])).round(2).tolist()
[0.26, 0.74]
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from redline.arrays.scenario_arrays import compile_scenario
from redline.engine.executors import Executor
from redline.engine.run import check_run_arguments, simulate
from redline.results import Estimate
from redline.scenario.models import Scenario
from redline.scenario.overlay import apply_overlay

Progress = Callable[[int, int], None]

#: A likelihood at or above this rates the evidence consistent with the hypothesis ("C").
CONSISTENT = 0.6
#: A likelihood at or below this rates the evidence inconsistent with the hypothesis ("I").
INCONSISTENT = 0.4
#: Diagnosticity (nats) below which an observation is flagged non-diagnostic: ratio < 1.05.
NON_DIAGNOSTIC = math.log(1.05)
#: Bootstrap draws of the event probabilities for the posterior's interval.
DRAWS = 2_000
#: Extra entropy word that separates the bootstrap's generator from the engine's streams.
_BOOTSTRAP_TAG = 0x48595054  # "HYPT"


class NoHypothesesError(ValueError):
    """The scenario declares no hypotheses, so there is nothing to weigh."""


# ------------------------------------------------------------ pure functions


def report_likelihood(p_event: ArrayLike, reliability: ArrayLike,
                      observed: ArrayLike = True) -> NDArray[np.float64]:
    """Probability of a source's report given the event's probability [Schum1994].

    The source tells the truth with probability ``reliability`` and otherwise
    reports the opposite: ``r q + (1 - r)(1 - q)`` for a report that the event
    happened, ``r (1 - q) + (1 - r) q`` for a report that it did not.

    Parameters
    ----------
    p_event : probability ``q`` of the event under the hypothesis (any shape).
    reliability : probability ``r`` that the source reports truly (broadcast).
    observed : whether the report says the event happened (broadcast).

    Returns
    -------
    numpy.ndarray
        The likelihood of the report, broadcast over the inputs.

    >>> float(report_likelihood(0.3, 0.5))
    0.5
    >>> float(report_likelihood(0.0, 1.0, observed=False))
    1.0
    """
    q = np.asarray(p_event, dtype=np.float64)
    r = np.asarray(reliability, dtype=np.float64)
    said = np.where(np.asarray(observed, dtype=bool), q, 1.0 - q)
    return r * said + (1.0 - r) * (1.0 - said)


def posterior(priors: ArrayLike, likelihoods: ArrayLike) -> NDArray[np.float64]:
    """Bayes' rule over exclusive hypotheses with conditionally independent evidence.

    ``P(H_h | e) = pi_h prod_o L_ho / sum_g pi_g prod_o L_go``, computed in log
    space so that many small likelihoods do not underflow [Heuer1999; Schum1994].

    Parameters
    ----------
    priors : shape (m,), non-negative, not all zero; normalised here.
    likelihoods : shape (..., m, n): ``P(report_o | H_h)`` for hypothesis ``h`` and
        observation ``o``; leading axes are independent replicates (bootstrap draws).
        With ``n = 0`` the posterior is the (normalised) prior.

    Returns
    -------
    numpy.ndarray
        Shape (..., m), summing to one over the last axis; NaN where the
        evidence is impossible under every hypothesis.

    >>> posterior([0.2, 0.8], np.ones((2, 0))).tolist()
    [0.2, 0.8]
    >>> posterior([0.5, 0.5], [[0.0], [0.3]]).tolist()
    [0.0, 1.0]
    """
    prior = np.asarray(priors, dtype=np.float64)
    table = np.asarray(likelihoods, dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_joint = np.log(prior) + np.log(table).sum(axis=-1)
    top = np.max(log_joint, axis=-1, keepdims=True)
    possible = np.isfinite(top)
    with np.errstate(invalid="ignore"):
        weights = np.where(possible, np.exp(log_joint - np.where(possible, top, 0.0)), np.nan)
    return weights / weights.sum(axis=-1, keepdims=True)


def diagnosticity(likelihoods: ArrayLike) -> NDArray[np.float64]:
    """Largest absolute log likelihood ratio between two hypotheses, per observation.

    ``D_o = max_h log L_ho - min_h log L_ho`` (nats) [Heuer1999, ch. 8]: 0 when every
    hypothesis gives the report the same likelihood (the evidence cannot tell
    them apart), infinite when the report is impossible under some but not all.

    Parameters
    ----------
    likelihoods : shape (m, n) (hypotheses by observations), or (..., m, n).

    Returns
    -------
    numpy.ndarray
        Shape (n,) (or (..., n)).

    >>> diagnosticity([[0.5, 0.2], [0.5, 0.8]]).round(4).tolist()
    [0.0, 1.3863]
    """
    table = np.asarray(likelihoods, dtype=np.float64)
    high = table.max(axis=-2)
    low = table.min(axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.log(high) - np.log(low)
    return np.where(high == low, 0.0, spread)


def ach_rating(likelihood: float) -> str:
    """Heuer's consistency rating of a likelihood: ``"C"``, ``"N"`` or ``"I"``.

    >>> [ach_rating(p) for p in (0.85, 0.5, 0.15)]
    ['C', 'N', 'I']
    """
    value = round(float(likelihood), 12)  # 0.6 * 1 + 0.4 * 0 must rate as 0.6
    if value >= CONSISTENT:
        return "C"
    if value <= INCONSISTENT:
        return "I"
    return "N"


def posterior_interval(priors: ArrayLike, counts: ArrayLike, runs: int, reliability: ArrayLike,
                       observed: ArrayLike, rng: np.random.Generator, draws: int = DRAWS,
                       groups: Sequence[int] | None = None
                       ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """95% bootstrap interval of each hypothesis's posterior over Monte Carlo error.

    Each event probability is drawn ``draws`` times from its Jeffreys posterior
    ``Beta(k + 1/2, N - k + 1/2)`` [Jeffreys1946]; the posterior is recomputed for
    every draw and the 2.5th and 97.5th percentiles are returned.

    Parameters
    ----------
    priors : shape (m,).
    counts : shape (m, n): runs, out of ``runs``, in which each observation's event
        happened under each hypothesis.
    runs : runs per hypothesis.
    reliability, observed : shape (n,): each observation's source reliability and report.
    rng : the generator of the draws.
    draws : number of bootstrap draws.
    groups : shape (n,): observations with the same group number are the same event
        and share one draw (default: each its own).

    Returns
    -------
    tuple of numpy.ndarray
        ``(lo, hi)``, each of shape (m,); NaN where a posterior is undefined.

    """
    k = np.asarray(counts, dtype=np.float64)
    n_obs = k.shape[1]
    group = np.arange(n_obs) if groups is None else np.asarray(groups, dtype=np.int64)
    # one representative column per group, drawn once, then spread to its members
    _, first, member = np.unique(group, return_index=True, return_inverse=True)
    rep = k[:, first]
    q = rng.beta(rep + 0.5, runs - rep + 0.5, size=(draws, *rep.shape))[..., member]
    table = report_likelihood(q, np.asarray(reliability)[None, None, :],
                              np.asarray(observed)[None, None, :])
    samples = posterior(priors, table)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: impossible evidence
        lo, hi = np.nanpercentile(samples, [2.5, 97.5], axis=0)
    return lo, hi


# ------------------------------------------------------------------ analysis


@dataclass
class HypothesisAnalysis:
    """Posterior over a scenario's hypotheses and the ACH matrix of its observations.

    Attributes
    ----------
    scenario : scenario name.
    hypotheses, observations : ids, in scenario order (rows ``h``, columns ``o`` below).
    prior : shape (m,): normalised priors.
    events : hypothesis -> observation -> Estimate of ``P(E_o | H)`` (Wilson interval).
    reliability, observed : shape (n,): each observation's source reliability and report.
    likelihoods : shape (m, n): ``P(report_o | H_h)``.
    posterior, lo, hi : shape (m,): posterior and its 95% bootstrap interval.
    diagnosticity : shape (n,): largest absolute log likelihood ratio (nats).
    runs, seed, draws : how it was computed (runs per hypothesis, common seed,
        bootstrap draws).
    weeks : weeks simulated per hypothesis (up to the latest observation).
    notes : statements about the analysis a reader must see (normalised priors,
        no observations, misaligned random numbers, impossible evidence, shared
        sources).
    counted : the observations the posterior counts: all, except that each
        source group is counted once, through its most reliable member.
    source_groups : observation -> its source group, for those in one.

    """

    scenario: str
    hypotheses: list[str]
    observations: list[str]
    prior: NDArray[np.float64]
    events: dict[str, dict[str, Estimate]]
    reliability: NDArray[np.float64]
    observed: NDArray[np.bool_]
    likelihoods: NDArray[np.float64]
    posterior: NDArray[np.float64]
    lo: NDArray[np.float64]
    hi: NDArray[np.float64]
    diagnosticity: NDArray[np.float64]
    runs: int
    seed: int
    draws: int
    weeks: int
    notes: list[str] = field(default_factory=list)
    counted: list[str] = field(default_factory=list)
    source_groups: dict[str, str] = field(default_factory=dict)

    def rating(self, observation: str, hypothesis: str) -> str:
        """ACH rating (``C``, ``N``, ``I``) of one observation under one hypothesis."""
        return ach_rating(float(self.likelihoods[self.hypotheses.index(hypothesis),
                                                 self.observations.index(observation)]))

    @property
    def non_diagnostic(self) -> list[str]:
        """Observations that cannot tell any two hypotheses apart (ratio below 1.05)."""
        return [obs for obs, d in zip(self.observations, self.diagnosticity, strict=True)
                if d < NON_DIAGNOSTIC]

    @property
    def separates(self) -> dict[str, tuple[str, str] | None]:
        """Per observation, the hypotheses it most favours and most disfavours (None: none)."""
        return {obs: (self.hypotheses[int(np.argmax(column))],
                      self.hypotheses[int(np.argmin(column))]) if d > 0 else None
                for obs, column, d in zip(self.observations, self.likelihoods.T,
                                          self.diagnosticity, strict=True)}

    @property
    def inconsistency(self) -> dict[str, int]:
        """Heuer's inconsistency score: number of ``I`` ratings of each hypothesis."""
        return {hyp: sum(ach_rating(float(value)) == "I" for value in self.likelihoods[h])
                for h, hyp in enumerate(self.hypotheses)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the document of ``redline hypotheses --json``).

        Keys: ``scenario``, ``runs``, ``seed``, ``draws``, ``weeks``; ``posterior``
        (hypothesis -> ``p``, ``lo``, ``hi``, ``prior``); ``likelihoods`` (hypothesis ->
        observation -> ``P(report | H)``); ``events`` (hypothesis -> observation ->
        ``P(E | H)`` with its Wilson interval and count); ``ach`` (observation ->
        hypothesis -> ``likelihood`` and ``rating``); ``diagnosticity`` (observation ->
        nats, ``null`` when infinite); ``non_diagnostic`` (observation ids); ``separates``
        (observation -> [hypothesis it most favours, hypothesis it most disfavours], or
        ``null`` when it favours none);
        ``inconsistency`` (hypothesis -> count of ``I``); ``observations``
        (observation -> ``reliability``, ``observed``, ``source_group``); ``counted``
        (the observations the posterior counts); ``notes``. Undefined numbers (NaN)
        are ``null``.
        """
        h_ids, o_ids = self.hypotheses, self.observations
        return {
            "scenario": self.scenario,
            "runs": self.runs,
            "seed": self.seed,
            "draws": self.draws,
            "weeks": self.weeks,
            "posterior": {
                hyp: {"p": _number(self.posterior[h]), "lo": _number(self.lo[h]),
                      "hi": _number(self.hi[h]), "prior": _number(self.prior[h])}
                for h, hyp in enumerate(h_ids)
            },
            "likelihoods": {hyp: {obs: _number(self.likelihoods[h, o])
                                  for o, obs in enumerate(o_ids)}
                            for h, hyp in enumerate(h_ids)},
            "events": {hyp: {obs: estimate.to_dict() for obs, estimate in row.items()}
                       for hyp, row in self.events.items()},
            "ach": {obs: {hyp: {"likelihood": _number(self.likelihoods[h, o]),
                                "rating": ach_rating(float(self.likelihoods[h, o]))}
                          for h, hyp in enumerate(h_ids)}
                    for o, obs in enumerate(o_ids)},
            "diagnosticity": {obs: _number(self.diagnosticity[o]) for o, obs in enumerate(o_ids)},
            "non_diagnostic": self.non_diagnostic,
            "separates": {obs: list(pair) if pair else None
                          for obs, pair in self.separates.items()},
            "inconsistency": self.inconsistency,
            "observations": {obs: {"reliability": float(self.reliability[o]),
                                   "observed": bool(self.observed[o]),
                                   "source_group": self.source_groups.get(obs)}
                             for o, obs in enumerate(o_ids)},
            "counted": list(self.counted),
            "notes": list(self.notes),
        }


def _number(value: float) -> float | None:
    """A float for JSON: NaN and infinities become ``None``."""
    value = float(value)
    return value if math.isfinite(value) else None


def _offset(progress: Progress, done: int, total: int) -> Progress:
    """A progress callback for one simulation among several, in run-weeks of all."""
    def advance(part: int, _whole: int) -> None:
        progress(done + part, total)

    return advance


def _event_key(observation: Any) -> str:
    """Observations with equal keys are the same event by the same week."""
    return json.dumps([observation.model_dump(mode="json", by_alias=True)["event"],
                       observation.by_week], sort_keys=True)


def require_hypotheses(scenario: Scenario) -> None:
    """Raise :class:`NoHypothesesError` if the scenario declares no hypotheses."""
    if not scenario.hypotheses:
        raise NoHypothesesError(
            f"scenario {scenario.name!r} has no hypotheses: add a 'hypotheses:' list "
            "(each an id, a prior and an overlay) to weigh explanations")


def evaluate_hypotheses(scenario: Scenario, runs: int = 10_000, seed: int = 0,
                        progress: Progress | None = None, *,
                        draws: int = DRAWS,
                        executor: Executor | None = None) -> HypothesisAnalysis:
    """Weigh a scenario's hypotheses against its observations.

    Every hypothesis's overlay is applied (and validated) before any simulation;
    each changed scenario is then simulated with the same ``seed`` (common random
    numbers) up to the latest observation's week. See the module docstring for
    the model of source reliability, the posterior, its interval, the ACH ratings
    and diagnosticity [Heuer1999; Schum1994; Jeffreys1946].

    Parameters
    ----------
    scenario : a validated scenario with at least one hypothesis.
    runs : runs per hypothesis.
    seed : root seed shared by every hypothesis; also seeds the bootstrap.
    progress : called as ``progress(done, total)`` in run-weeks over all hypotheses.
    draws : bootstrap draws for the posterior's interval.

    Returns
    -------
    HypothesisAnalysis

    Raises
    ------
    NoHypothesesError
        If the scenario has no hypotheses.
    ScenarioError
        If an overlay leads nowhere or makes an invalid scenario.
    ValueError
        If ``runs``, ``seed`` or ``draws`` is out of range.

    """
    check_run_arguments(runs, seed, None, None)
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    require_hypotheses(scenario)
    notes: list[str] = []
    changed = [apply_overlay(scenario, hypothesis.overlay, what=f"hypothesis {hypothesis.id}")
               for hypothesis in scenario.hypotheses]
    h_ids = [hypothesis.id for hypothesis in scenario.hypotheses]
    raw_prior = np.array([hypothesis.prior for hypothesis in scenario.hypotheses])
    total_prior = float(raw_prior.sum())
    prior = raw_prior / total_prior
    if not math.isclose(total_prior, 1.0, abs_tol=1e-6):  # the loader's tolerance
        notes.append(f"the priors sum to {total_prior:.6g}; they are normalised to sum to 1 "
                     "(the hypotheses are treated as exclusive and exhaustive)")
    observations = scenario.observations
    o_ids = [observation.id for observation in observations]
    reliability = np.array([observation.reliability for observation in observations],
                           dtype=np.float64)
    observed = np.array([observation.observed for observation in observations], dtype=bool)
    m, n = len(h_ids), len(o_ids)
    if n == 0:
        notes.append("the scenario has no observations: the posterior is the prior")
        return HypothesisAnalysis(
            scenario=scenario.name, hypotheses=h_ids, observations=[], prior=prior,
            events={hyp: {} for hyp in h_ids}, reliability=reliability, observed=observed,
            likelihoods=np.empty((m, 0)), posterior=prior.copy(), lo=prior.copy(),
            hi=prior.copy(), diagnosticity=np.empty(0), runs=int(runs), seed=int(seed),
            draws=int(draws), weeks=0, notes=notes)

    base_slots = compile_scenario(scenario).slots.names
    misaligned = [hyp for hyp, world in zip(h_ids, changed, strict=True)
                  if compile_scenario(world).slots.names != base_slots]
    if misaligned:
        notes.append("the overlays of " + ", ".join(misaligned) + " change the scenario's "
                     "structure, so their random numbers are not common with the others'")
    weeks_of = [max(1, min(world.horizon, max(o.by_week for o in observations)))
                for world in changed]
    total = int(runs) * sum(weeks_of)
    counts = np.zeros((m, n), dtype=np.int64)
    events: dict[str, dict[str, Estimate]] = {}
    done = 0
    for h, (hyp, world) in enumerate(zip(h_ids, changed, strict=True)):
        result = simulate(world, runs=runs, seed=seed, horizon=weeks_of[h], executor=executor,
                          progress=None if progress is None else _offset(progress, done, total))
        events[hyp] = {obs: result.observations[obs] for obs in o_ids}
        counts[h] = [events[hyp][obs].count for obs in o_ids]
        done += int(runs) * weeks_of[h]

    likelihoods = report_likelihood(counts / runs, reliability[None, :], observed[None, :])
    counted = counted_observations(observations)
    notes += _shared_source_notes(observations, counted)
    point = posterior(prior, likelihoods[:, counted])
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), _BOOTSTRAP_TAG]))
    keys = [_event_key(observation) for observation in observations]
    groups = [keys.index(keys[c]) for c in counted]
    lo, hi = posterior_interval(prior, counts[:, counted], runs, reliability[counted],
                                observed[counted], rng, draws, groups)
    lo, hi = np.fmin(lo, point), np.fmax(hi, point)
    if not np.isfinite(point).all():
        notes.append("the reports are impossible under every hypothesis (a source of "
                     "reliability 0 or 1 contradicts every simulated world): no posterior")
    return HypothesisAnalysis(
        scenario=scenario.name, hypotheses=h_ids, observations=o_ids, prior=prior,
        events=events, reliability=reliability, observed=observed, likelihoods=likelihoods,
        posterior=point, lo=lo, hi=hi, diagnosticity=diagnosticity(likelihoods),
        runs=int(runs), seed=int(seed), draws=int(draws), weeks=max(weeks_of), notes=notes,
        counted=[o_ids[c] for c in counted],
        source_groups={o.id: o.source_group for o in observations if o.source_group})


def counted_observations(observations: Sequence[Any]) -> list[int]:
    """Indices of the observations the posterior counts: each source group once.

    A group is represented by its most reliable member (the first on a tie);
    observations without a group are all counted.

    >>> from types import SimpleNamespace as O
    >>> counted_observations([O(source_group=None, reliability=0.6),
    ...                       O(source_group="g", reliability=0.6),
    ...                       O(source_group="g", reliability=0.85)])
    [0, 2]
    """
    best: dict[str, int] = {}
    for i, observation in enumerate(observations):
        group = observation.source_group
        if group is not None and (group not in best or observation.reliability
                                  > observations[best[group]].reliability):
            best[group] = i
    return [i for i, observation in enumerate(observations)
            if observation.source_group is None or best[observation.source_group] == i]


def _shared_source_notes(observations: Sequence[Any], counted: list[int]) -> list[str]:
    notes = []
    for group in dict.fromkeys(o.source_group for o in observations if o.source_group):
        members = [o for o in observations if o.source_group == group]
        if len(members) < 2:
            continue
        lead = next(observations[c] for c in counted if observations[c].source_group == group)
        notes.append(f"{', '.join(o.id for o in members)} relay one source (group {group!r}): "
                     f"counted once, as {lead.id} (reliability {lead.reliability:g})")
    return notes
