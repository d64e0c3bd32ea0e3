"""Tests of redline.verify: the checks against closed forms and published numbers."""
