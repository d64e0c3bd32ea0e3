"""The section profiler's instrumentation finds every section mark of the kernel (no compile)."""

from __future__ import annotations

import ast
from pathlib import Path

from benchmarks.kernel_sections import instrument, markers, sections
from redline.engine import kernel


def test_every_section_of_the_weekly_loop_gets_a_mark():
    source = Path(kernel.__file__).read_text(encoding="utf-8")
    marked = instrument(source)
    ast.parse(marked)  # still Python
    names = sections()
    for section in names:
        assert f"section = {names.index(section)}" in marked, section
    # one mark per section comment (a mechanism of the registry, or a record), plus the week start
    assert marked.count("_now = _tick()") == len(markers()) + 1
    assert "cache=True" not in marked
    # the block's profile row reaches the block, and only there
    assert marked.count("prof[block]") == 1
    blocks_function = marked.split("def _simulate_blocks")[1].split("\ndef ")[0]
    assert "question_week, prof[block])" in blocks_function
