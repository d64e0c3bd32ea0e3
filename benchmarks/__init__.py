"""Benchmarks of redline: timings (run.py), the Mesa peer side by side (compare.py) and the
scaling study (scaling.py, on synthetic scenarios from tests/support/generated.py)."""
