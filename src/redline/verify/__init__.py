"""Verification: published results and closed forms, reproduced (`redline verify`)."""
