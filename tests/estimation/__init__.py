"""Tests of redline.estimation: fitting mechanisms to data."""
