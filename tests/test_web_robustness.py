"""The server under abuse and load: schema fuzzing, many clients at once, slow and bad clients.

- schemathesis generates requests from the server's own OpenAPI schema (valid
  and invalid bodies, paths and queries) for every operation; no response may
  be a server error, and every response must match the schema's status codes
  and content types.
- A live ``redline serve`` on loopback takes 200 concurrent API requests and
  20 queued runs: every request is answered without a server error, and every
  run finishes and is stored (no lost job).
- A client that sends half a request and stalls does not stop the others; an
  oversized body is 413 and a bad token 401 on the live server too.
"""

from __future__ import annotations

import json
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from live_server import live_server
from redline.store import list_runs
from redline.web import Settings, create_app

_FOLDER = Path(tempfile.mkdtemp(prefix="redline-schemathesis-"))
# Small limits, so that generated requests cannot start long jobs: most job requests
# find the queue full (429) and the others are a few thousand runs at most.
APP = create_app(Settings(db=_FOLDER / "fuzz.duckdb", scenario_dir=_FOLDER / "mine",
                          max_runs=2048, max_jobs=1, max_queued=2, max_body_bytes=65_536))
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)


@SCHEMA.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_no_generated_request_gets_a_server_error(case: Any) -> None:
    if case.path.endswith("/events"):  # a stream that lasts as long as its job
        return
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                             content_type_conformance])


# ------------------------------------------------------------- a live server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("load")
    db = folder / "load.duckdb"
    with live_server(folder, "--db", str(db), "--token", "load-test-token", "--max-queued",
                     "32", "--max-body", "100000",
                     health_headers={"Authorization": "Bearer load-test-token"}) as url:
        yield url, db


def call(url: str, method: str, path: str, body: Any = None, token: str = "load-test-token",
         raw: bytes | None = None) -> tuple[int, Any]:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url + path, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            text = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        text, status = error.read(), error.code
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def test_200_concurrent_requests_and_20_queued_runs_lose_nothing(server: tuple[str, Path]):
    url, db = server
    runs = [call(url, "POST", "/api/runs", {"scenario": "kursk-2024", "runs": 1024, "seed": s,
                                            "horizon": 8}) for s in range(20)]
    assert [status for status, _ in runs] == [202] * 20, runs
    ids = [body["id"] for _, body in runs]
    requests = [("GET", "/api/health", None), ("GET", "/api/scenarios", None),
                ("GET", "/api/runs", None), ("GET", "/api/jobs", None),
                ("POST", "/api/validate", {"text": "name: broken\nstart: nope\n"}),
                ("GET", "/api/scenarios/kursk-2024", None),
                ("GET", "/api/runs/nope", None), ("GET", f"/api/jobs/{ids[0]}", None)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda i: call(url, *requests[i % len(requests)]), range(200)))
    statuses = [status for status, _ in answers]
    assert all(status < 500 for status in statuses), statuses
    assert set(statuses) <= {200, 404, 422}
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        states = [call(url, "GET", f"/api/jobs/{job}")[1]["status"] for job in ids]
        if all(state in ("done", "failed", "cancelled") for state in states):
            break
        time.sleep(1)
    assert states == ["done"] * 20, states
    assert set(ids) <= set(list_runs(db)["id"])  # every run stored


def test_a_stalled_client_does_not_block_the_others(server: tuple[str, Path]):
    url, _ = server
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as stalled:
        stalled.sendall(b"POST /api/validate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        b"Content-Length: 1000\r\n\r\n{\"text\": ")  # and nothing more
        started = time.monotonic()
        status, _ = call(url, "GET", "/api/health")
        assert status == 200 and time.monotonic() - started < 10


def test_oversized_bodies_and_bad_tokens_on_the_live_server(server: tuple[str, Path]):
    url, _ = server
    status, body = call(url, "POST", "/api/validate", raw=b'{"text": "' + b"x" * 200_000 + b'"}')
    assert status == 413 and "error" in body
    status, body = call(url, "GET", "/api/runs", token="wrong")
    assert status == 401 and "token" in body["error"]


def test_scenario_names_cannot_reach_files_outside_the_library(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    secret = tmp_path / "secret.yaml"
    secret.write_text("name: secret\n")
    mine = tmp_path / "mine"
    with TestClient(create_app(Settings(db=tmp_path / "p.duckdb", scenario_dir=mine))) as c:
        for name in ("..%2Fsecret", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "secret",
                     "..", "mine%2F..%2Fsecret"):
            response = c.get(f"/api/scenarios/{name}")
            assert response.status_code == 404, (name, response.text)
            assert "name: secret" not in response.text and "root:" not in response.text
        for name in ("..%2Fescaped", "a%2Fb", "..", "x%00y"):
            response = c.put(f"/api/scenarios/{name}", json={"text": "name: x\n"})
            assert response.status_code in (404, 422), (name, response.text)
        assert not (tmp_path / "escaped.yaml").exists()
        assert {p.name for p in tmp_path.iterdir()} <= {"p.duckdb", "secret.yaml"}
        run = c.post("/api/runs", json={"scenario": "../secret", "runs": 10})
        assert run.status_code == 404
