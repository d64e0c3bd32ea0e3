"""The ensemble engine: the weekly step loop over chunks of runs, in two engines (see run)."""

from redline.engine.run import simulate

__all__ = ["simulate"]
