"""Tests of redline.web: the HTTP API and the dashboard."""
