"""Numba's on-disk cache for functions that compile in code from other files.

A function declared ``njit(cache=True)`` is cached by Numba under a key of its
own bytecode, and the cache is dropped when its own file's time stamp
changes, but not when a file whose functions it calls or inlines changes: the
kernel (:mod:`redline.engine.kernel`) compiles in the mechanisms' steps, and
the parameter fill (:mod:`redline.engine.seeding`) the generator of
:mod:`redline.arrays.streams`. :func:`cached_with_inlined_sources` adds a
digest of those sources to the key, read on the first compilation or load.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from numba.core.caching import FunctionCache

import redline.arrays.streams
import redline.mechanisms


class InlinedSourcesCache(FunctionCache):
    """Numba's cache of a function, keyed also by the sources it compiles in (module docstring)."""

    def _index_key(self, sig, codegen):  # type: ignore[no-untyped-def]
        return (*super()._index_key(sig, codegen), inlined_sources_digest())


@functools.cache
def inlined_sources_digest() -> str:
    """SHA-256 of the sources compiled into the kernel besides its own module.

    The mechanisms (:mod:`redline.mechanisms`, every module) and the random
    numbers (:mod:`redline.arrays.streams`).
    """
    folder = Path(redline.mechanisms.__file__).parent
    digest = hashlib.sha256()
    for path in [*sorted(folder.glob("*.py")), Path(redline.arrays.streams.__file__)]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cached_with_inlined_sources(dispatcher: Any) -> Any:
    """Make ``dispatcher`` (an ``njit(cache=True)`` function) use :class:`InlinedSourcesCache`."""
    dispatcher._cache = InlinedSourcesCache(dispatcher.py_func)
    return dispatcher
