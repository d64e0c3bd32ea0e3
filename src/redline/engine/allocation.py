"""Keep the memory of a finished chunk for the next one, instead of giving it back.

Every chunk allocates the same arrays (its parameters and state, tens of MB).
glibc's allocator serves arrays above its mmap threshold (at most 32 MiB by
default) with fresh pages and returns freed heap above its trim threshold to
the system, so each chunk paid for the kernel zeroing its pages again
(measured: page faults were 30% of drawing a chunk's parameters, the work that
shares the cores with the simulation). Raising both thresholds with
``mallopt`` (glibc's documented tuning interface, mallopt(3)) keeps the freed
pages in the process for the next chunk. The process then holds up to
256 MiB of freed memory beyond what it uses; its peak is still set by the
chunk.
"""

from __future__ import annotations

import ctypes
import ctypes.util

#: mallopt parameters (malloc.h) and the values set.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 64 << 20  # arrays up to 64 MiB from the heap
TRIM_THRESHOLD = 256 << 20  # free heap kept up to 256 MiB (about two chunks' state)

_done: list[bool] = []


def keep_freed_memory() -> bool:
    """Set the allocator to keep freed chunk memory (once; True if it is set).

    Only with glibc; elsewhere nothing changes and False is returned.
    """
    if not _done:
        _done.append(_set_thresholds())
    return _done[0]


def _set_thresholds() -> bool:
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
