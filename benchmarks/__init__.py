"""Benchmarks of redline: timings (run.py) and the Mesa peer side by side (compare.py)."""
