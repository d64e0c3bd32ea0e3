"""Output paths followed to what they name (redline.destinations, redline.files.write_output).

Issue 18: an atomic write renamed a temporary file over the path it was given,
so a symbolic link, a FIFO or /dev/stdout given as the output was replaced by a
regular file instead of being written to; a writer killed outright left its
hidden temporary file behind for good.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from redline import destinations
from redline.destinations import OutputError, check_writable, remove_stale, resolve
from redline.files import write_text_output


def read_fifo(path: Path) -> tuple[threading.Thread, list[bytes]]:
    """Read the FIFO on a thread until its writer closes it; the bytes land in the list."""
    received: list[bytes] = []

    def read() -> None:
        with open(path, "rb") as handle:
            received.append(handle.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, received


def dead_pid() -> int:
    """The id of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_link_is_written_through_and_stays_a_link(tmp_path):
    real = tmp_path / "reports" / "report.md"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "report.md"
    link.symlink_to(Path("reports") / "report.md")  # relative, as `ln -s` makes them
    assert write_text_output(link, "new\n") == link
    assert link.is_symlink() and real.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md", "reports"]
    assert [p.name for p in real.parent.iterdir()] == ["report.md"]


def test_a_dangling_link_creates_its_target(tmp_path):
    link = tmp_path / "out.md"
    link.symlink_to(tmp_path / "made" / "later.md")
    write_text_output(link, "text\n")
    assert link.is_symlink() and (tmp_path / "made" / "later.md").read_text() == "text\n"


def test_a_fifo_is_written_in_place(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader, received = read_fifo(fifo)
    write_text_output(fifo, "through the pipe\n")
    reader.join(timeout=60)
    assert received == [b"through the pipe\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_a_character_device_is_written_in_place(tmp_path):
    link = tmp_path / "null"
    link.symlink_to("/dev/null")
    write_text_output(link, "gone\n")
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize(("path", "descriptor"), [
    ("/dev/stdout", 1), ("/dev/stderr", 2), ("/dev/fd/1", 1), ("/proc/self/fd/2", 2)])
def test_descriptor_paths_name_this_process_descriptors(path, descriptor):
    destination = resolve(path)
    assert destination.in_place and destination.descriptor == descriptor


def test_another_process_descriptor_is_not_ours(tmp_path):
    other = f"/proc/{dead_pid()}/fd/1"
    assert resolve(other).descriptor is None


def test_a_link_to_a_descriptor_writes_to_it():
    """In a child process: its stdout is a pipe, reached through a link in /tmp."""
    code = ("import os, sys, tempfile\n"
            "from redline.files import write_text_output\n"
            "folder = tempfile.mkdtemp()\n"
            "link = os.path.join(folder, 'out')\n"
            "os.symlink('/proc/self/fd/1', link)\n"
            "print('before', flush=True)\n"
            "write_text_output(link, 'report\\n')\n"
            "print('after', os.path.islink(link), os.listdir(folder))\n"
            "os.unlink(link); os.rmdir(folder)\n")
    process = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=120, check=False)
    assert process.returncode == 0, process.stderr
    assert process.stdout == "before\nreport\nafter True ['out']\n"


@pytest.mark.parametrize("kind", ["directory", "socket", "loop"])
def test_what_cannot_be_written_is_refused(tmp_path, kind):
    path = tmp_path / "out"
    if kind == "directory":
        path.mkdir()
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.close()
    else:
        path.symlink_to(tmp_path / "other")
        (tmp_path / "other").symlink_to(path)
    with pytest.raises(OutputError, match=r"directory|socket|symbolic links"):
        write_text_output(path, "x")
    assert path.is_symlink() or not path.is_file()


def test_a_folder_that_cannot_hold_a_file_is_refused_before_the_work(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputError, match="not a folder"):
        check_writable(resolve(blocker / "sub" / "report.md"))
    check_writable(resolve(tmp_path / "new" / "report.md"))  # created when written
    assert not (tmp_path / "new").exists()


def test_stale_temporary_files_of_dead_writers_are_removed(tmp_path):
    target = tmp_path / "runs.parquet"
    host = destinations._host()
    dead = tmp_path / f".runs.parquet.{host}.{dead_pid()}.abc123.part"
    alive = tmp_path / f".runs.parquet.{host}.{os.getppid()}.def456.part"
    elsewhere = tmp_path / f".runs.parquet.other-host.{dead_pid()}.ghi789.part"
    other_file = tmp_path / f".other.parquet.{host}.{dead_pid()}.jkl012.part"
    for path in (dead, alive, elsewhere, other_file):
        path.write_bytes(b"PAR1")
    assert remove_stale(target) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (alive, elsewhere, other_file))


def test_a_new_write_removes_the_leftovers_of_a_killed_one(tmp_path):
    target = tmp_path / "report.md"
    leftover = tmp_path / f".report.md.{destinations._host()}.{dead_pid()}.xyz.part"
    leftover.write_text("half a rep")
    write_text_output(target, "whole\n")
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]
