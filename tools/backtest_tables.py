"""Markdown tables of a rolling backtest, for docs/validation.md.

Usage::

    redline backtest --rolling --json > rolling.json
    python tools/backtest_tables.py rolling.json
    python tools/backtest_tables.py --sbc check.json   # redline estimate --check N -o check.json

Prints, per split and averaged over the splits, each target's score for
redline (post-processed), raw (the simulator alone), climatology and the
logistic regression, with redline's paired differences against the other
three (mean ± standard error over the test cases), and the posterior medians
and post-processing weights of each split. The tables in docs/validation.md
are this script's output, unedited.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

MODELS = ("redline", "raw", "climatology", "logistic")


def _first(scores: dict[str, Any]) -> str:
    return "rps" if "rps" in scores["redline"] else "brier"


def _best(scores: dict[str, Any], key: str) -> float:
    values = [scores[m][key] for m in MODELS]
    return max(values) if key == "log" else min(values)


def _cell(value: float, best: float) -> str:
    text = f"{value:.3f}"
    return f"**{text}**" if abs(value - best) < 5e-4 else text


def split_table(split: dict[str, Any]) -> str:
    """One split's scores and paired differences, as a Markdown table."""
    lines = ["| target (n) | score | redline | raw | climatology | logistic "
             "| redline − raw | redline − climatology | redline − logistic |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, scores in split["targets"].items():
        for key in (_first(scores), "log"):
            best = _best(scores, key)
            cells = [_cell(scores[m][key], best) for m in MODELS]
            differences = [
                "{:+.3f} ± {:.3f}".format(scores["redline_minus"][b][key]["difference"],
                                          scores["redline_minus"][b][key]["se"])
                for b in MODELS[1:]]
            label = f"{name} ({scores['n']})" if key != "log" else ""
            lines.append("| " + " | ".join([label, key, *cells, *differences]) + " |")
    return "\n".join(lines)


def average_table(average: dict[str, Any]) -> str:
    """Scores averaged over the splits, as a Markdown table."""
    lines = ["| target | score | redline | raw | climatology | logistic |",
             "|---|---|---|---|---|---|"]
    for name, scores in average.items():
        for key in (_first(scores), "log"):
            best = _best(scores, key)
            lines.append("| " + " | ".join(
                [name if key != "log" else "", key,
                 *(_cell(scores[m][key], best) for m in MODELS)]) + " |")
    return "\n".join(lines)


def estimates(split: dict[str, Any]) -> str:
    """The split's posterior medians (95% intervals) and post-processing weights."""
    calibration = split["calibration"]
    parts = [f"{name} {value:.3g} ({low:.3g}-{high:.3g})" for (name, value), (low, high) in
             zip(calibration["parameters"].items(),
                 (calibration["intervals_95"][n] for n in calibration["parameters"]),
                 strict=True)]
    weights = ", ".join(f"{name} {p['simulator_weight']:.2f}"
                        for name, p in split["postprocessing"].items())
    return ("Posterior medians (95% intervals): " + ", ".join(parts)
            + f". Post-processing weight on the simulator: {weights}.")


def sbc_table(check: dict[str, Any]) -> str:
    """The simulation-based calibration's coverage, uniformity and shrinkage per parameter."""
    lines = ["| parameter | 50% interval covers | 90% interval covers | KS p (u uniform) "
             "| shrinkage of the prior |", "|---|---|---|---|---|"]
    for name in check["parameters"]:
        lines.append(f"| {name} | {check['coverage']['50%'][name]:.2f} "
                     f"| {check['coverage']['90%'][name]:.2f} | {check['ks_pvalue'][name]:.3f} "
                     f"| {check['shrinkage'][name]:.2f} |")
    return "\n".join(lines)


def main(path: str) -> None:
    """Print every table of the rolling backtest in ``path``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for split in data["splits"]:
        print(f"**Test from {split['test_from']}** (train: {split['train_n']} crises; "
              f"test: {split['test_n']} crises)\n")
        print(split_table(split) + "\n")
        print(estimates(split) + "\n")
    print("**Averaged over the splits**\n")
    print(average_table(data["average"]))


if __name__ == "__main__":
    if sys.argv[1] == "--sbc":
        print(sbc_table(json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))))
    else:
        main(sys.argv[1])
