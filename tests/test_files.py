"""Output files are written whole or not at all (redline.files)."""

from __future__ import annotations

import os
import stat

import pytest

from redline import files
from redline.files import write_text_atomic


def test_write_text_atomic_creates_parents_and_replaces(tmp_path):
    target = tmp_path / "a" / "b" / "report.md"
    write_text_atomic(target, "first\n")
    write_text_atomic(target, "second ü\n")
    assert target.read_text(encoding="utf-8") == "second ü\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.md"]


def test_write_text_atomic_keeps_the_old_file_when_the_move_fails(tmp_path, monkeypatch):
    target = tmp_path / "report.md"
    target.write_text("old\n")

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_write_text_atomic_permissions(tmp_path):
    fresh = tmp_path / "fresh.md"
    write_text_atomic(fresh, "x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask

    existing = tmp_path / "existing.md"
    existing.write_text("x")
    existing.chmod(0o640)
    write_text_atomic(existing, "y")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640
