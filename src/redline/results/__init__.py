"""What an ensemble returns: probabilities with intervals, ladder reach and trajectories.

The engine (:mod:`redline.engine`) fills an :class:`EnsembleResult`; the
store, the analyses and the reports read it. See :mod:`redline.results.ensemble`.
"""

from redline.results.ensemble import Z_95, EnsembleResult, Estimate, wilson_interval

__all__ = ["Z_95", "EnsembleResult", "Estimate", "wilson_interval"]
