"""Writable cache folders for Numba and Matplotlib, chosen before either is imported.

redline's compiled functions are declared with ``cache=True``. When a module
declaring one is imported, Numba looks for a folder it may write their
machine code to: ``NUMBA_CACHE_DIR`` if set, else the ``__pycache__`` beside
the module, else the user's cache (``$XDG_CACHE_HOME/numba``, by default
``~/.cache/numba``); when none is writable it raises ``RuntimeError``, and
every redline command failed on import. That is redline installed where its
files cannot be written (a system or container install), run with a HOME that
is missing or read-only (a service account, a sandbox).

:func:`ensure_writable_cache` runs when ``redline`` is imported, before
anything imports Numba. Only when none of those folders is writable does it
set ``NUMBA_CACHE_DIR`` to a folder of this user's under the system's
temporary directory (``redline-numba-UID``, mode 0700, refused and replaced by
a fresh one if it belongs to someone else or others may write it: Numba loads
what it finds there). Otherwise it changes nothing.

Matplotlib, in the same place, falls back to a new temporary folder of its
own on every start, with a warning of two lines on stderr;
:func:`ensure_writable_config` gives it ``matplotlib`` in the same private
folder instead, so its font cache is kept and nothing is printed.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path


def ensure_writable_cache() -> Path | None:
    """Point ``NUMBA_CACHE_DIR`` at a private temporary folder if Numba has nowhere to write.

    Returns
    -------
    Path or None
        The folder set, or None when Numba's own choice works (or none can be made).

    """
    if os.environ.get("NUMBA_CACHE_DIR") or _in_tree_writable() or _user_cache_writable():
        return None
    try:
        folder = _private_folder()
    except OSError:  # no writable temporary directory either: Numba says what is wrong
        return None
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    config = sys.modules.get("numba.core.config")
    if config is not None:  # Numba was imported first: it read the environment already
        config.CACHE_DIR = str(folder)  # type: ignore[attr-defined]
    return folder


def ensure_writable_config() -> Path | None:
    """Point ``MPLCONFIGDIR`` at the private temporary folder if Matplotlib's is not writable.

    Returns
    -------
    Path or None
        The folder set, or None when Matplotlib's own choice works (or none can be made).

    """
    if os.environ.get("MPLCONFIGDIR"):
        return None
    try:
        if _writable(_matplotlib_config()):
            return None
        folder = _private_folder() / "matplotlib"
        folder.mkdir(mode=0o700, exist_ok=True)
    except (OSError, KeyError, RuntimeError):
        return None
    os.environ["MPLCONFIGDIR"] = str(folder)
    return folder


def _matplotlib_config() -> Path:
    """Matplotlib's configuration folder when ``MPLCONFIGDIR`` is not set (Linux, others)."""
    if sys.platform.startswith(("linux", "freebsd")):
        return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "matplotlib"
    return Path.home() / ".matplotlib"


def user_cache() -> Path:
    """Numba's cache folder in the user's home (``numba.misc.appdirs.user_cache_dir``)."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "numba"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "numba" / "Cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "numba"


def _user_cache_writable() -> bool:
    try:
        return _writable(user_cache())
    except (KeyError, RuntimeError):  # no home at all
        return False


def _in_tree_writable() -> bool:
    """Whether every folder of the package can hold a ``__pycache__`` folder Numba may write."""
    package = Path(__file__).parent
    folders = [package, *(path for path in package.iterdir() if (path / "__init__.py").exists())]
    return all(_writable(folder / "__pycache__") for folder in folders)


def _writable(folder: Path) -> bool:
    """Whether ``folder`` is, or could be created as, a folder this process may write."""
    try:
        while not folder.exists():
            if folder == folder.parent:
                return False
            folder = folder.parent
        return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)
    except OSError:
        return False


def _private_folder() -> Path:
    """``redline-numba-UID`` under the temporary directory, this user's alone (or a fresh one)."""
    user = os.getuid() if hasattr(os, "getuid") else os.getlogin()
    folder = Path(tempfile.gettempdir()) / f"redline-numba-{user}"
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = folder.lstat()
    owner = os.getuid() if hasattr(os, "getuid") else info.st_uid
    if (not stat.S_ISDIR(info.st_mode) or info.st_uid != owner
            or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
        return Path(tempfile.mkdtemp(prefix="redline-numba-"))
    return folder
