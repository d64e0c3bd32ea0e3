"""Tests of redline.store: stored runs and sweeps (DuckDB), per-run files."""
