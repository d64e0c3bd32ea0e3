"""Exact solvers of the canonical games under the mechanisms."""
