"""Where an output file goes: the path a user gave, followed to what it names.

Reports, figures and per-run files are written to a temporary file beside
their destination and renamed over it (:func:`os.replace`), so that a reader
sees the old file or the new one, never part of one. A rename replaces the
directory entry it is given, whatever that entry is, so a path the user gave
is first followed to what it names (:func:`resolve`):

- a symbolic link is followed to its target, which is replaced; the link stays;
- a FIFO, a character device (``/dev/null``, a terminal) or a descriptor of
  this process (``/dev/stdout``, ``/dev/fd/N``) cannot be renamed over: it is
  written in place, as a shell redirection would write it (not atomically:
  there is no old file to keep);
- a directory, a socket or a block device is refused with an
  :class:`OutputError`, before any work.

Temporary files are named ``.NAME.HOST.PID.RANDOM.part`` (NAME the
destination's file name). A writer that is killed outright (SIGKILL) cannot
remove its own; the next writer to the same destination removes those left by
processes of this host that no longer exist (:func:`remove_stale`).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

#: Symbolic links followed before giving up (Linux's own limit, SYMLOOP_MAX).
MAX_LINKS = 40
#: The suffix of every temporary file.
TEMPORARY_SUFFIX = ".part"

#: Paths that name an open descriptor of the process that opens them.
_DESCRIPTOR = re.compile(r"^/(?:dev/fd|proc/(?:self|thread-self|(?P<pid>\d+))/fd)/(?P<fd>\d+)$")
_STANDARD = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


class OutputError(OSError):
    """An output path that cannot be written as asked (a directory, a socket, a loop)."""


@dataclass(frozen=True)
class Destination:
    """What writing to a path given by the user means.

    Attributes
    ----------
    given : Path
        The path as given.
    target : Path
        The file written: ``given`` with its symbolic links followed.
    in_place : bool
        Written in place (a FIFO, a character device, a descriptor), not by a rename.
    descriptor : int or None
        An open descriptor of this process that ``given`` names (``/dev/stdout``: 1).

    """

    given: Path
    target: Path
    in_place: bool = False
    descriptor: int | None = None


def resolve(path: str | Path) -> Destination:
    """Follow ``path`` to what it names and say how it is to be written.

    Raises
    ------
    OutputError
        ``path`` names a directory, a socket or a block device, or its links loop.

    """
    given = Path(path)
    current = given.absolute()
    for _ in range(MAX_LINKS):
        descriptor = _descriptor_of(current)
        if descriptor is not None:
            return Destination(given, current, in_place=True, descriptor=descriptor)
        if not current.is_symlink():
            return _classify(given, current)
        current = current.parent / os.readlink(current)
    raise OutputError(f"{given}: too many levels of symbolic links")


def _descriptor_of(path: Path) -> int | None:
    """The descriptor of this process that ``path`` names, if it names one."""
    text = str(path)
    if text in _STANDARD:
        return _STANDARD[text]
    match = _DESCRIPTOR.match(text)
    if match is None or (match["pid"] is not None and int(match["pid"]) != os.getpid()):
        return None
    return int(match["fd"])


def _classify(given: Path, target: Path) -> Destination:
    """A destination whose target is no link: renamed over, written in place, or refused."""
    try:
        mode = target.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):  # created when written (if it can be)
        return Destination(given, target)
    if stat.S_ISREG(mode):
        return Destination(given, target)
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return Destination(given, target, in_place=True)
    kind = "a directory; give a file name" if stat.S_ISDIR(mode) else (
        "a socket" if stat.S_ISSOCK(mode) else "a block device or other special file")
    where = "" if target == given.absolute() else f" (it leads to {target})"
    raise OutputError(f"{given} is {kind}{where}: it cannot be written")


def check_writable(destination: Destination) -> None:
    """Refuse, before any work, a destination this process could not write.

    A file renamed into place needs a folder that exists or can be created,
    and that this process may write; a file written in place must be writable.

    Raises
    ------
    OutputError
        With the reason.

    """
    if destination.descriptor is not None:
        return
    if destination.in_place:
        if not os.access(destination.target, os.W_OK):
            raise OutputError(f"{destination.given} is not writable")
        return
    folder = destination.target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {destination.given}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {destination.given} atomically: its folder {folder}"
                          " is not writable (a temporary file is written there, then renamed)")


@contextmanager
def open_in_place(destination: Destination) -> Iterator[IO[bytes]]:
    """Open a FIFO, a device or a descriptor for writing, as a shell redirection would.

    A descriptor (``/dev/stdout``) is written through a duplicate, after this
    process's own buffered output to it, so that the two arrive in order.
    """
    if destination.descriptor is None:
        with open(destination.target, "wb") as handle:
            yield handle
        return
    for stream in (sys.stdout, sys.stderr):
        with suppress(AttributeError, OSError, ValueError):
            if stream.fileno() == destination.descriptor:
                stream.flush()
    with os.fdopen(os.dup(destination.descriptor), "wb") as handle:
        yield handle


def _host() -> str:
    """The name of this machine, with anything but letters, digits and ``-`` as ``-``."""
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"


@contextmanager
def held_signals() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back until the block ends (in the main thread).

    Around the creation of a temporary file and the record of it that its
    clean-up reads, so that an interrupt never falls between the two (which
    would leave the file behind). A signal received meanwhile is raised again
    when the block ends, to the handlers it would have reached.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {held: signal.signal(held, lambda number, _: received.append(number))
                for held in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for held, handler in previous.items():
            signal.signal(held, handler if handler is not None else signal.SIG_DFL)
        for number in received:
            signal.raise_signal(number)


def temporary_file(target: Path) -> tuple[int, Path]:
    """Create a temporary file beside ``target``, named after it, this host and this process.

    Call it under :func:`held_signals` together with whatever records the file for removal.

    Returns
    -------
    (int, Path)
        Its open descriptor and its path, as :func:`tempfile.mkstemp` returns them.

    """
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.{_host()}.{os.getpid()}.",
                                    suffix=TEMPORARY_SUFFIX, dir=target.parent)
    return handle, Path(name)


def replacement_mode(target: Path) -> int:
    """The permissions a file replacing ``target`` gets: ``target``'s, else ``0o666`` - umask.

    A temporary file is created ``0o600``; renamed into place as it is, a new
    report or Parquet file could be read by its owner only.
    """
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def install(temporary: Path, target: Path, mode: int) -> None:
    """Sync the complete ``temporary`` file to disk, give it ``mode`` and rename it to ``target``.

    Synced first, so that after a crash of the machine ``target`` is the old
    file or the whole new one, never a renamed file whose data never reached the disk.
    """
    descriptor = os.open(temporary, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.chmod(temporary, mode)
    os.replace(temporary, target)


def remove_stale(target: Path) -> list[Path]:
    """Remove the temporary files of ``target`` left by processes of this host that are gone.

    Returns
    -------
    list of Path
        The files removed.

    """
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)"
                         rf"\.[^./]*{re.escape(TEMPORARY_SUFFIX)}$")
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    host = _host()
    for entry in entries:
        match = pattern.match(entry.name)
        if match and match["host"] == host and not _running(int(match["pid"])):
            with suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _running(pid: int) -> bool:
    """Whether a process with this id exists (one of another user's counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
