"""Tests of redline.report: figures, Markdown and HTML reports."""
