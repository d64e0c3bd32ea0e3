"""The ensemble engine: compiled scenarios, state arrays, seeding, the step loop (two engines)."""

from redline.engine.results import EnsembleResult, Estimate
from redline.engine.run import simulate

__all__ = ["EnsembleResult", "Estimate", "simulate"]
