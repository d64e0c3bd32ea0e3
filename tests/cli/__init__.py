"""Tests of redline.cli: the command line, through a subprocess as a user runs it."""
