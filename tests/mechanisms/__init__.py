"""Tests of redline.mechanisms: one module per mechanism, and the registry's checks."""
