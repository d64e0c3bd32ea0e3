"""How fast the server answers a light request while heavy ones pile up.

Usage::

    python -m benchmarks.web_load [--clients 20] [--samples 40] [--load validate] [--json]

Starts ``redline serve`` on a free loopback port (in a temporary folder, with
a fresh database) and measures, with the median and the 5th and 95th
percentiles over ``--samples`` requests:

- ``/api/health`` alone, one request at a time;
- ``/api/scenarios`` alone (the library listing, cached file by file);
- ``/api/health`` while ``--clients`` threads call ``/api/scenarios`` without
  pause (issue 18 measured 168 ms alone and a 5.1 s median under 20 such
  clients, when every listing validated every scenario on one of 40 threads),
  or with ``--load validate`` post kursk-2024's YAML to ``/api/validate``
  (heavy work no cache saves: it shows that light requests are not starved).

The machine is recorded with the timings; the result is written to
``benchmarks/results/web-load-<date>-<host>.json`` with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redline
from benchmarks.run import machine, write_result


def free_port() -> int:
    """A TCP port nobody listens on now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server() -> Iterator[str]:
    """A ``redline serve`` on loopback until the block ends; yields its URL."""
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = subprocess.Popen([sys.executable, "-m", "redline", "serve", "--port",
                                    str(port), "--db", str(Path(folder) / "load.duckdb")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(240):
                try:
                    get(url + "/api/health")
                    break
                except OSError:
                    time.sleep(0.25)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def get(url: str, body: bytes | None = None) -> float:
    """Seconds to GET ``url`` (or POST JSON ``body``) and read the whole answer."""
    request = urllib.request.Request(url, data=body,
                                     headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            response.read()
    except urllib.error.HTTPError as error:  # an answer all the same (422 for a bad scenario)
        error.read()
    return time.perf_counter() - started


def summary(seconds: list[float]) -> dict[str, float]:
    """Median and 5th and 95th percentiles, in milliseconds."""
    cuts = statistics.quantiles(seconds, n=20)
    return {"median_ms": 1000 * statistics.median(seconds), "p5_ms": 1000 * cuts[0],
            "p95_ms": 1000 * cuts[-1], "samples": len(seconds)}


def under_load(url: str, clients: int, samples: int, load: str) -> list[float]:
    """Health timings while ``clients`` threads send ``load`` requests without pause."""
    stop = threading.Event()
    text = redline.resolve("kursk-2024").read_text(encoding="utf-8")
    path, body = {"scenarios": ("/api/scenarios", None),
                  "validate": ("/api/validate", json.dumps({"text": text}).encode())}[load]

    def hammer() -> None:
        while not stop.is_set():
            get(url + path, body)

    threads = [threading.Thread(target=hammer, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(2.0)  # let the load build up
    try:
        return [get(url + "/api/health") for _ in range(samples)]
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=300)


def main() -> None:
    """Measure and print (and with ``--json`` store) the three timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--load", choices=["scenarios", "validate"], default="scenarios")
    parser.add_argument("--json", action="store_true", help="write benchmarks/results/...")
    arguments = parser.parse_args()
    with server() as url:
        get(url + "/api/scenarios")  # the first listing validates every file
        result: dict[str, Any] = {
            "health_alone": summary([get(url + "/api/health")
                                     for _ in range(arguments.samples)]),
            "scenarios_alone": summary([get(url + "/api/scenarios")
                                        for _ in range(arguments.samples)]),
            f"health_under_{arguments.clients}_{arguments.load}_clients": summary(
                under_load(url, arguments.clients, arguments.samples, arguments.load)),
        }
    for name, numbers in result.items():
        print(f"{name:40s} median {numbers['median_ms']:9.1f} ms  "
              f"[{numbers['p5_ms']:.1f}, {numbers['p95_ms']:.1f}]")
    if arguments.json:
        print(f"written to {write_result({'machine': machine(), **result}, 'web-load')}")


if __name__ == "__main__":
    main()
