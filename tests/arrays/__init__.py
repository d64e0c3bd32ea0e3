"""Tests of redline.arrays: compiled scenarios, the per-run state, the random streams."""
