"""Tests of redline.results: what an ensemble returns."""
