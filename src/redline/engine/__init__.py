"""The vectorised ensemble engine: compiled scenarios, state arrays, seeding, the step loop."""

from redline.engine.results import EnsembleResult, Estimate
from redline.engine.run import simulate

__all__ = ["EnsembleResult", "Estimate", "simulate"]
