"""Writing output files so that a reader never sees half of one.

A report is written to a temporary file in the same directory and then moved
over the destination with :func:`os.replace`, which is atomic on POSIX and on
Windows when source and destination are on the same file system: the file at
``path`` is always either the old complete file or the new complete file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def _default_mode() -> int:
    """Permissions a newly created file would get under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text_atomic(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically, creating parent directories (:func:`write_atomic`)."""
    data = text.encode(encoding)
    return write_atomic(path, lambda handle: handle.write(data))


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
    removed if anything fails. An existing destination keeps its permissions;
    a new one gets the usual ``0o666`` minus the umask.

    """
    destination = Path(path)
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = destination.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = _default_mode()
    handle = tempfile.NamedTemporaryFile(
        "wb",
        dir=destination.parent,
        prefix=f".{destination.name}.",
        suffix=".tmp",
        delete=False,
    )
    temporary = Path(handle.name)
    try:
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, destination)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    return destination
