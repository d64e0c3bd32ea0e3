"""The JSON API under ``/api``: scenarios, validation, jobs, runs and analyses.

Long computations (runs, comparisons of an intervention, forecasts, scores,
hypotheses, sensitivity) are jobs: the request returns ``202`` with the job's
id at once, and the job's state is polled at ``/api/jobs/{id}`` or streamed
as server-sent events at ``/api/jobs/{id}/events``. A run's job id is also
its run id in the results database.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

import anyio
from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

import redline.web.service as service
from redline.analysis.hypotheses import NoHypothesesError, require_hypotheses
from redline.scenario.errors import ScenarioError
from redline.scenario.models import Scenario
from redline.store.duckdb_store import MAX_SEED, new_run_id
from redline.web.bodies import StrictJSONRoute
from redline.web.jobs import DONE, FINISHED, Job, NotCancellable, QueueFull, ShuttingDown
from redline.web.service import Conflict, NotFound

#: Every error's body: a message a person can act on, and the status again (JSON, also
#: from the routes that answer HTML or SVG when they succeed).
ERROR_BODY = {"application/json": {"schema": {
    "type": "object", "required": ["error", "status"],
    "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}}}}

#: The statuses any API call may answer with besides its own (docs/web.md).
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": description, "content": ERROR_BODY}
    for status, description in (
        (400, "a body that is not strict JSON: not UTF-8, a syntax error, NaN, a repeated "
              "key or a lone surrogate"),
        (401, "no or wrong access token (when the server has one)"),
        (403, "a cross-site request"),
        (404, "no such scenario, run or job"),
        (408, "the request body did not arrive within the server's request timeout"),
        (409, "the job is not in a state that allows this"),
        (413, "the request body is larger than the server accepts"),
        (421, "a host name the server does not answer for"),
        (422, "an invalid scenario or request, with each error's line where it has one"),
        (429, "the job queue is full: try again later"),
        (503, "the results database cannot be used, or the server is stopping"),
    )
}

router = APIRouter(prefix="/api", responses=ERRORS, route_class=StrictJSONRoute)


class ApiError(Exception):
    """An error answered as JSON ``{"error": message, "status": status, ...}``."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


# ------------------------------------------------------------------ models


class StrictModel(BaseModel):
    """A request body whose values have their declared types, unconverted.

    ``"runs": true`` or ``"runs": "1000"`` is an error (422), not 1 or 1000.
    """

    model_config = ConfigDict(strict=True)


class ScenarioSource(StrictModel):
    """A scenario: a library name, or YAML text (the editor's)."""

    scenario: str | None = Field(default=None, description="A built-in or library name.",
                                 examples=["kursk-2024"])
    text: str | None = Field(default=None, description="Scenario YAML (instead of a name).")

    @model_validator(mode="after")
    def _one_source(self) -> ScenarioSource:
        if (self.scenario is None) == (self.text is None):
            raise ValueError("give exactly one of 'scenario' (a name) and 'text' (YAML)")
        return self


class RunRequest(ScenarioSource):
    """A Monte Carlo ensemble to run."""

    runs: int = Field(default=10_000, ge=1, description="Monte Carlo runs.")
    seed: int = Field(default=0, ge=0, le=MAX_SEED, description="Root seed.")
    horizon: int | None = Field(default=None, ge=1, le=1040,
                                description="Weeks (default: the scenario's).")


class CompareRequest(RunRequest):
    """The scenario against a changed copy on the same random numbers."""

    intervention: str | None = Field(default=None, description="A named intervention.")
    set: list[str] = Field(default_factory=list, description="Changes PATH=VALUE (YAML value).",
                           examples=[["policies.lift_strike_ban.probability=0"]])


class ScoreRequest(RunRequest):
    """Forecasts to score against recorded outcomes."""

    resolutions: str | None = Field(default=None, description="Resolutions YAML (default: "
                                    "those shipped with a built-in scenario).")


class SensitivityRequest(ScenarioSource):
    """A global sensitivity analysis."""

    method: Literal["morris", "sobol", "rsa"] = Field(
        default="morris", description="morris (screening), sobol (variance shares) or rsa "
        "(Monte Carlo filtering, for rare outcomes).")
    samples: int | None = Field(default=None, ge=2, le=1_000_000,
                                description="Sobol base samples, Morris trajectories, or rsa "
                                "runs; the runs it makes count against --max-runs.")
    replicates: int | None = Field(default=None, ge=1, le=1024)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)


class ValidateRequest(StrictModel):
    """Scenario YAML to check."""

    text: str


class SaveRequest(StrictModel):
    """Scenario YAML to save in the user's folder."""

    text: str


# ----------------------------------------------------------------- helpers

Params = ParamSpec("Params")
Answer = TypeVar("Answer")
Drawn = TypeVar("Drawn")


def off_loop(handler: Callable[Params, Answer]) -> Callable[Params, Awaitable[Answer]]:
    """Run a route doing heavy work in Python on a worker thread, a few at a time.

    Reading and validating scenario YAML holds the interpreter for tens of
    milliseconds (a megabyte of it for seconds). FastAPI runs plain ``def``
    routes on a pool of 40 threads, so 20 such requests at once took the
    interpreter from the event loop and every light request waited (issue 18
    measured the median ``/api/health`` going from 168 ms to 5.1 s under 20
    concurrent ``/api/scenarios``). Routes wrapped here share
    ``Settings.max_heavy`` threads (the application's ``heavy`` limiter); the
    others wait their turn without a thread, and light routes (``async def``)
    are answered meanwhile (measured with ``python -m benchmarks.web_load
    --load validate`` on two cores busy with other work: the median
    ``/api/health`` under 20 clients posting kursk-2024 to ``/api/validate``
    went from 815 ms to 13 ms).
    The route keeps its signature (FastAPI reads it through ``__wrapped__``)
    and must take the ``request``.
    """

    @functools.wraps(handler)
    async def run(*args: Params.args, **kwargs: Params.kwargs) -> Answer:
        request: Any = kwargs["request"]
        limiter = request.app.state.heavy
        return await anyio.to_thread.run_sync(functools.partial(handler, *args, **kwargs),
                                              limiter=limiter)

    return run


def _state(request: Request) -> Any:
    return request.app.state


def _load(request: Request, source: ScenarioSource) -> tuple[Scenario, str | None]:
    try:
        return _state(request).library.load(source.scenario, source.text)
    except NotFound as error:
        raise ApiError(404, str(error)) from None
    except ScenarioError as error:
        raise ApiError(422, f"invalid scenario: {len(error.issues)} problem(s)",
                       errors=service.issues_to_json(error)) from None


def _check_runs(request: Request, runs: int, factor: int = 1) -> None:
    limit = _state(request).settings.max_runs
    if runs * factor > limit:
        raise ApiError(422, f"at most {limit:,} runs per request (this one asks for "
                       f"{runs * factor:,}); start the server with a larger --max-runs")


def _queue(request: Request, kind: str, label: str,
           work: Callable[[service.Progress], dict[str, Any]], job_id: str | None = None,
           extra: dict[str, Any] | None = None, join: bool = False) -> Job:
    try:
        return _state(request).jobs.submit(kind, label, work, job_id=job_id, extra=extra,
                                           join=join)
    except QueueFull as error:
        raise ApiError(429, str(error)) from None
    except ShuttingDown as error:
        raise ApiError(503, str(error)) from None


def _submit(request: Request, kind: str, label: str,
            work: Callable[[service.Progress], dict[str, Any]], job_id: str | None = None,
            extra: dict[str, Any] | None = None) -> JSONResponse:
    job = _queue(request, kind, label, work, job_id, extra)
    document = job.to_dict() | {"url": f"/api/jobs/{job.id}",
                                "events": f"/api/jobs/{job.id}/events"}
    if kind == "run":
        document["run_url"] = f"/api/runs/{job.id}"
    return JSONResponse(document, status_code=202, headers={"Location": document["url"]})


# --------------------------------------------------------------- scenarios


@router.get("/health", tags=["server"])
async def health(request: Request) -> dict[str, Any]:
    """Liveness, version and the server's limits."""
    from redline import __version__

    settings = _state(request).settings
    return {"status": "ok", "version": __version__, "db": str(settings.db),
            "limits": {"max_body_bytes": settings.max_body_bytes,
                       "max_runs": settings.max_runs, "max_jobs": settings.max_jobs,
                       "max_queued": settings.max_queued}}


@router.get("/scenarios", tags=["scenarios"])
@off_loop
def scenarios(request: Request) -> dict[str, Any]:
    """The library: built-in scenarios and the user's files, each with a summary."""
    return {"scenarios": _state(request).library.entries()}


@router.get("/scenarios/{name}", tags=["scenarios"])
@off_loop
def scenario_text(request: Request, name: str) -> dict[str, Any]:
    """A library scenario's YAML text, and its summary (or its ``errors``, each at its line)."""
    library = _state(request).library
    try:
        text = library.text(name)
    except NotFound as error:
        raise ApiError(404, str(error)) from None
    try:
        scenario, _ = library.load(None, text)
    except ScenarioError as error:  # shown in the editor, to be fixed there
        return {"name": name, "text": text, "valid": False,
                "errors": service.issues_to_json(error)}
    return {"name": name, "text": text, "valid": True, **service.summary(scenario)}


@router.put("/scenarios/{name}", tags=["scenarios"])
@off_loop
def save_scenario(request: Request, name: str, body: SaveRequest) -> dict[str, Any]:
    """Save (validated) YAML as the user's scenario ``name`` (needs ``--scenarios DIR``)."""
    try:
        path = _state(request).library.save(name, body.text)
    except Conflict as error:
        raise ApiError(409, str(error)) from None
    except ValueError as error:
        raise ApiError(422, str(error)) from None
    except ScenarioError as error:
        raise ApiError(422, f"invalid scenario: {len(error.issues)} problem(s)",
                       errors=service.issues_to_json(error)) from None
    return {"name": name, "saved": str(path)}


@router.post("/validate", tags=["scenarios"], responses={422: {"description": "Invalid"}})
@off_loop
def validate(request: Request, body: ValidateRequest) -> dict[str, Any]:
    """Validate scenario YAML with the command line's loader.

    200 with the scenario's summary when valid; 422 with ``errors``, each at
    its ``line`` and ``column``, when not.
    """
    scenario, _ = _load(request, ScenarioSource(text=body.text))
    return {"valid": True, **service.summary(scenario)}


# -------------------------------------------------------------------- jobs


@router.get("/jobs", tags=["jobs"])
async def jobs(request: Request) -> dict[str, Any]:
    """Every job the server remembers, newest first."""
    return {"jobs": [job.to_dict() for job in _state(request).jobs.all()]}


def _job(request: Request, job_id: str) -> Any:
    job = _state(request).jobs.get(job_id)
    if job is None:
        raise ApiError(404, f"no job {job_id!r}")
    return job


@router.get("/jobs/{job_id}", tags=["jobs"])
async def job_state(request: Request, job_id: str) -> dict[str, Any]:
    """A job's state and progress; its result once ``status`` is ``done``."""
    return dict(_job(request, job_id).to_dict(with_result=True))


@router.delete("/jobs/{job_id}", tags=["jobs"])
async def cancel_job(request: Request, job_id: str) -> dict[str, Any]:
    """Cancel a queued or running job (409 once it has finished)."""
    _job(request, job_id)
    try:
        job = _state(request).jobs.cancel(job_id)
    except NotCancellable as error:
        raise ApiError(409, str(error)) from None
    return dict(job.to_dict())


@router.get("/jobs/{job_id}/events", tags=["jobs"],
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def job_events(request: Request, job_id: str) -> StreamingResponse:
    """Stream a job's state as server-sent events.

    A ``progress`` event whenever the state changes, then one ``end`` event
    with the final state.
    """
    job = _job(request, job_id)

    async def stream() -> AsyncIterator[str]:
        last = None
        while True:
            state = job.to_dict()
            if state != last:
                event = "end" if job.status in FINISHED else "progress"
                yield f"event: {event}\ndata: {json.dumps(state)}\n\n"
                last = state
            if job.status in FINISHED or await request.is_disconnected():
                return
            await asyncio.sleep(0.2)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})


# -------------------------------------------------------------------- runs


@router.post("/runs", tags=["runs"], status_code=202)
@off_loop
def start_run(request: Request, body: RunRequest) -> JSONResponse:
    """Start a run; it is stored in the database under the returned id when done."""
    scenario, text = _load(request, body)
    _check_runs(request, body.runs)
    results: service.Results = _state(request).results
    run_id = new_run_id()

    def work(progress: service.Progress) -> dict[str, Any]:
        return results.simulate_and_store(scenario, text, body.runs, body.seed, body.horizon,
                                          run_id, progress)

    return _submit(request, "run", f"run {scenario.name} ({body.runs:,} runs, seed {body.seed})",
                   work, job_id=run_id, extra={"scenario": scenario.name})


@router.get("/runs", tags=["runs"])
def runs(request: Request, q: Annotated[str | None, Query(max_length=200)] = None,
         limit: Annotated[int, Query(ge=1, le=10_000)] = 200) -> dict[str, Any]:
    """Stored runs, newest first; ``q`` keeps those whose id or scenario contains it."""
    return {"runs": _state(request).results.stored(q, limit)}


def _stored(request: Request, run_id: str) -> dict[str, Any]:
    try:
        return dict(_state(request).results.get(run_id))
    except NotFound as error:
        if _state(request).jobs.busy(run_id):
            raise ApiError(409, f"run {run_id} is still running") from None
        raise ApiError(404, str(error)) from None


@router.get("/runs/{run_id}", tags=["runs"])
def run_result(request: Request, run_id: str) -> dict[str, Any]:
    """A stored run's results.

    The JSON of ``redline run --json``, plus its metadata and ``question_weeks``
    (each question's cumulative probability by week).
    """
    return _stored(request, run_id)


@router.delete("/runs/{run_id}", tags=["runs"], status_code=204)
def delete_stored_run(request: Request, run_id: str) -> Response:
    """Delete a stored run (409 while it is still running)."""
    if _state(request).jobs.busy(run_id):
        raise ApiError(409, f"run {run_id} is still running: cancel it first")
    try:
        _state(request).results.delete(run_id)
    except NotFound as error:
        raise ApiError(404, str(error)) from None
    return Response(status_code=204)


#: Times a route asks for a stored run to be simulated again before it gives up (the result
#: can leave memory before it is drawn when many other results arrive at once).
REDRAW_ATTEMPTS = 3


async def _drawn(request: Request, run_id: str,
                 draw: Callable[[str], Drawn | None]) -> tuple[dict[str, Any], Drawn]:
    """A stored run's document and what ``draw`` makes of its full result.

    ``draw`` gives None when the result is not in memory: the run is then
    simulated again by a job, queued under the server's limits like any other
    (``--max-runs``, ``--max-jobs``, ``--max-queued``), and the request waits
    for it. Parallel requests for one run share one job.
    """
    document = await anyio.to_thread.run_sync(_stored, request, run_id)
    for _ in range(REDRAW_ATTEMPTS):
        drawn = await anyio.to_thread.run_sync(draw, run_id, limiter=_state(request).heavy)
        if drawn is not None:
            return document, drawn
        await _simulated_again(request, document)
    raise ApiError(503, f"run {run_id} was simulated again, but other results pushed it out "
                   "of memory before it could be drawn; try again")


async def _simulated_again(request: Request, document: dict[str, Any]) -> None:
    """Queue (or join) the job that simulates a stored run again, and wait for it to end."""
    run_id, runs = str(document["run_id"]), int(document["runs"])
    limit = _state(request).settings.max_runs
    if runs > limit:
        raise ApiError(422, f"run {run_id} has {runs:,} runs and its full result is not in "
                       "memory: drawing its figures or report means simulating it again, and "
                       f"this server simulates at most {limit:,} runs per request "
                       "(--max-runs). Start it with a larger --max-runs, or draw the report "
                       "on the command line (redline report)")
    results: service.Results = _state(request).results
    job = _queue(request, "redraw", f"simulate run {run_id} of {document['scenario']} again "
                 f"({runs:,} runs) to draw it",
                 lambda progress: results.simulate_again(document, progress),
                 job_id=f"redraw-{run_id}", join=True)
    while job.status not in FINISHED:
        await asyncio.sleep(0.2)
    if job.status != DONE:
        raise ApiError(503, f"simulating run {run_id} again did not finish ({job.status}"
                       f"{': ' + job.error if job.error else ''}); try again")


@router.get("/runs/{run_id}/figures", tags=["runs"])
async def run_figures(request: Request, run_id: str) -> dict[str, Any]:
    """The report's figures of a run as inline SVG (hover shows values).

    A run whose full result is no longer in memory is simulated again first,
    as a job under the server's limits (422 beyond ``--max-runs``).
    """
    _, drawn = await _drawn(request, run_id, _state(request).results.figures)
    return {"run_id": run_id, "figures": drawn}


