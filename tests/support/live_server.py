"""A live ``redline serve`` on a free loopback port, for the tests that need a real server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def live_server(folder: Path, *flags: str, health_headers: dict[str, str] | None = None
                ) -> Iterator[str]:
    """Run ``redline serve --port PORT FLAGS...`` until the block ends; yields its URL.

    The server's output goes to ``folder/server.log``, shown if it fails to start.
    """
    port = free_port()
    log_path = folder / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "redline", "serve", "--port",
                                    str(port), *flags], stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(240):
                try:
                    request = urllib.request.Request(url + "/api/health",
                                                     headers=health_headers or {})
                    urllib.request.urlopen(request, timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None:
                        pytest.fail(log_path.read_text())
                    time.sleep(0.25)
            else:
                pytest.fail("the server did not start: " + log_path.read_text())
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)
