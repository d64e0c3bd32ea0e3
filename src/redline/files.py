"""Writing output files so that a reader never sees half of one.

A file (a report, a figure, estimates, a saved scenario) is written to a
temporary file in the same directory and then moved over the destination with
:func:`os.replace`, which is atomic on POSIX and on Windows when source and
destination are on the same file system: the file at ``path`` is always either
the old complete file or the new complete file.

:func:`write_output` is for a path the user gave: it follows the path to what
it names first (:mod:`redline.destinations`), so that a symbolic link is
written through, and a FIFO, a device or ``/dev/stdout`` is written in place
instead of being replaced by a regular file. :func:`write_atomic` replaces the
directory entry it is given, whatever it is: it is for files redline names
itself.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

from redline.destinations import (
    held_signals,
    install,
    open_in_place,
    remove_stale,
    replacement_mode,
    resolve,
    temporary_file,
)


def write_text_atomic(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically, creating parent directories (:func:`write_atomic`)."""
    data = text.encode(encoding)
    return write_atomic(path, lambda handle: handle.write(data))


def write_text_output(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to the file a user named (:func:`write_output`)."""
    data = text.encode(encoding)
    return write_output(path, lambda handle: handle.write(data))


def write_output(path: str | Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Write the file a user named: atomically where it is a file, in place where it cannot be.

    A symbolic link is followed and its target replaced atomically
    (:func:`write_atomic`); a FIFO, a character device or a descriptor of this
    process (``/dev/stdout``) is written in place.

    Parameters
    ----------
    path : str or Path
        Destination, as the user gave it.
    write : callable
        Writes the complete contents to the binary file handle it is given.

    Returns
    -------
    Path
        The destination path, as given.

    Raises
    ------
    redline.destinations.OutputError
        ``path`` names a directory, a socket or a block device, or its links loop.

    """
    destination = resolve(path)
    if not destination.in_place:
        write_atomic(destination.target, write)
        return destination.given
    with open_in_place(destination) as handle:
        write(handle)
        handle.flush()
    return destination.given


def write_atomic(path: str | Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Write a file atomically: ``write(handle)`` fills a temporary file, then it is moved.

    Parameters
    ----------
    path : str or Path
        Destination file. Its parent directories are created if missing.
    write : callable
        Writes the complete contents to the binary file handle it is given.

    Returns
    -------
    Path
        The destination path.

    Notes
    -----
    The temporary file lives next to the destination (so ``os.replace`` never
    crosses file systems), is flushed and synced before the move, and is
    removed if anything fails; one left by a writer that was killed outright
    is removed by the next (:func:`redline.destinations.remove_stale`). An
    existing destination keeps its permissions; a new one gets the usual
    ``0o666`` minus the umask. The destination's directory entry is replaced,
    even a symbolic link or a FIFO: for a path a user gave, use :func:`write_output`.

    """
    destination = Path(path)
    destination.parent.mkdir(parents=True, exist_ok=True)
    mode = replacement_mode(destination)
    remove_stale(destination)
    temporary: Path | None = None
    try:
        with held_signals():  # an interrupt is raised at its end, once the file is known
            descriptor, temporary = temporary_file(destination)
            handle = os.fdopen(descriptor, "wb")
        with handle:
            write(handle)
        install(temporary, destination, mode)
    except BaseException:
        if temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
        raise
    return destination
