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
- Raw sockets send what no HTTP library would (issue 18): a body whose headers
  lie about its size, a host name only the test client may use, a scenario
  name too long for a file.
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

import redline
from redline.store import list_runs
from redline.web import Settings, create_app
from tests.support.live_server import live_server

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


MAX_BODY = 100_000
TOKEN = "load-test-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("load")
    db = folder / "load.duckdb"
    with live_server(folder, "--db", str(db), "--token", "load-test-token", "--max-queued",
                     "32", "--max-body", str(MAX_BODY), "--scenarios", str(folder / "mine"),
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


@pytest.mark.slow
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


# ------------------------------------------------------ raw HTTP (issue 18)


def connect(url: str) -> socket.socket:
    """A socket to the live server, with a generous timeout (the machine may be busy)."""
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=120)


def request_head(method: str, path: str, host: str, **headers: str) -> bytes:
    """A request line and headers (with the token), ending with the blank line."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Authorization: Bearer {TOKEN}",
             *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response from the socket: status, headers (lower-case names) and body."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection without an answer: {buffer!r}"
        buffer += chunk
    head, _, body = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip()
               for name, _, value in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection in the middle of a body"
        body += chunk
    return int(lines[0].split()[1]), headers, body


def closed(sock: socket.socket) -> bool:
    """Whether the server has closed its side (reads nothing more)."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_a_body_larger_than_its_content_length_is_counted_as_read(server: tuple[str, Path]):
    url, _ = server
    where = url.removeprefix("http://")
    head = request_head("POST", "/api/validate", where, Content_Type="application/json",
                        Content_Length="2", Transfer_Encoding="chunked")
    body = json.dumps({"text": "name: x\n#" + "x" * MAX_BODY}).encode()
    with connect(url) as sock:  # the whole body, in one chunk, behind a Content-Length of 2
        sock.sendall(head + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
        status, headers, answer = read_response(sock)
        assert status == 413, answer[:300]
        assert json.loads(answer)["status"] == 413
        assert headers.get("connection") == "close" and closed(sock)
    with connect(url) as sock:  # a 20 MB chunk: refused once the limit is passed, unread
        sock.sendall(head + f"{20_000_000:x}\r\n".encode() + b"x" * (MAX_BODY + 1))
        status, headers, _ = read_response(sock)
        assert status == 413 and headers.get("connection") == "close" and closed(sock)


def test_the_test_clients_host_name_is_refused_by_a_live_server(server: tuple[str, Path]):
    url, _ = server
    with connect(url) as sock:
        sock.sendall(request_head("GET", "/api/health", "testserver"))
        status, _, answer = read_response(sock)
        assert status == 421 and "testserver" in json.loads(answer)["error"]
        sock.sendall(request_head("GET", "/api/health", url.removeprefix("http://")))
        assert read_response(sock)[0] == 200


def test_a_scenario_name_too_long_for_a_file_is_422_and_keeps_the_connection(
        server: tuple[str, Path]):
    url, db = server
    body = json.dumps({"text": redline.resolve("cuba-1962").read_text(encoding="utf-8")})
    with connect(url) as sock:  # one connection for all: a refusal must not drop it
        for name, expected in (("a" * 260, 422), ("b" * 65, 422), ("c" * 64, 200)):
            sock.sendall(request_head("PUT", f"/api/scenarios/{name}",
                                      url.removeprefix("http://"),
                                      Content_Type="application/json",
                                      Content_Length=str(len(body))) + body.encode())
            status, headers, answer = read_response(sock)
            assert status == expected, answer[:300]
            assert headers.get("content-type") == "application/json"
            assert headers.get("connection") != "close"
    assert (db.parent / "mine" / f"{'c' * 64}.yaml").is_file()
    assert not [path for path in (db.parent / "mine").iterdir() if path.name[0] in "ab"]


def test_a_malformed_host_or_origin_is_refused_not_a_server_error(server: tuple[str, Path]):
    url, _ = server
    where = url.removeprefix("http://")
    for host, expected in (("[::1", 400), ("[zz]", 400), ("a]b", 400), ("[::1]:80", 200)):
        with connect(url) as sock:
            sock.sendall(request_head("GET", "/api/health", host))
            status, _, answer = read_response(sock)
            assert status == expected, (host, answer[:300])
            assert "status" in json.loads(answer)
    body = b'{"text": "name: x\\n"}'
    for origin in ("http://[::1", "http://[zz]", "null"):
        with connect(url) as sock:
            sock.sendall(request_head("POST", "/api/validate", where, Origin=origin,
                                      Content_Type="application/json",
                                      Content_Length=str(len(body))) + body)
            status, _, answer = read_response(sock)
            assert status == 403, (origin, answer[:300])
    with connect(url) as sock:  # no Host at all (HTTP/1.0) does not make null same-site
        sock.sendall(b"POST /api/validate HTTP/1.0\r\nOrigin: null\r\nAuthorization: Bearer "
                     + TOKEN.encode() + b"\r\nContent-Type: application/json\r\n"
                     + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        assert read_response(sock)[0] == 403


# ------------------------------------- slow and idle connections (second probe)


def waits_for_close(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (the socket's timeout)."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


@pytest.mark.slow
def test_slow_clients_are_closed_after_the_request_timeout(tmp_path: Path) -> None:
    """Half a request head, an idle connection, or a body that stops, is closed after
    --request-timeout (uvicorn waited for them for ever)."""
    with live_server(tmp_path, "--db", str(tmp_path / "slow.duckdb"), "--request-timeout",
                     "1") as url:
        where = url.removeprefix("http://")
        with connect(url) as idle, connect(url) as half:
            half.sendall(b"GET /api/health HTTP/1.1\r\nHost: " + where.encode() + b"\r\nX-a: ")
            assert waits_for_close(half) == b"" and waits_for_close(idle) == b""
        with connect(url) as sock:  # a second request that stalls on a kept-alive connection
            sock.sendall(request_head("GET", "/api/health", where))
            assert read_response(sock)[0] == 200
            sock.sendall(b"GET /api/hea")
            assert waits_for_close(sock) == b""
        with connect(url) as slow_body:
            slow_body.sendall(request_head("POST", "/api/validate", where,
                                           Content_Type="application/json",
                                           Content_Length="100") + b'{"text": ')
            status, headers, answer = read_response(slow_body)
            assert status == 408 and json.loads(answer)["status"] == 408
            assert headers.get("connection") == "close" and closed(slow_body)


@pytest.mark.slow
def test_stalled_connections_beyond_the_cap_make_room_for_others(tmp_path: Path) -> None:
    """Beyond --max-connections the connection waiting longest for its head is closed, so
    a client that sends its request is served (1,100 stalled connections used to hold a
    server with 1,024 open files shut)."""
    with live_server(tmp_path, "--db", str(tmp_path / "cap.duckdb"), "--max-connections",
                     "8") as url:
        stalled = [connect(url) for _ in range(30)]
        try:
            for sock in stalled:
                sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: ")
            assert all(closed(sock) for sock in stalled[:22])
            with connect(url) as sock:
                sock.sendall(request_head("GET", "/api/health", url.removeprefix("http://")))
                assert read_response(sock)[0] == 200
            assert closed(stalled[22])
            for sock in stalled[23:]:
                sock.setblocking(False)
                with pytest.raises(BlockingIOError):  # still open: the cap closes no more
                    sock.recv(1)
        finally:
            for sock in stalled:
                sock.close()
