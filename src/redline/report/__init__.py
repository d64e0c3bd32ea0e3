"""redline."""
