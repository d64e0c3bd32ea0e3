"""Reliability diagrams of the backtest (one panel per target, every model)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from redline.files import write_output

if TYPE_CHECKING:
    from redline.history.backtest import BacktestResult


def reliability_figure(result: BacktestResult, path: str | Path) -> Path:
    """Write the reliability diagrams (format from the suffix: .png, .svg, .pdf)."""
    columns = min(3, len(result.targets))
    lines = -(-len(result.targets) // columns)
    figure = Figure(figsize=(11, 3.6 * lines))
    axes = list(figure.subplots(lines, columns, squeeze=False).ravel())
    for ax in axes[len(result.targets):]:
        ax.set_visible(False)
    for ax, (name, target) in zip(axes, result.targets.items(), strict=False):
        ax.plot([0, 1], [0, 1], color="0.7", lw=1, ls="--")
        for model, marker in (("redline", "o"), ("raw", "x"), ("climatology", "s"),
                              ("logistic", "^")):
            bins = [b for b in target.reliability(model) if b["count"]]
            ax.plot([b["mean_forecast"] for b in bins], [b["observed_frequency"] for b in bins],
                    marker=marker, label=model)
        ax.set_title(f"{name} (n = {len(target.observed)})")
        ax.set_xlabel("forecast probability")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("observed frequency")
    axes[0].legend(loc="upper left", fontsize="small")
    figure.suptitle(f"ICB backtest: trained before {result.test_from}, "
                    f"tested on {result.test_n} crises from {result.test_from} on")
    figure.tight_layout()
    suffix = Path(path).suffix.lstrip(".").lower() or "png"
    return write_output(path, lambda handle: figure.savefig(handle, format=suffix))
