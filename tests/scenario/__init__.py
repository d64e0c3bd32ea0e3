"""Tests of redline.scenario: the scenario language, its loader and its checks."""
