"""Tests of redline.history: the ICB data, the mapping to scenarios, the posterior, the backtest."""
