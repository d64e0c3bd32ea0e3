"""Keep the memory of a finished chunk for the next one, instead of giving it back.

Every chunk allocates the same arrays (its parameters and state, tens of MB),
and the next chunk's are drawn on a second thread while the kernel runs.
glibc's allocator (malloc(3), mallopt(3)) gave those pages back to the system
in two ways, and each chunk then paid for the kernel zeroing them again:

- A thread other than the main one allocates from its own *arena*, a chain of
  64 MiB heaps, and glibc unmaps a heap of it as soon as all of it is free:
  every chunk drawn on the drawing thread came back to fresh pages (measured:
  190,000 page faults and 1.3 s of system time in a million-run ensemble, on
  this virtual machine where a fault costs some microseconds). With one arena
  for the process (``M_ARENA_MAX`` = 1, :func:`one_arena`) every thread
  allocates from the main heap, which keeps what is freed (17,000 faults,
  0.1 s: 11.5 s -> 10.4 s for the million runs). The limit counts only for
  arenas not yet created, so it is set before anything starts a thread (a
  process that has started threads before may keep their arenas; its
  results are the same, only slower). A ``MALLOC_ARENA_MAX`` set in the
  environment is left to rule.
- The main heap serves arrays above its mmap threshold (at most 32 MiB by
  default) with fresh pages, and returns freed memory above its trim
  threshold: :func:`keep_freed_memory` raises both (measured: page faults were
  30% of drawing a chunk's parameters). The process then holds up to 256 MiB
  of freed memory beyond what it uses; its peak is still set by the chunk.

Both settings are the whole process's and last as long as it does (glibc has
no way to read them back, so they cannot be undone). They are therefore the
command line's choice, never the library's: :func:`tune_allocator` sets both
as the first thing ``redline`` does (:func:`redline.cli.main`, before any
thread starts), and the benchmarks do the same. ``import redline`` does not
import this module, and the library changes nothing in the allocator of a
notebook or a server that imports it. A program of one's own that runs large
ensembles gets the command line's speed and memory by calling
:func:`tune_allocator` before it starts any thread.

Only with glibc; elsewhere nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from typing import Any

#: mallopt parameters (malloc.h) and the values set.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD = 64 << 20  # arrays up to 64 MiB from the heap
TRIM_THRESHOLD = 256 << 20  # free heap kept up to 256 MiB (about two chunks' state)

_done: list[bool] = []
_arena: list[bool] = []


def one_arena() -> bool:
    """Serve every thread's allocations from the main heap (once; True if it is set).

    Not set when the environment sets ``MALLOC_ARENA_MAX``, or without glibc.
    """
    if not _arena:
        mallopt = _mallopt()
        _arena.append(mallopt is not None and "MALLOC_ARENA_MAX" not in os.environ
                      and bool(mallopt(M_ARENA_MAX, 1)))
    return _arena[0]


def tune_allocator() -> bool:
    """Set the allocator for ensembles: one arena, freed memory kept (True if both are set).

    What the command line does first; call it before any thread starts (see
    the module docstring). Each setting is made once per process.
    """
    arena = one_arena()
    kept = keep_freed_memory()
    return arena and kept


def keep_freed_memory() -> bool:
    """Set the allocator to keep freed chunk memory (once; True if it is set).

    Only with glibc; elsewhere nothing changes and False is returned.
    """
    if not _done:
        _done.append(_set_thresholds())
    return _done[0]


def _set_thresholds() -> bool:
    mallopt = _mallopt()
    return mallopt is not None and bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                                        and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def _mallopt() -> Any:
    """The C library's ``mallopt``, or None where there is none (not glibc)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return None
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt
