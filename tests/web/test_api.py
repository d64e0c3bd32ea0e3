"""The HTTP API through FastAPI's test client: every endpoint and every error status.

Runs are small (a few hundred runs of kursk-2024), so the jobs finish in a
second or two; the long job used to test cancelling, 409 and 429 is cancelled
before it costs much.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note on httpx versions
    from fastapi.testclient import TestClient

import redline
from redline.store import delete_run, list_runs, load_run
from redline.store.duckdb_store import StoreError
from redline.web import Settings, UnsafeBindError, create_app
from redline.web.settings import is_loopback

RUNS = 400
BIG = 3_000_000  # runs of a job that is still going when it is cancelled


def wait(client: TestClient, job_id: str, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in {"done", "failed", "cancelled"}:
            return dict(job)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def wait_running(client: TestClient, job_id: str) -> None:
    for _ in range(600):
        if client.get(f"/api/jobs/{job_id}").json()["status"] == "running":
            return
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never started")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("api")
    return Settings(db=folder / "api.duckdb", scenario_dir=folder / "mine",
                    max_runs=BIG * 2, max_queued=4)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def run_id(client: TestClient) -> str:
    response = client.post("/api/runs", json={"scenario": "kursk-2024", "runs": RUNS,
                                              "seed": 3})
    assert response.status_code == 202
    job = response.json()
    assert response.headers["location"] == f"/api/jobs/{job['id']}"
    assert job["status"] in {"queued", "running"} and job["run_url"] == f"/api/runs/{job['id']}"
    assert wait(client, job["id"])["status"] == "done"
    return str(job["id"])


# ----------------------------------------------------------------- server


def test_openapi_and_offline_docs(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path in ["/api/validate", "/api/runs", "/api/runs/{run_id}", "/api/jobs/{job_id}",
                 "/api/jobs/{job_id}/events", "/api/compare", "/api/forecast", "/api/score",
                 "/api/hypotheses", "/api/sensitivity", "/api/runs/{run_id}/report"]:
        assert path in schema["paths"], path
    page = client.get("/docs/reference")
    assert page.status_code == 200 and "/api/runs/{run_id}" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing fetched
    assert "default-src 'self'" in page.headers["content-security-policy"]
    swagger = client.get("/docs")
    assert swagger.status_code == 200 and "/static/swagger/swagger-ui-bundle.js" in swagger.text
    assert "http://" not in swagger.text and "https://" not in swagger.text
    for name in ("swagger/swagger-ui-bundle.js", "swagger/swagger-ui.css", "docs.js"):
        assert client.get(f"/static/{name}").status_code == 200, name


def test_dashboard_page_and_static_files(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "/static/dashboard.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for name in ("dashboard.js", "dashboard.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert "http" not in client.get("/static/dashboard.js").text.replace(
        "http://www.w3.org/2000/svg", "")


def test_health_reports_the_limits(client: TestClient, settings: Settings) -> None:
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["version"] == redline.__version__
    assert health["limits"]["max_runs"] == settings.max_runs


def test_unknown_path_is_a_json_404(client: TestClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["status"] == 404 and "/api/nothing-here" in response.json()["error"]


# -------------------------------------------------------------- scenarios


def test_library_lists_the_built_in_scenarios(client: TestClient) -> None:
    names = {entry["name"]: entry for entry in client.get("/api/scenarios").json()["scenarios"]}
    assert {"kursk-2024", "cuba-1962"} <= set(names)
    assert names["kursk-2024"]["source"] == "builtin" and names["kursk-2024"]["valid"]
    assert "no_prk_deployment" in [i["id"] for i in names["kursk-2024"]["interventions"]]


def test_the_library_is_validated_again_only_when_a_file_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from redline.web import service

    read: list[str] = []
    load = service.load_scenario
    monkeypatch.setattr(service, "load_scenario", lambda path: read.append(path.name)
                        or load(path))
    mine = tmp_path / "mine"
    mine.mkdir()
    text = redline.resolve("cuba-1962").read_text(encoding="utf-8")
    (mine / "mine.yaml").write_text(text, encoding="utf-8")
    with TestClient(create_app(Settings(db=tmp_path / "l.duckdb", scenario_dir=mine))) as c:
        first = c.get("/api/scenarios").json()["scenarios"]
        assert sorted(read) == ["cuba-1962.yaml", "kursk-2024.yaml", "mine.yaml"]
        read.clear()
        assert c.get("/api/scenarios").json()["scenarios"] == first and read == []
        (mine / "mine.yaml").write_text(text.replace('title: "Cuba 1962', 'title: "Mine'),
                                        encoding="utf-8")
        titles = {e["name"]: e["title"] for e in c.get("/api/scenarios").json()["scenarios"]}
        assert read == ["mine.yaml"] and titles["mine"].startswith("Mine")
        (mine / "mine.yaml").write_text("name: broken\n", encoding="utf-8")
        entry = next(e for e in c.get("/api/scenarios").json()["scenarios"]
                     if e["name"] == "mine")
        assert entry["valid"] is False
        (mine / "mine.yaml").unlink()
        names = [e["name"] for e in c.get("/api/scenarios").json()["scenarios"]]
        assert "mine" not in names and read == ["mine.yaml", "mine.yaml"]


def test_heavy_requests_wait_their_turn_and_health_is_answered(
        client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    library = client.app.state.library  # type: ignore[attr-defined]
    release = threading.Event()
    inside: list[int] = []
    lock = threading.Lock()

    def slow_entries() -> list[dict[str, Any]]:
        with lock:
            inside.append(1)
        release.wait(300)
        return []

    monkeypatch.setattr(library, "entries", slow_entries)
    heavy = client.app.state.heavy  # type: ignore[attr-defined]
    with ThreadPoolExecutor(max_workers=6) as pool:
        calls = [pool.submit(client.get, "/api/scenarios") for _ in range(6)]
        for _ in range(6000):  # until every request is inside or waiting for its turn
            if heavy.statistics().tasks_waiting == 6 - settings.max_heavy:
                break
            time.sleep(0.05)
        try:
            assert len(inside) == settings.max_heavy  # the others wait without a thread
            assert client.get("/api/health").status_code == 200  # answered meanwhile
            assert client.get("/api/jobs").status_code == 200
        finally:
            release.set()
        assert [call.result().status_code for call in calls] == [200] * 6
    assert len(inside) == 6


def test_scenario_text_and_404(client: TestClient) -> None:
    data = client.get("/api/scenarios/kursk-2024").json()
    assert data["text"] == redline.resolve("kursk-2024").read_text(encoding="utf-8")
    assert data["scenario"] == "kursk-2024"
    missing = client.get("/api/scenarios/no-such")
    assert missing.status_code == 404 and "no-such" in missing.json()["error"]


def test_saving_a_scenario(client: TestClient, settings: Settings) -> None:
    text = redline.resolve("cuba-1962").read_text(encoding="utf-8")
    assert client.put("/api/scenarios/my-cuba", json={"text": text}).status_code == 200
    assert (settings.scenario_dir / "my-cuba.yaml").read_text(encoding="utf-8") == text
    names = {e["name"]: e for e in client.get("/api/scenarios").json()["scenarios"]}
    assert names["my-cuba"]["source"] == "user"
    assert client.get("/api/scenarios/my-cuba").json()["text"] == text
    assert client.put("/api/scenarios/kursk-2024", json={"text": text}).status_code == 409
    bad = client.put("/api/scenarios/broken", json={"text": "name: x\nactors: [1\n"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["line"] >= 2
    assert client.put("/api/scenarios/bad name!", json={"text": text}).status_code == 422
    # a broken file of the user's opens in the editor, with its errors
    (settings.scenario_dir / "half-done.yaml").write_text("name: x\nhorizon: soon\n")
    opened = client.get("/api/scenarios/half-done").json()
    assert not opened["valid"] and opened["text"].startswith("name: x")
    assert opened["errors"] and opened["errors"][0]["line"] >= 1
    listed = {e["name"]: e for e in client.get("/api/scenarios").json()["scenarios"]}
    assert listed["half-done"]["valid"] is False
    (settings.scenario_dir / "half-done.yaml").unlink()


def test_names_that_cannot_be_file_names_are_422(client: TestClient, settings: Settings) -> None:
    text = redline.resolve("cuba-1962").read_text(encoding="utf-8")
    for name in ("x" * 65, "x" * 300, "caf%C3%A9", "-starts-with-a-dash", "dot.ted"):
        response = client.put(f"/api/scenarios/{name}", json={"text": text})
        assert response.status_code == 422, (name, response.text)
        assert "cannot be a scenario name" in response.json()["error"]
    assert client.put(f"/api/scenarios/{'x' * 64}", json={"text": text}).status_code == 200
    assert (settings.scenario_dir / f"{'x' * 64}.yaml").is_file()
    (settings.scenario_dir / f"{'x' * 64}.yaml").unlink()


def test_saving_without_a_folder_is_a_conflict(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(db=tmp_path / "x.duckdb"))) as plain:
        response = plain.put("/api/scenarios/x", json={"text": "name: x"})
    assert response.status_code == 409 and "--scenarios" in response.json()["error"]


def test_validate_a_valid_scenario(client: TestClient) -> None:
    text = redline.resolve("kursk-2024").read_text(encoding="utf-8")
    data = client.post("/api/validate", json={"text": text}).json()
    assert data["valid"] and data["scenario"] == "kursk-2024" and data["horizon_weeks"] == 52


def test_validate_gives_each_error_at_its_line(client: TestClient) -> None:
    # the contract checker's broken file: an unclosed list at line 4
    text = "name: broken\nactors:\n  A: {name: a}\n  B: {name: b, capability: [1\n"
    response = client.post("/api/validate", json={"text": text})
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == 422 and "invalid scenario" in body["error"]
    assert body["errors"][0]["line"] in {4, 5}
    lines = redline.resolve("kursk-2024").read_text(encoding="utf-8").split("\n")
    where = next(i for i, line in enumerate(lines) if line.startswith("horizon:"))
    lines[where] = "horizon: many"
    errors = client.post("/api/validate", json={"text": "\n".join(lines)}).json()["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [(where + 1, 10)]
    assert "horizon" in errors[0]["message"] and errors[0]["expected"]


def test_malformed_requests_are_422(client: TestClient) -> None:
    response = client.post("/api/validate", json={"nothing": 1})
    assert response.status_code == 422 and "text" in response.json()["error"]
    both = client.post("/api/runs", json={"scenario": "kursk-2024", "text": "name: x"})
    assert both.status_code == 422 and "exactly one" in both.json()["error"]
    assert client.post("/api/runs", json={"scenario": "kursk-2024", "runs": 0}).status_code == 422
    assert client.post("/api/runs", json={"scenario": "kursk-2024", "seed": -1}
                       ).status_code == 422


@pytest.mark.parametrize("field, value", [("runs", True), ("runs", "1000"), ("runs", 1000.0),
                                          ("seed", "3"), ("seed", False), ("horizon", "8")])
def test_numbers_must_be_integers_not_booleans_or_strings(client: TestClient, field: str,
                                                         value: Any) -> None:
    response = client.post("/api/runs", json={"scenario": "kursk-2024", "runs": 100,
                                              field: value})
    assert response.status_code == 422, response.text
    assert field in response.json()["error"] and "integer" in response.json()["error"]
    samples = client.post("/api/sensitivity", json={"scenario": "kursk-2024", "samples": "4"})
    assert samples.status_code == 422 and "samples" in samples.json()["error"]


JSON = {"content-type": "application/json"}
#: Bodies that are not strict JSON (RFC 8259: UTF-8 text, no NaN, one value per key).
NOT_STRICT_JSON = {
    "a syntax error": b"{",
    "a lone surrogate escape": b'{"text": "name: \\ud800"}',
    "a lone surrogate escape in a key": b'{"te\\udc00xt": "name: x"}',
    "a surrogate encoded in UTF-8": b'{"text": "name: \xed\xa0\x80"}',
    "bytes that are not UTF-8": b'{"text": "name: \xff"}',
    "UTF-16": '{"text": "name: x"}'.encode("utf-16"),
    "NaN": b'{"text": "name: x", "runs": NaN}',
    "a repeated key": b'{"text": "name: x", "text": "name: y"}',
    "an integer of 5,000 digits": b'{"text": "name: x", "runs": 1' + b"0" * 4999 + b"}",
}


@pytest.mark.parametrize("kind", NOT_STRICT_JSON)
def test_a_body_that_is_not_strict_json_is_400(client: TestClient, kind: str) -> None:
    response = client.post("/api/validate", content=NOT_STRICT_JSON[kind], headers=JSON)
    assert response.status_code == 400, response.text
    assert response.json()["status"] == 400
    assert response.json()["error"].startswith("the request body is not JSON")
    assert "sys.set_int_max_str_digits" not in response.json()["error"]  # second probe


@pytest.mark.parametrize("method, path", [
    ("POST", "/api/validate"), ("POST", "/api/runs"), ("POST", "/api/forecast"),
    ("POST", "/api/compare"), ("POST", "/api/score"), ("POST", "/api/hypotheses"),
    ("POST", "/api/sensitivity"), ("PUT", "/api/scenarios/surrogate")])
def test_a_lone_surrogate_is_400_on_every_endpoint(client: TestClient, method: str,
                                                   path: str) -> None:
    body = b'{"text": "name: \\ud800"}'  # the JSON escape of half a UTF-16 pair
    response = client.request(method, path, content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert "surrogate" in response.json()["error"]
    # a whole pair is a character (U+1F600), read as text: an invalid scenario, not a 400
    pair = client.request(method, path, content=b'{"text": "name: \\ud83d\\ude00"}',
                          headers=JSON)
    assert pair.status_code == 422, pair.text


# ------------------------------------------------------------------- runs


def test_a_run_is_stored_with_the_same_numbers_as_the_library(client: TestClient,
                                                              settings: Settings,
                                                              run_id: str) -> None:
    data = client.get(f"/api/runs/{run_id}").json()
    direct = redline.simulate(redline.load("kursk-2024"), runs=RUNS, seed=3).to_dict()
    assert data["outcomes"] == direct["outcomes"] and data["questions"] == direct["questions"]
    assert data["run_id"] == run_id and data["scenario_text"]
    assert set(data["question_weeks"]) == set(direct["questions"])
    assert len(data["question_weeks"]["nuclear_use"]) == 53
    stored = load_run(settings.db, run_id)  # the same database as the command line
    assert stored["outcomes"] == direct["outcomes"]


def test_a_run_from_editor_text(client: TestClient) -> None:
    text = redline.resolve("cuba-1962").read_text(encoding="utf-8")
    job = client.post("/api/runs", json={"text": text, "runs": 300, "horizon": 4}).json()
    assert wait(client, job["id"])["status"] == "done"
    data = client.get(f"/api/runs/{job['id']}").json()
    assert data["scenario"] == "cuba-1962" and data["horizon_weeks"] == 4
    assert data["scenario_text"] == text


def test_an_invalid_scenario_is_422_with_lines(client: TestClient) -> None:
    response = client.post("/api/runs", json={"text": "name: x\nactors: {A: {name: [}\n"})
    assert response.status_code == 422 and response.json()["errors"][0]["line"] >= 1
    unknown = client.post("/api/runs", json={"scenario": "no-such-scenario"})
    assert unknown.status_code == 404


def test_progress_events_stream_to_the_end(client: TestClient) -> None:
    job = client.post("/api/runs", json={"scenario": "kursk-2024", "runs": 4000}).json()
    events = []
    with client.stream("GET", f"/api/jobs/{job['id']}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in stream.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
    assert events[-1][0] == "end" and events[-1][1]["status"] == "done"
    assert events[-1][1]["progress"] == 1.0
    fractions = [data["progress"] for _, data in events]
    assert fractions == sorted(fractions)
    assert client.get("/api/jobs/nope/events").status_code == 404


def test_jobs_list_and_404(client: TestClient, run_id: str) -> None:
    jobs = client.get("/api/jobs").json()["jobs"]
    assert run_id in [job["id"] for job in jobs]
    job = client.get(f"/api/jobs/{run_id}").json()
    assert job["status"] == "done" and job["result"]["run_id"] == run_id
    assert client.get("/api/jobs/nope").status_code == 404
    assert client.delete("/api/jobs/nope").status_code == 404


def test_cancelling_a_finished_job_is_409(client: TestClient, run_id: str) -> None:
    response = client.delete(f"/api/jobs/{run_id}")
    assert response.status_code == 409 and "finished" in response.json()["error"]


@pytest.mark.slow
def test_cancel_a_running_job_and_409_while_it_runs(client: TestClient) -> None:
    job = client.post("/api/runs", json={"scenario": "kursk-2024", "runs": BIG}).json()
    wait_running(client, job["id"])
    assert client.delete(f"/api/runs/{job['id']}").status_code == 409
    assert client.get(f"/api/runs/{job['id']}").status_code == 409
    cancelled = client.delete(f"/api/jobs/{job['id']}")
    assert cancelled.status_code == 200
    assert wait(client, job["id"])["status"] == "cancelled"
    assert client.get(f"/api/runs/{job['id']}").status_code == 404  # nothing stored


def test_runs_per_request_are_limited(client: TestClient, settings: Settings) -> None:
    response = client.post("/api/runs", json={"scenario": "kursk-2024",
                                              "runs": settings.max_runs + 1})
    assert response.status_code == 422 and "--max-runs" in response.json()["error"]


@pytest.mark.slow
def test_a_full_queue_is_429(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "q.duckdb", max_jobs=1, max_queued=1, max_runs=BIG)
    with TestClient(create_app(settings)) as small:
        first = small.post("/api/runs", json={"scenario": "kursk-2024", "runs": BIG}).json()
        wait_running(small, first["id"])
        second = small.post("/api/runs", json={"scenario": "kursk-2024", "runs": 10})
        assert second.status_code == 202 and second.json()["status"] == "queued"
        third = small.post("/api/runs", json={"scenario": "kursk-2024", "runs": 10})
        assert third.status_code == 429 and "waiting" in third.json()["error"]
        assert small.delete(f"/api/jobs/{second.json()['id']}").status_code == 200
        assert small.delete(f"/api/jobs/{first['id']}").status_code == 200
        assert wait(small, first["id"])["status"] == "cancelled"
        assert wait(small, second.json()["id"])["status"] == "cancelled"


def test_list_and_search_stored_runs(client: TestClient, run_id: str) -> None:
    listed = client.get("/api/runs").json()["runs"]
    row = next(r for r in listed if r["id"] == run_id)
    assert row["scenario"] == "kursk-2024" and row["runs"] == RUNS and row["seed"] == 3
    assert [r["id"] for r in client.get("/api/runs", params={"q": run_id}).json()["runs"]] == [
        run_id]
    assert client.get("/api/runs", params={"q": "no-such-thing"}).json()["runs"] == []
    assert client.get("/api/runs", params={"limit": 0}).status_code == 422


@pytest.mark.slow
def test_figures_and_report_of_a_run(client: TestClient, run_id: str) -> None:
    figures = client.get(f"/api/runs/{run_id}/figures").json()["figures"]
    assert [f["key"] for f in figures] == ["outcomes", "questions", "escalation", "ladder",
                                           "knowledge", "control", "network"]
    assert all(f["svg"].startswith("<svg") and f["caption"] for f in figures)
    report = client.get(f"/api/runs/{run_id}/report")
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    assert run_id in report.text and "<svg" in report.text
    assert client.get("/api/runs/nope/figures").status_code == 404
    assert client.get("/api/runs/nope/report").status_code == 404


@pytest.mark.slow
def test_figures_of_a_run_stored_by_the_command_line(client: TestClient,
                                                     settings: Settings) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "redline", "run", "cuba-1962", "--runs", "300", "--json",
         "--db", str(settings.db)], capture_output=True, text=True, timeout=300, check=False)
    assert process.returncode == 0, process.stderr
    run_id = json.loads(process.stdout)["run_id"]
    figures = client.get(f"/api/runs/{run_id}/figures").json()["figures"]
    assert figures and figures[0]["key"] == "outcomes"


@pytest.mark.slow
def test_figures_of_a_stored_run_are_simulated_again_by_a_job_under_the_limits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from redline.store import save_result

    settings = Settings(db=tmp_path / "f.duckdb", max_runs=1000, max_jobs=1, max_queued=4)
    cuba = redline.load("cuba-1962")
    small = save_result(redline.simulate(cuba, runs=300, seed=1, horizon=6), settings.db)
    large = save_result(redline.simulate(cuba, runs=20_000, seed=1, horizon=2), settings.db)
    simulated: list[int] = []
    simulate = redline.simulate

    def counted(*args: Any, **kwargs: Any) -> Any:
        simulated.append(kwargs["runs"])
        return simulate(*args, **kwargs)

    monkeypatch.setattr(redline, "simulate", counted)
    with TestClient(create_app(settings)) as c:
        for what in ("figures", "report"):  # more runs than --max-runs: refused, not simulated
            response = c.get(f"/api/runs/{large}/{what}")
            assert response.status_code == 422 and "--max-runs" in response.json()["error"]
        assert simulated == []
        release = threading.Event()
        c.app.state.jobs.submit(  # type: ignore[attr-defined]
            "test", "holds the only job slot", lambda _: {"released": release.wait(300)})
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = [pool.submit(c.get, f"/api/runs/{small}/{what}")
                       for what in ("figures", "report", "figures", "report")]
            for _ in range(6000):
                job = c.get(f"/api/jobs/redraw-{small}")
                if job.status_code == 200:
                    break
                time.sleep(0.05)
            assert job.json()["kind"] == "redraw" and job.json()["status"] == "queued"
            assert simulated == []  # nothing simulated beside the queue while the slot is busy
            release.set()
            figures, report, *_ = [answer.result() for answer in answers]
        assert [answer.result().status_code for answer in answers] == [200] * 4
        assert simulated == [300]  # one job for four requests
        assert figures.json()["figures"][0]["key"] == "outcomes"
        assert small in report.text and "attachment" in report.headers["content-disposition"]
        assert c.get(f"/api/jobs/redraw-{small}").json()["status"] == "done"


def test_delete_a_stored_run(client: TestClient) -> None:
    job = client.post("/api/runs", json={"scenario": "kursk-2024", "runs": 100}).json()
    wait(client, job["id"])
    assert client.delete(f"/api/runs/{job['id']}").status_code == 204
    assert client.get(f"/api/runs/{job['id']}").status_code == 404
    assert client.delete(f"/api/runs/{job['id']}").status_code == 404


def test_store_delete_run(tmp_path: Path) -> None:
    result = redline.simulate(redline.load("kursk-2024"), runs=50, seed=1)
    from redline.store import save_result

    kept, gone = save_result(result, tmp_path / "d.duckdb"), save_result(result,
                                                                        tmp_path / "d.duckdb")
    delete_run(tmp_path / "d.duckdb", gone)
    assert list(list_runs(tmp_path / "d.duckdb")["id"]) == [kept]
    with pytest.raises(StoreError):
        delete_run(tmp_path / "d.duckdb", gone)


# --------------------------------------------------------------- analyses


def test_compare_two_stored_runs(client: TestClient, run_id: str) -> None:
    other = client.post("/api/runs", json={"scenario": "kursk-2024", "runs": RUNS,
                                           "seed": 4}).json()
    wait(client, other["id"])
    data = client.get(f"/api/runs/{run_id}/compare/{other['id']}").json()
    first = client.get(f"/api/runs/{run_id}").json()
    second = client.get(f"/api/runs/{other['id']}").json()
    row = data["differences"]["outcomes"]["ongoing"]
    assert row["difference"] == pytest.approx(second["outcomes"]["ongoing"]["p"]
                                              - first["outcomes"]["ongoing"]["p"])
    assert row["lo"] <= row["difference"] <= row["hi"]
    assert set(data["differences"]["questions"]) == set(first["questions"])
    assert client.get(f"/api/runs/{run_id}/compare/nope").status_code == 404


def test_compare_an_intervention(client: TestClient) -> None:
    response = client.post("/api/compare", json={"scenario": "kursk-2024", "runs": RUNS,
                                                 "intervention": "no_prk_deployment"})
    assert response.status_code == 202
    job = wait(client, response.json()["id"])
    assert job["status"] == "done"
    result = job["result"]
    assert result["intervention"] == "no_prk_deployment" and result["runs"] == RUNS
    assert set(result["differences"]["outcomes"]) >= {"settlement", "nuclear_use"}
    assert abs(sum(d["difference"] for d in result["differences"]["outcomes"].values())) < 1e-9


def test_compare_errors(client: TestClient) -> None:
    unknown = client.post("/api/compare", json={"scenario": "kursk-2024",
                                                "intervention": "nope"})
    assert unknown.status_code == 422 and "no_prk_deployment" in unknown.json()["error"]
    nothing = client.post("/api/compare", json={"scenario": "kursk-2024"})
    assert nothing.status_code == 422 and "nothing to compare" in nothing.json()["error"]
    bad_path = client.post("/api/compare", json={"scenario": "kursk-2024",
                                                 "set": ["no.such.path=1"]})
    assert bad_path.status_code == 422


def test_forecast(client: TestClient) -> None:
    job = wait(client, client.post("/api/forecast", json={"scenario": "kursk-2024",
                                                          "runs": RUNS}).json()["id"])
    questions = job["result"]["questions"]
    assert "nuclear_use" in questions and len(questions["nuclear_use"]["cumulative"]) == 53
    assert {"p", "lo", "hi", "by_week"} <= set(questions["nuclear_use"])


def test_score_with_shipped_and_given_resolutions(client: TestClient) -> None:
    shipped = wait(client, client.post("/api/score", json={"scenario": "cuba-1962",
                                                           "runs": RUNS}).json()["id"])
    assert shipped["status"] == "done" and "brier" in shipped["result"]
    given = client.post("/api/score", json={
        "scenario": "kursk-2024", "runs": RUNS,
        "resolutions": "resolutions:\n  - question: nuclear_use\n    outcome: false\n"})
    result = wait(client, given.json()["id"])["result"]
    assert result["brier"] >= 0 and result["figures"][0]["key"] == "calibration"
    unknown = client.post("/api/score", json={
        "scenario": "kursk-2024",
        "resolutions": "resolutions:\n  - question: no_such_question\n    outcome: true\n"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["line"] == 2
    none = client.post("/api/score", json={"scenario": "kursk-2024"})
    assert none.status_code == 422 and "ships no resolutions" in none.json()["error"]


def test_hypotheses(client: TestClient) -> None:
    job = wait(client, client.post("/api/hypotheses", json={"scenario": "kursk-2024",
                                                            "runs": 300}).json()["id"])
    assert job["status"] == "done", job
    result = job["result"]
    assert sum(h["p"] for h in result["posterior"].values()) == pytest.approx(1.0)
    assert [f["key"] for f in result["figures"]] == ["posterior", "ach"]


def test_hypotheses_of_a_scenario_without_any(client: TestClient) -> None:
    lines = redline.resolve("cuba-1962").read_text(encoding="utf-8").split("\n")
    start = lines.index("hypotheses:")
    end = next(i for i in range(start + 1, len(lines)) if lines[i][:1].isalpha())
    text = "\n".join(lines[:start] + lines[end:])
    assert client.post("/api/validate", json={"text": text}).json()["hypotheses"] == []
    response = client.post("/api/hypotheses", json={"text": text})
    assert response.status_code == 422 and "hypothes" in response.json()["error"]


def test_sensitivity(client: TestClient) -> None:
    response = client.post("/api/sensitivity", json={"scenario": "kursk-2024", "samples": 2,
                                                     "replicates": 2})
    assert response.status_code == 202
    job = wait(client, response.json()["id"])
    assert job["status"] == "done", job
    assert job["result"]["figures"][0]["key"] == "tornado"
    bad = client.post("/api/sensitivity", json={"scenario": "kursk-2024", "method": "sobol",
                                                "samples": 3})
    assert bad.status_code == 422 and "power of 2" in bad.json()["error"]


# --------------------------------------------------------------- security


def test_a_body_too_large_is_413(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(db=tmp_path / "s.duckdb", max_body_bytes=1000))) as c:
        response = c.post("/api/validate", json={"text": "x" * 2000})
        assert response.status_code == 413 and "1,000 bytes" in response.json()["error"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
            yield b'{"text": "'
            yield b"x" * 2000
            yield b'"}'

        chunked = c.post("/api/validate", content=chunks(),
                         headers={"content-type": "application/json"})
        assert chunked.status_code == 413
        assert c.post("/api/validate", json={"text": "name: x"}).status_code == 422


def test_a_token_is_required_when_set(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "t.duckdb", token="s3cret")
    with TestClient(create_app(settings)) as c:
        for path in ("/", "/api/health", "/api/runs", "/openapi.json", "/static/dashboard.js"):
            response = c.get(path)
            assert response.status_code == 401, path
            assert "token" in response.json()["error"]
        assert c.get("/api/health", headers={"Authorization": "Bearer wrong"}
                     ).status_code == 401
        assert c.get("/api/health", headers={"Authorization": "Bearer s3cret"}
                     ).status_code == 200
        page = c.get("/?token=s3cret")  # the dashboard's link: sets the cookie
        assert page.status_code == 200 and "HttpOnly" in page.headers["set-cookie"]
        assert c.get("/api/health").status_code == 200  # the cookie now carries it


def test_other_hosts_and_cross_site_posts_are_refused(client: TestClient) -> None:
    assert client.get("/api/health", headers={"Host": "evil.example"}).status_code == 421
    cross = client.post("/api/validate", json={"text": "name: x"},
                        headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403
    same = client.post("/api/validate", json={"text": "name: x"},
                       headers={"Origin": "http://testserver"})
    assert same.status_code == 422


def test_origin_null_is_another_site(client: TestClient) -> None:
    # a sandboxed frame, a file or a cross-site redirect sends "null": not this server
    for method, path, body in (("POST", "/api/validate", {"text": "name: x"}),
                               ("PUT", "/api/scenarios/from-null", {"text": "name: x"}),
                               ("DELETE", "/api/runs/nope", None)):
        response = client.request(method, path, json=body, headers={"Origin": "null"})
        assert response.status_code == 403, (method, path, response.text)
        assert "cross-site" in response.json()["error"]


def test_allowed_host_names(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "h.duckdb", allowed_hosts=("crisis.example.org",))
    with TestClient(create_app(settings)) as c:
        assert c.get("/api/health", headers={"Host": "crisis.example.org"}).status_code == 200
        assert c.get("/api/health", headers={"Host": "localhost:8000"}).status_code == 200
        assert c.get("/api/health", headers={"Host": "other.example.org"}).status_code == 421


def test_binding_beyond_loopback_needs_a_token() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    with pytest.raises(UnsafeBindError, match="token"):
        Settings(host="0.0.0.0").check()
    Settings(host="0.0.0.0", token="t").check()
    with pytest.raises(UnsafeBindError):
        create_app(Settings(host="10.0.0.1"))


@pytest.mark.slow
def test_serve_refuses_0000_without_a_token() -> None:
    env_free = {k: v for k, v in __import__("os").environ.items() if k != "REDLINE_TOKEN"}
    process = subprocess.run([sys.executable, "-m", "redline", "serve", "--host", "0.0.0.0",
                              "--port", "0"], capture_output=True, text=True, timeout=60,
                             env=env_free, check=False)
    assert process.returncode == 2
    assert "without an access token" in process.stderr and "Traceback" not in process.stderr


def test_job_results_are_strict_json() -> None:
    import numpy as np

    from redline.web.jobs import json_ready

    assert json_ready({"a": float("nan"), "b": [np.float64(np.inf), np.int64(3)], "c": "x"}) == {
        "a": None, "b": [None, 3], "c": "x"}


def test_a_database_that_is_not_redlines_is_503(tmp_path: Path) -> None:
    import duckdb

    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")
    with TestClient(create_app(Settings(db=other))) as c:
        response = c.get("/api/runs")
        assert response.status_code == 503 and "not a redline" in response.json()["error"]
        assert c.get("/api/runs/abc").status_code == 503


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("TRACE", "/api/validate", {"POST"}), ("DELETE", "/api/scenarios/kursk-2024", {"GET", "PUT"}),
    ("PATCH", "/api/runs", {"GET", "POST"})])
def test_a_method_not_allowed_says_which_are(client: TestClient, method: str, path: str,
                                            allowed: set[str]) -> None:
    """A 405 carries the Allow header RFC 9110 requires (schemathesis found it dropped)."""
    response = client.request(method, path)
    assert response.status_code == 405 and response.json()["status"] == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
