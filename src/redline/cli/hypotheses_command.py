"""The hypotheses command: posterior over explanations and the ACH matrix."""

from __future__ import annotations

import json
import math
import sys

from rich.text import Text

from redline.analysis.hypotheses import (
    CONSISTENT,
    INCONSISTENT,
    NON_DIAGNOSTIC,
    HypothesisAnalysis,
    NoHypothesesError,
    ach_rating,
    evaluate_hypotheses,
    require_hypotheses,
)
from redline.cli.common import (
    JsonOption,
    RunsOption,
    ScenarioArgument,
    SchedulerOption,
    SeedOption,
    WorkersOption,
    app,
    check_executor,
    executor_for,
    fail,
    load_or_fail,
    plain_table,
    progress_bar,
    stdout,
)
from redline.engine.run import check_run_arguments
from redline.report import format_probability
from redline.scenario.errors import ScenarioError


@app.command()
def hypotheses(
    scenario: ScenarioArgument,
    runs: RunsOption = 10_000,
    seed: SeedOption = 0,
    json_output: JsonOption = False,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Weigh the scenario's hypotheses against its observations: posterior and ACH matrix."""
    try:
        check_run_arguments(runs, seed, None, None)
    except ValueError as error:
        fail(f"error: {error}")
    check_executor(workers, scheduler)
    loaded, _ = load_or_fail(scenario)
    try:
        require_hypotheses(loaded)
    except NoHypothesesError as error:
        fail(f"error: {error}")
    label = f"simulating {len(loaded.hypotheses)} hypotheses of {loaded.name}"
    try:
        with executor_for(workers, scheduler) as executor, \
                progress_bar(not json_output and bool(loaded.observations), label) as progress:
            analysis = evaluate_hypotheses(loaded, runs=runs, seed=seed, progress=progress,
                                           executor=executor)
    except ScenarioError as error:
        fail(error.format().splitlines())
    if json_output:
        sys.stdout.write(json.dumps(analysis.to_dict()) + "\n")
        return
    _print(analysis, {h.id: h.description or "" for h in loaded.hypotheses})


def _interval(lo: float, hi: float) -> str:
    return f"[{format_probability(lo)}, {format_probability(hi)}]"


def _diagnosticity_cells(value: float) -> list[str]:
    if math.isinf(value):
        return ["inf", "rules out"]
    ratio = f"x{math.exp(value):.2f}"
    return [f"{value:.3f}", ratio + (" (non-diagnostic)" if value < NON_DIAGNOSTIC else "")]


def _print(analysis: HypothesisAnalysis, descriptions: dict[str, str]) -> None:
    simulated = (f"; {analysis.runs:,} runs per hypothesis (common random numbers), "
                 f"seed {analysis.seed}" if analysis.observations else "")
    stdout.print(Text(f"{analysis.scenario}: {len(analysis.hypotheses)} hypotheses, "
                      f"{len(analysis.observations)} observations{simulated}", style="bold"))
    for note in analysis.notes:
        stdout.print(Text(f"note: {note}"))
    stdout.print(plain_table(
        "Posterior over hypotheses (95% interval: Monte Carlo error of the likelihoods)",
        ["hypothesis", "prior", "posterior", "95% interval", "description"],
        [[hyp, format_probability(float(analysis.prior[h])),
          format_probability(float(analysis.posterior[h])),
          _interval(float(analysis.lo[h]), float(analysis.hi[h])), descriptions.get(hyp, "")]
         for h, hyp in enumerate(analysis.hypotheses)],
        right=["prior", "posterior", "95% interval"],
    ))
    if not analysis.observations:
        return
    rows = []
    for o, obs in enumerate(analysis.observations):
        report = "observed" if analysis.observed[o] else "not observed"
        cells = [f"{analysis.likelihoods[h, o]:.3f} {ach_rating(float(analysis.likelihoods[h, o]))}"
                 for h in range(len(analysis.hypotheses))]
        rows.append([obs, f"{report}, r={analysis.reliability[o]:g}", *cells,
                     *_diagnosticity_cells(float(analysis.diagnosticity[o]))])
    inconsistency = analysis.inconsistency
    rows.append(["inconsistency (count of I)", "",
                 *[str(inconsistency[hyp]) for hyp in analysis.hypotheses], "", ""])
    stdout.print(plain_table(
        "ACH matrix: P(report | hypothesis) and rating (Heuer 1999, ch. 8)",
        ["observation", "report", *analysis.hypotheses, "diagnosticity (nats)", "max ratio"],
        rows,
        right=[*analysis.hypotheses, "diagnosticity (nats)"],
    ))
    stdout.print(Text(
        f"C: consistent (likelihood >= {CONSISTENT:g}); I: inconsistent (<= {INCONSISTENT:g}); "
        "N: neutral. Diagnosticity: largest |log likelihood ratio| between two hypotheses; "
        f"below {NON_DIAGNOSTIC:.3f} (ratio 1.05) the evidence does not discriminate."))
