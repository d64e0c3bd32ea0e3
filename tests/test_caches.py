"""redline.caches: every command works without a writable HOME or package folder.

Issue 18: without a writable HOME, every command failed on import (Numba found
no folder to write its cache to). The test runs a copy of the package whose
``__pycache__`` folders are files (so not even root can write them, as for a
package installed read-only) with HOME under a regular file.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import redline
from redline import caches
from tests.support.fake_results import SMALL_SCENARIO


@pytest.fixture
def read_only_install(tmp_path: Path) -> Path:
    """A copy of the package in which no ``__pycache__`` folder can be made."""
    copy = tmp_path / "site"
    shutil.copytree(Path(redline.__file__).parent, copy / "redline",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for folder in [copy / "redline", *(copy / "redline").rglob("*")]:
        if folder.is_dir():
            (folder / "__pycache__").write_text("")
    return copy


def test_every_command_imports_without_a_writable_home(read_only_install, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    scenario = tmp_path / "toy.yaml"
    scenario.write_text(yaml.safe_dump(SMALL_SCENARIO, sort_keys=False))
    env = {key: value for key, value in os.environ.items()
           if key not in {"NUMBA_CACHE_DIR", "MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"}}
    env |= {"HOME": str(blocker / "home"), "TMPDIR": str(temporary),
            "PYTHONPATH": str(read_only_install)}
    code = ("import sys, redline\n"
            "print(redline.__file__)\n"
            "from redline.cli import main\n"
            "main(sys.argv[1:])\n")
    process = subprocess.run([sys.executable, "-c", code, "validate", str(scenario)],
                             capture_output=True, text=True, env=env, timeout=300, check=False)
    assert process.returncode == 0, process.stderr
    assert process.stderr == ""  # nor Matplotlib's warning about its folder
    where, ok = process.stdout.splitlines()
    assert where.startswith(str(read_only_install)) and ok.startswith(f"ok: {scenario}")
    (private,) = temporary.iterdir()
    assert private.name.startswith("redline-numba-")
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    assert {path.name for path in private.iterdir()} >= {"matplotlib"}


def test_nothing_changes_where_the_caches_are_writable(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(caches, "_in_tree_writable", lambda: False)
    assert caches.ensure_writable_cache() is None  # ~/.cache/numba can be made
    assert "NUMBA_CACHE_DIR" not in os.environ
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("HOME", str(tmp_path / "file" / "home"))
    assert caches.ensure_writable_cache() is None  # the user's choice rules


def test_a_folder_others_may_write_is_not_used(monkeypatch, tmp_path):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    shared = tmp_path / f"redline-numba-{os.getuid()}"
    shared.mkdir()
    shared.chmod(0o777)  # Numba loads what it finds in its cache: never someone else's folder
    private = caches._private_folder()
    assert private != shared and private.parent == tmp_path
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    shared.chmod(0o700)
    assert caches._private_folder() == shared
