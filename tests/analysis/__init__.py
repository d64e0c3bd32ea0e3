"""Tests of redline.analysis: comparisons, sensitivity, hypotheses, interventions, scoring."""
