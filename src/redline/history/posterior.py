"""The posterior of the decision and mapping parameters, from the record of crisis dynamics.

The parameters theta of :class:`redline.history.mapping.MappingParameters`
(escalation, rationality lambda, switching cost k, planning weeks H, talks
hazard) are estimated on the unconstrained scale z (log of the first four,
logit of the talks hazard) from the ICB crises' coded dynamics (violence,
agreement, and each first crisis actor's outcome, major response, the
intensity of its violence, its response's timing and the crisis's
duration: :mod:`redline.history.targets`).

Method (simulated likelihood with common random numbers, then a Laplace
approximation from a response surface):

1. The likelihood l(z) is the simulated one of
   :class:`redline.history.calibration.Objective`: each crisis type is
   simulated with the same seed at every z (common random numbers
   [LawKelton2000]), so l is a deterministic function of z, and the data
   being categorical, no summary statistic is needed.
2. The prior is independent normal on z (:data:`PRIOR`, wide: each 95%
   range spans one to three orders of magnitude).
3. The posterior mode is searched by Nelder-Mead [NelderMead1965] on
   -(l(z) + log prior(z)).
4. The simulated l is piecewise constant at the scale of one run, so finite
   differences of it are noise. Instead a quadratic is fitted by least
   squares to l on a scrambled Sobol design around the mode [Sobol2001]
   (response surface methodology), twice: first in a box of half-width
   :data:`FIRST_BOX`, then in the ellipsoid of twice the first fit's
   posterior standard deviations. The fitted curvature, with negative
   eigenvalues set to zero (a direction the data do not inform, left to the
   prior), plus the prior's precision, is the posterior precision; its mean
   is the quadratic's maximum (kept inside the design). A parameter whose
   posterior standard deviation stays above 90% of its prior's is reported
   as not informed by the data.
5. The simulated l is noisy between nearby points, not only piecewise
   constant (its standard deviation across seeds is about 9 log units on the
   446 crises with 100 runs per type), and common random numbers freeze that
   noise: the last fit's maximum carries it. That mean is linear in the
   fitted gradient, m = c + S (g + P_0 (mu_0 - c)) with S the covariance
   above, so the noise's share of its error has covariance S V_g S, where
   V_g is the fitted gradient's covariance (the residual mean square of the
   fit times the gradient's block of (X'X)^-1, :func:`gradient_noise`); it
   is added to S (the simulation's error counted with the data's), no
   direction being left wider than the prior's (:func:`no_wider_than`).
   Only the last fit is treated so: over the first box, which the peak may
   not fill, lack of fit would pass for noise.

The result is a normal posterior on z (log-normal marginals on the natural
scale, logit-normal for the talks hazard). Why this and not the others the
literature offers: sequential Monte Carlo ABC needs summary statistics and
thousands of simulations of the whole data set (each about 0.4 s here), and
neural posterior estimation needs a trained network and its library; the
likelihood of categorical data is available by simulation at the cost of
one ABC simulation, and with common random numbers about a hundred
evaluations suffice. The price is the normal shape, which simulation-based
calibration (:func:`calibration_check`) tests: data simulated from
parameters drawn from the prior are recovered, and the intervals cover at
their nominal rate or the check says they do not.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.stats import norm, qmc

from redline.history.mapping import MappingParameters
from redline.scenario.estimates import shipped_document

#: The estimated parameters, in the order of z.
NAMES = ("escalation", "rationality", "switching_cost", "planning_weeks", "talks_hazard")
#: Prior on z: (mean, standard deviation) of log escalation, log rationality, log switching
#: cost, log planning weeks and logit talks hazard. Centred on a unit escalation, lambda 5,
#: the engine's switching cost 0.1, a quarter-year plan (13 weeks) and a 10% weekly chance
#: of a deal; wide enough that each 95% range spans one to three orders of magnitude.
PRIOR: dict[str, tuple[float, float]] = {
    "escalation": (0.0, 1.0),
    "rationality": (math.log(5.0), 1.5),
    "switching_cost": (math.log(0.1), 1.5),
    "planning_weeks": (math.log(13.0), 1.0),
    "talks_hazard": (math.log(0.1 / 0.9), 1.5),
}
#: A parameter whose posterior standard deviation is above this share of its prior's is
#: reported as not informed by the data (its variance shrank by less than a fifth).
UNINFORMED = 0.9
#: The fitted maximum replaces the search's mode unless its simulated log posterior is lower
#: by more than this (the simulated likelihood moves by about 1 per run that changes class).
ACCEPT_TOLERANCE = 2.0
#: Most evaluations of the mode search, by default.
MODE_EVALUATIONS = 300
#: Evaluations of one round of the mode search, and the least gain in log posterior that
#: earns another round.
RESTART_EVALUATIONS = 100
RESTART_GAIN = 0.5
#: Points of the global design whose best starts the mode search.
GLOBAL_POINTS = 64
#: Half-width (on z) of the first response-surface design around the mode.
FIRST_BOX = 0.5
#: Points of each response-surface design (a quadratic in 5 dimensions has 21 coefficients).
DESIGN_POINTS = 32
#: The smallest design worth fitting (a quadratic in 5 dimensions has 21 coefficients), for
#: quick runs and tests.
QUICK_DESIGN = 22
#: The mode search's evaluations in quick runs.
QUICK_EVALUATIONS = 20
#: Version of the shipped posterior file's format.
FORMAT_VERSION = 1
#: A seed after the first searches with this share (1/n) of the first's budget.
REPLICATE_SHARE = 3
#: Spawn key of the simulation seeds after the first (:func:`seed_of_replicate`).
SEED_REPLICATE_KEY = 31
#: Seeds the shipped estimate combines (:func:`combine_seeds`).
SEEDS = 3


def prior_mean() -> NDArray[np.float64]:
    """The prior mean of z."""
    return np.array([PRIOR[name][0] for name in NAMES])


def prior_sd() -> NDArray[np.float64]:
    """The prior standard deviations of z."""
    return np.array([PRIOR[name][1] for name in NAMES])


def log_prior(z: ArrayLike) -> float:
    """Log prior density of z (up to a constant)."""
    scaled = (np.asarray(z, dtype=np.float64) - prior_mean()) / prior_sd()
    return -0.5 * float(scaled @ scaled)


def to_params(z: ArrayLike) -> MappingParameters:
    """Unconstrained z -> parameters."""
    z = np.asarray(z, dtype=np.float64)
    return MappingParameters(escalation=math.exp(z[0]), rationality=math.exp(z[1]),
                             switching_cost=math.exp(z[2]), planning_weeks=math.exp(z[3]),
                             talks_hazard=1.0 / (1.0 + math.exp(-z[4])))


def to_vector(params: MappingParameters) -> NDArray[np.float64]:
    """Parameters -> unconstrained z."""
    p = params.talks_hazard
    return np.array([math.log(params.escalation), math.log(params.rationality),
                     math.log(params.switching_cost), math.log(params.planning_weeks),
                     math.log(p / (1.0 - p))])


def _natural(name: str, z: NDArray[np.float64]) -> NDArray[np.float64]:
    if name == "talks_hazard":
        result: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return result
    return np.exp(z)


@dataclass
class Posterior:
    """A normal posterior on z, with what it was estimated from."""

    mean: NDArray[np.float64]
    covariance: NDArray[np.float64]
    log_likelihood: float
    evaluations: int
    uninformed: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def sd(self) -> NDArray[np.float64]:
        """Posterior standard deviations of z."""
        return np.sqrt(np.diag(self.covariance))

    def median(self) -> MappingParameters:
        """The parameters at the posterior mean of z (each marginal's median)."""
        return to_params(self.mean)

    def interval(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Central ``level`` interval of each parameter on its natural scale."""
        half = norm.ppf(0.5 + level / 2.0) * self.sd
        return {name: (float(_natural(name, self.mean[i] - half[i])),
                       float(_natural(name, self.mean[i] + half[i])))
                for i, name in enumerate(NAMES)}

    def draw(self, count: int, rng: np.random.Generator) -> list[MappingParameters]:
        """``count`` parameter sets drawn from the posterior."""
        z = rng.multivariate_normal(self.mean, self.covariance, size=count, method="cholesky")
        return [to_params(row) for row in z]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the shipped file's content)."""
        return {
            "format_version": FORMAT_VERSION,
            "parameters": list(NAMES),
            "scale": "z: log of escalation, rationality, switching_cost, planning_weeks; "
                     "logit of talks_hazard",
            "mean_z": self.mean.tolist(), "covariance_z": self.covariance.tolist(),
            "median": asdict(self.median()),
            "interval_95": {k: list(v) for k, v in self.interval().items()},
            "prior": {name: {"mean_z": PRIOR[name][0], "sd_z": PRIOR[name][1]}
                      for name in NAMES},
            "uninformed": self.uninformed,
            "log_likelihood": self.log_likelihood, "evaluations": self.evaluations,
            "provenance": self.provenance,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Posterior:
        """Read the form written by :meth:`to_dict` (checks the format and the names)."""
        if data.get("format_version") != FORMAT_VERSION or data.get("parameters") != list(NAMES):
            raise ValueError(f"not a redline decision posterior of format {FORMAT_VERSION} "
                             f"with parameters {', '.join(NAMES)}")
        mean = np.asarray(data["mean_z"], dtype=np.float64)
        covariance = np.asarray(data["covariance_z"], dtype=np.float64)
        if mean.shape != (len(NAMES),) or covariance.shape != (len(NAMES), len(NAMES)):
            raise ValueError("mean_z or covariance_z has the wrong shape")
        return cls(mean=mean, covariance=covariance,
                   log_likelihood=float(data["log_likelihood"]),
                   evaluations=int(data["evaluations"]),
                   uninformed=list(data.get("uninformed", [])),
                   provenance=dict(data.get("provenance", {})))


def shipped_posterior() -> Posterior:
    """The posterior shipped in the package (estimated on every ICB crisis, 1918-2004)."""
    return Posterior.from_dict(shipped_document())


def _quadratic_features(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """[1, x_i, x_i x_j (i <= j)] for each row of x."""
    n, d = x.shape
    upper = [(i, j) for i in range(d) for j in range(i, d)]
    return np.hstack([np.ones((n, 1)), x, np.stack([x[:, i] * x[:, j] for i, j in upper],
                                                    axis=1)])


def gradient_noise(offsets: NDArray[np.float64], values: NDArray[np.float64]
                   ) -> NDArray[np.float64]:
    """Covariance of the fitted gradient of :func:`response_surface` due to the values' noise.

    The noise variance is estimated by the residual mean square of the
    least-squares quadratic (residual sum of squares over residual degrees of
    freedom; lack of fit counts as noise, which errs on the side of width);
    the covariance is that variance times the gradient's block of
    (X'X)^-1, the variance of least-squares coefficients [BoxDraper2007].
    Zero when the design has no residual degrees of freedom.
    """
    d = offsets.shape[1]
    features = _quadratic_features(offsets)
    freedom = len(values) - features.shape[1]
    if freedom <= 0:
        return np.zeros((d, d))
    coefficients, *_ = np.linalg.lstsq(features, values, rcond=None)
    residual = values - features @ coefficients
    variance = float(residual @ residual) / freedom
    unscaled = np.linalg.pinv(features.T @ features)
    block: NDArray[np.float64] = variance * unscaled[1:1 + d, 1:1 + d]
    return block


def response_surface(offsets: NDArray[np.float64], values: NDArray[np.float64]
                     ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Least-squares quadratic of ``values`` in ``offsets``: (gradient, Hessian) at 0."""
    d = offsets.shape[1]
    coefficients, *_ = np.linalg.lstsq(_quadratic_features(offsets), values, rcond=None)
    gradient = np.asarray(coefficients[1:1 + d], dtype=np.float64)
    hessian = np.zeros((d, d))
    k = 1 + d
    for i in range(d):
        for j in range(i, d):
            if i == j:
                hessian[i, i] = 2.0 * coefficients[k]
            else:
                hessian[i, j] = hessian[j, i] = coefficients[k]
            k += 1
    return gradient, hessian


def no_wider_than(covariance: NDArray[np.float64], prior: NDArray[np.float64]
                  ) -> NDArray[np.float64]:
    """``covariance`` with no direction wider than ``prior``'s.

    In the coordinates where the prior is the identity, eigenvalues above 1
    are set to 1: whatever the simulation's error, the data cannot leave a
    parameter less certain than the prior did.
    """
    root = np.linalg.cholesky(prior)
    inverse = np.linalg.inv(root)
    eigenvalues, vectors = np.linalg.eigh(inverse @ covariance @ inverse.T)
    whitened = (vectors * np.minimum(eigenvalues, 1.0)) @ vectors.T
    result: NDArray[np.float64] = root @ whitened @ root.T
    return 0.5 * (result + result.T)


def _laplace(centre: NDArray[np.float64], offsets: NDArray[np.float64],
             values: NDArray[np.float64], bound: NDArray[np.float64],
             prior: tuple[NDArray[np.float64], NDArray[np.float64]]
             ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Candidate mean and covariance from the fitted likelihood surface plus the prior.

    ``prior``: (mean, precision) in the coordinates of ``centre``.
    """
    gradient, hessian = response_surface(offsets, values)
    # the curvature of -l; a direction where l does not fall is left to the prior
    eigenvalues, vectors = np.linalg.eigh(-hessian)
    likelihood_precision = (vectors * np.clip(eigenvalues, 0.0, None)) @ vectors.T
    prior_mean_w, prior_precision = prior
    covariance = np.linalg.inv(likelihood_precision + prior_precision)
    # maximise g'x - x'Px/2 + log prior(centre + x): (P_l + P_0) x = g + P_0 (mu_0 - centre)
    step = covariance @ (gradient + prior_precision @ (prior_mean_w - centre))
    step = np.clip(step, -bound, bound)
    return centre + step, 0.5 * (covariance + covariance.T)


#: The coordinates the estimator searches in: w = WEIGHTS z, the log weights of the terms
#: of a decision's utility (redline.mechanisms.decisions), lambda H escalation (military
#: gain), lambda H (weekly cost), lambda k (switching), lambda (red-line risk), and the
#: logit talks hazard. The data inform these far more evenly than z itself: moving lambda
#: up and H and k down by the same factor changes only the risk term, a ridge in z that
#: is one axis in w.
WEIGHTS = np.array([
    [1.0, 1.0, 0.0, 1.0, 0.0],
    [0.0, 1.0, 0.0, 1.0, 0.0],
    [0.0, 1.0, 1.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0, 1.0],
])


def _design(count: int, seed: int) -> NDArray[np.float64]:
    """The first ``count`` of a power-of-two set of scrambled Sobol points, in [-1, 1]^d."""
    sampler = qmc.Sobol(d=len(NAMES), scramble=True, seed=np.random.default_rng(seed))
    points = sampler.random_base2(max(1, math.ceil(math.log2(count))))[:count]
    result: NDArray[np.float64] = 2.0 * points - 1.0
    return result


def _search(log_posterior: Callable[[NDArray[np.float64]], float], x0: NDArray[np.float64],
            max_evaluations: int) -> tuple[NDArray[np.float64], float]:
    """Nelder-Mead from ``x0``, restarted from its result while a restart still gains.

    A restart rebuilds the simplex (steps of 0.5), which frees the search from a
    simplex that collapsed along a valley of the likelihood (measured on data
    simulated with lambda near 90: three rounds of 100 evaluations reach the
    truth's log posterior within 3, one round stops 120 below it).
    """
    remaining, centre, best = max_evaluations, x0, -math.inf
    while remaining > 0:
        simplex = np.vstack([centre] + [centre + 0.5 * row for row in np.eye(len(centre))])
        found = minimize(lambda w: -log_posterior(w), centre, method="Nelder-Mead",
                         options={"maxfev": min(RESTART_EVALUATIONS, remaining),
                                  "initial_simplex": simplex, "xatol": 0.02, "fatol": 0.1})
        remaining -= int(found.nfev)
        gain = -float(found.fun) - best
        if -float(found.fun) > best:
            centre, best = np.asarray(found.x, dtype=np.float64), -float(found.fun)
        if gain < RESTART_GAIN:
            break
    return centre, best


def estimate(log_likelihood: Callable[[NDArray[np.float64]], float],
             max_evaluations: int = MODE_EVALUATIONS, design_points: int = DESIGN_POINTS,
             seed: int = 0,
             start: ArrayLike | None = None, global_points: int = GLOBAL_POINTS) -> Posterior:
    """The posterior of z given a (simulated) log-likelihood function of z (module docstring).

    The search and the response surfaces work in the utility-weight coordinates
    w = :data:`WEIGHTS` z; the result is returned on z.
    """
    evaluations = 0
    to_z = np.linalg.inv(WEIGHTS)
    prior_w = WEIGHTS @ prior_mean()
    prior_covariance_w = WEIGHTS @ np.diag(prior_sd() ** 2) @ WEIGHTS.T
    prior_precision_w = np.linalg.inv(prior_covariance_w)

    def likelihood(w: NDArray[np.float64]) -> float:
        nonlocal evaluations
        evaluations += 1
        return float(log_likelihood(to_z @ np.asarray(w, dtype=np.float64)))

    def log_posterior(w: NDArray[np.float64]) -> float:
        d = w - prior_w
        return likelihood(w) - 0.5 * float(d @ prior_precision_w @ d)

    if start is None:
        # a global look first: the mode search starts from the best point of a Sobol design
        # over the prior's central region (mean +- 2 sd on z)
        candidates = (prior_mean() + 2.0 * prior_sd() * _design(global_points, seed + 2)
                      ) @ WEIGHTS.T
        scores = [log_posterior(w) for w in candidates]
        x0 = candidates[int(np.argmax(scores))]
    else:
        x0 = WEIGHTS @ np.asarray(start, dtype=np.float64)
    centre, best = _search(log_posterior, x0, max_evaluations)
    scale = np.diag(np.full(len(NAMES), FIRST_BOX))
    bound = np.full(len(NAMES), FIRST_BOX)
    covariance = prior_covariance_w
    for stage in range(2):
        offsets = _design(design_points, seed + stage) @ scale.T
        values = np.array([likelihood(centre + o) for o in offsets])
        candidate, covariance = _laplace(centre, offsets, values, bound,
                                         (prior_w, prior_precision_w))
        # the quadratic's maximum replaces the centre unless the simulation says it is
        # clearly worse (where the quadratic is a poor fit)
        value = log_posterior(candidate)
        if value > best - ACCEPT_TOLERANCE:
            centre, best = candidate, max(value, best)
        # second design: the ellipsoid of twice the first fit's standard deviations
        scale = np.linalg.cholesky(covariance) * 2.0
        bound = 2.0 * np.sqrt(np.diag(covariance))
    # the last fit's mean is linear in its fitted gradient, whose noise carries into the
    # mean: the simulation's error is added to the posterior's covariance (only here: the
    # first fit, over a box the peak may not fill, would count its lack of fit as noise)
    covariance = no_wider_than(covariance + covariance @ gradient_noise(offsets, values)
                               @ covariance, prior_covariance_w)
    mean_z = to_z @ centre
    covariance_z = to_z @ covariance @ to_z.T
    sd = np.sqrt(np.diag(covariance_z))
    uninformed = [name for i, name in enumerate(NAMES) if sd[i] > UNINFORMED * prior_sd()[i]]
    return Posterior(mean=mean_z, covariance=0.5 * (covariance_z + covariance_z.T),
                     log_likelihood=float(log_likelihood(mean_z)), evaluations=evaluations + 1,
                     uninformed=uninformed)


def estimate_evaluations(max_evaluations: int, design_points: int = DESIGN_POINTS,
                         global_points: int = GLOBAL_POINTS, seeds: int = 1) -> int:
    """The most likelihood evaluations :func:`estimate_over_seeds` makes.

    With ``seeds`` = 1, those of :func:`estimate`.
    """
    first = global_points + max_evaluations + 2 * (design_points + 1) + len(NAMES) + 2
    again = replicate_evaluations(max_evaluations) + 2 * (design_points + 1) + len(NAMES) + 2
    return first + (seeds - 1) * again


def replicate_evaluations(max_evaluations: int) -> int:
    """The mode search's budget for a seed after the first (it starts at the first's mode)."""
    return max(1, max_evaluations // REPLICATE_SHARE)


def combine_seeds(posteriors: list[Posterior]) -> Posterior:
    """One posterior from estimates made with independent simulation seeds.

    Each seed freezes a different draw of the simulated likelihood's noise
    (module docstring, step 5), so the estimates' means scatter more than
    each one's covariance says: measured on data simulated from known
    parameters (docs/results/sbc-before-1970.json, replicate 0), a second
    seed moved the switching cost's mean by 2 on z against a posterior
    standard deviation of 0.5. With M seeds the mean is the average of the
    means, whose simulation error has covariance B / M, B the means' sample
    covariance (the error of an average of independent replications
    [LawKelton2000]); it is added to W, the average of the estimates'
    covariances: T = W + B / M, no direction left wider than the prior's
    (:func:`no_wider_than`).
    """
    if len(posteriors) == 1:
        return posteriors[0]
    means = np.array([p.mean for p in posteriors])
    within = np.mean([p.covariance for p in posteriors], axis=0)
    between = np.cov(means, rowvar=False)
    total = no_wider_than(within + between / len(posteriors),
                          np.diag(prior_sd() ** 2))
    sd = np.sqrt(np.diag(total))
    return Posterior(mean=means.mean(axis=0), covariance=0.5 * (total + total.T),
                     log_likelihood=posteriors[0].log_likelihood,
                     evaluations=sum(p.evaluations for p in posteriors),
                     uninformed=[name for i, name in enumerate(NAMES)
                                 if sd[i] > UNINFORMED * prior_sd()[i]])


def estimate_over_seeds(log_likelihoods: list[Callable[[NDArray[np.float64]], float]],
                        max_evaluations: int = MODE_EVALUATIONS,
                        design_points: int = DESIGN_POINTS, seed: int = 0) -> Posterior:
    """:func:`estimate` once per simulated likelihood (one per seed), combined.

    :func:`combine_seeds` combines them. The first is estimated in full;
    the others start at its mean with a smaller search
    (:func:`replicate_evaluations`) and fit their own response surfaces.
    """
    first = estimate(log_likelihoods[0], max_evaluations=max_evaluations,
                     design_points=design_points, seed=seed)
    others = [estimate(log_likelihood, max_evaluations=replicate_evaluations(max_evaluations),
                       design_points=design_points, seed=seed, start=first.mean)
              for log_likelihood in log_likelihoods[1:]]
    return combine_seeds([first, *others])


def seed_of_replicate(seed: int, replicate: int) -> int:
    """The simulation seed of the ``replicate``-th likelihood (0: ``seed`` itself)."""
    if replicate == 0:
        return seed
    return int(np.random.SeedSequence([seed, SEED_REPLICATE_KEY, replicate]).generate_state(1)[0])
