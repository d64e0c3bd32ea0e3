"""Tests of redline.scenarios: the built-in scenarios."""
