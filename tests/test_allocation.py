"""The allocator keeps freed chunk memory (glibc's mallopt), once per process."""

from __future__ import annotations

import platform

import pytest

from redline.engine import allocation


def test_keep_freed_memory_sets_the_thresholds_once():
    first = allocation.keep_freed_memory()
    assert isinstance(first, bool)
    assert allocation.keep_freed_memory() is first
    assert allocation._done == [first]


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_on_glibc_both_thresholds_are_accepted():
    assert allocation._set_thresholds() is True