@router.get("/runs/{run_id}/report", tags=["runs"], response_class=HTMLResponse)
async def run_report(request: Request, run_id: str) -> HTMLResponse:
    """The run's self-contained HTML report, as a download (simulated again as figures are)."""
    document, page = await _drawn(request, run_id, _state(request).results.report)
    name = f"{document['scenario']}-{run_id}.html"
    return HTMLResponse(page, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/runs/{first}/compare/{second}", tags=["analysis"])
def compare_runs(request: Request, first: str, second: str) -> dict[str, Any]:
    """Two stored runs side by side: differences with independent-samples intervals."""
    return service.compare_stored(_stored(request, first), _stored(request, second))


# ---------------------------------------------------------------- analyses


@router.post("/compare", tags=["analysis"], status_code=202)
@off_loop
def compare(request: Request, body: CompareRequest) -> JSONResponse:
    """Compare an intervention (or ``set`` changes) with the baseline.

    Both run on common random numbers; the job's result is the JSON of
    ``redline compare --json``.
    """
    scenario, _ = _load(request, body)
    _check_runs(request, body.runs, 2)
    try:
        service.check_changes(scenario, body.intervention, body.set)
    except ScenarioError as error:
        raise ApiError(422, "the change does not apply to the scenario",
                       errors=service.issues_to_json(error)) from None
    except ValueError as error:
        raise ApiError(422, str(error)) from None

    def work(progress: service.Progress) -> dict[str, Any]:
        return service.compare_intervention(scenario, body.intervention, body.set, body.runs,
                                            body.seed, body.horizon, progress)

    label = body.intervention or "changes"
    return _submit(request, "compare", f"compare {scenario.name}: {label}", work)


@router.post("/forecast", tags=["analysis"], status_code=202)
@off_loop
def forecast(request: Request, body: RunRequest) -> JSONResponse:
    """Every question's probability and cumulative curve (``redline forecast --json``)."""
    scenario, _ = _load(request, body)
    _check_runs(request, body.runs)

    def work(progress: service.Progress) -> dict[str, Any]:
        return service.forecast(scenario, body.runs, body.seed, body.horizon, progress)

    return _submit(request, "forecast", f"forecast {scenario.name}", work)


@router.post("/score", tags=["analysis"], status_code=202)
@off_loop
def score(request: Request, body: ScoreRequest) -> JSONResponse:
    """Score the forecasts against recorded outcomes (``redline score --json``)."""
    scenario, _ = _load(request, body)
    _check_runs(request, body.runs)
    try:
        recorded = service.check_resolutions(scenario, body.scenario, body.resolutions)
    except ScenarioError as error:
        raise ApiError(422, "invalid resolutions", errors=service.issues_to_json(error)) from None
    except ValueError as error:
        raise ApiError(422, str(error)) from None

    def work(progress: service.Progress) -> dict[str, Any]:
        return service.score_forecasts(scenario, recorded, body.runs, body.seed, progress)

    return _submit(request, "score", f"score {scenario.name}", work)


@router.post("/hypotheses", tags=["analysis"], status_code=202)
@off_loop
def hypotheses(request: Request, body: RunRequest) -> JSONResponse:
    """Posterior over the scenario's hypotheses and the ACH matrix, with figures."""
    scenario, _ = _load(request, body)
    try:
        require_hypotheses(scenario)
    except NoHypothesesError as error:
        raise ApiError(422, str(error)) from None
    _check_runs(request, body.runs, max(1, len(scenario.hypotheses)))

    def work(progress: service.Progress) -> dict[str, Any]:
        return service.hypotheses(scenario, body.runs, body.seed, progress)

    return _submit(request, "hypotheses", f"hypotheses of {scenario.name}", work)


@router.post("/sensitivity", tags=["analysis"], status_code=202)
@off_loop
def sensitivity(request: Request, body: Annotated[SensitivityRequest, Body()]) -> JSONResponse:
    """Global sensitivity indices (Morris by default) and the tornado chart."""
    from redline.analysis.sensitivity import (
        DEFAULTS,
        check_arguments,
        design_size,
        salib_problem,
    )

    scenario, _ = _load(request, body)
    samples = body.samples or DEFAULTS[body.method][0]
    replicates = body.replicates or DEFAULTS[body.method][1]
    try:
        check_arguments(body.method, samples, replicates, body.seed)
        problem = salib_problem(scenario)
    except (ValueError, ScenarioError) as error:
        raise ApiError(422, str(error)) from None
    _check_runs(request, design_size(body.method, samples, problem["num_vars"]) * replicates)

    def work(progress: service.Progress) -> dict[str, Any]:
        return service.sensitivity(scenario, body.method, samples, replicates, body.seed,
                                   progress)

    return _submit(request, "sensitivity", f"sensitivity of {scenario.name}", work)
