"""Reports of ensemble results: Markdown, HTML and figures."""

from redline.report.markdown import format_interval, format_probability, markdown_report

__all__ = ["format_interval", "format_probability", "markdown_report"]
