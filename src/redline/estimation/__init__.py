"""Estimates of mechanism parameters from historical battle data."""
