"""The report command: a self-contained HTML report with figures."""
