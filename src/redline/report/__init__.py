"""Reports of ensemble results (Markdown) and safe writing of output files."""

from redline.report.files import write_text_atomic
from redline.report.markdown import format_interval, format_probability, markdown_report

__all__ = ["format_interval", "format_probability", "markdown_report", "write_text_atomic"]
