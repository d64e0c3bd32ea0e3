"""The application factory: one FastAPI app with the dashboard and the JSON API.

``create_app(settings)`` wires the pieces: the safety middleware
(:mod:`redline.web.security`), the job queue (:mod:`redline.web.jobs`), the
API routes (:mod:`redline.web.api`), the dashboard's page and static files
(everything it loads is served from the package: it works offline), and an
offline API reference at ``/docs`` (Swagger UI, shipped in the package) and
``/docs/reference`` (plain HTML) drawn from the OpenAPI schema
(``/openapi.json``). Errors are JSON: ``{"error": message, "status": code}``,
plus ``errors`` (each with its ``line``) for an invalid scenario.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

import redline.web.api as api
import redline.web.service as service
from redline import __version__
from redline.store import StoreError
from redline.web.jobs import JobManager
from redline.web.security import Guard
from redline.web.settings import Settings

#: The dashboard's policy: scripts, styles, images and connections from this server only.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

DESCRIPTION = """The dashboard and JSON API of redline, on the same engine and results
database as the command line. Long computations are jobs: they answer 202 with an id
at once; poll `/api/jobs/{id}` or stream `/api/jobs/{id}/events` (server-sent events).
Errors are JSON `{"error": message, "status": code}`; an invalid scenario is 422 with
`errors`, each at its `line` and `column`."""


def static_folder() -> Path:
    """The folder of the dashboard's static files, inside the package."""
    return Path(str(resources.files("redline.web") / "static"))


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (checked: see :meth:`Settings.check`)."""
    settings = settings or Settings()
    settings.check()
    jobs = JobManager(settings.max_jobs, settings.max_queued, settings.keep_finished)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        jobs.start()
        yield
        jobs.shutdown()

    app = FastAPI(title="redline", version=__version__, description=DESCRIPTION,
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.jobs = jobs
    app.state.library = service.Library(settings.scenario_dir)
    app.state.heavy = anyio.CapacityLimiter(settings.max_heavy)  # see api.off_loop
    app.state.results = service.Results(Path(settings.db))
    app.include_router(api.router)
    app.mount("/static", StaticFiles(directory=static_folder()), name="static")
    _errors(app)
    _pages(app)
    app.add_middleware(Guard, settings=settings)  # type: ignore[arg-type]
    return app


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, "status": status, **extra}, status_code=status)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(api.ApiError)
    async def api_error(_: Request, error: api.ApiError) -> JSONResponse:
        return _error(error.status, error.message, **error.extra)

    @app.exception_handler(StoreError)
    async def store_error(_: Request, error: StoreError) -> JSONResponse:
        return _error(503, f"the results database cannot be used: {error}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        message = str(error.detail)
        if error.status_code == 404 and message == "Not Found":
            message = f"no such page or endpoint: {request.url.path}"
        response = _error(error.status_code, message)
        response.headers.update(error.headers or {})
        if error.status_code == 405:  # every method the path allows (RFC 9110, 15.5.6)
            response.headers["Allow"] = ", ".join(allowed_methods(app, request))
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        unreadable = [e for e in error.errors() if e.get("type") == "json_invalid"]
        if unreadable:  # the body is not strict JSON (redline.web.bodies): 400, not 422
            reason = unreadable[0].get("ctx", {}).get("error", "JSON decode error")
            return _error(400, f"the request body is not JSON: {reason}")
        problems = [{"where": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                     "message": e.get("msg", "")} for e in error.errors()]
        text = "; ".join(f"{p['where']}: {p['message']}" if p["where"] else p["message"]
                         for p in problems)
        return _error(422, f"invalid request: {text}", errors=problems)


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """The methods of every route whose path matches the request's, sorted.

    Starlette's own 405 names only the first such route's (``DELETE
    /api/scenarios/NAME`` said ``Allow: GET``, though ``PUT`` is allowed too).
    """
    methods: set[str] = set()
    for route in [*api.router.routes, *app.router.routes]:  # the API's, then the pages'
        declared = getattr(route, "methods", None)
        if declared and route.matches(request.scope)[0] != Match.NONE:
            methods |= declared
    return sorted(methods)


def _pages(app: FastAPI) -> None:
    headers = {"Content-Security-Policy": PAGE_POLICY, "X-Content-Type-Options": "nosniff",
               "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}

    @app.get("/", include_in_schema=False)
    def dashboard() -> FileResponse:
        return FileResponse(static_folder() / "index.html", headers=headers)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(SWAGGER_PAGE, headers=headers)

    @app.get("/docs/reference", include_in_schema=False)
    def reference() -> HTMLResponse:
        return HTMLResponse(api_reference(app.openapi()), headers=headers)


#: Swagger UI on ``/openapi.json``, from the package's own copy (static/swagger).
SWAGGER_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>redline API</title>
<link rel="icon" type="image/png" href="/static/swagger/favicon-32x32.png">
<link rel="stylesheet" href="/static/swagger/swagger-ui.css">
<script src="/static/swagger/swagger-ui-bundle.js" defer></script>
<script src="/static/docs.js" defer></script></head>
<body><p style="font-family: sans-serif; margin: 1rem 2rem 0">
<a href="/">Dashboard</a> &middot; <a href="/openapi.json">OpenAPI schema</a> &middot;
<a href="/docs/reference">plain reference (no script)</a></p>
<div id="swagger-ui"></div></body></html>
"""


def api_reference(schema: dict[str, Any]) -> str:
    """An offline HTML page listing the API's endpoints from its OpenAPI schema."""
    e = html.escape
    rows = []
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            reference = body.get("schema", {}).get("$ref", "")
            statuses = ", ".join(sorted(operation.get("responses", {})))
            rows.append(
                f"<tr><td><code>{e(method.upper())}</code></td><td><code>{e(path)}</code></td>"
                f"<td>{e(operation.get('summary', ''))}<br><small>"
                f"{e(operation.get('description', ''))}</small></td>"
                f"<td><code>{e(reference.rsplit('/', 1)[-1])}</code></td><td>{e(statuses)}</td>"
                "</tr>")
    models = []
    for name, model in schema.get("components", {}).get("schemas", {}).items():
        fields = ", ".join(
            f"<code>{e(field)}</code>" + (f" ({e(str(spec.get('description')))})"
                                          if spec.get("description") else "")
            for field, spec in model.get("properties", {}).items())
        models.append(f"<li><strong>{e(name)}</strong>: {fields}</li>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>redline API</title>
<link rel="stylesheet" href="/static/dashboard.css"></head>
<body class="docs"><h1>redline API {e(schema.get('info', {}).get('version', ''))}</h1>
<p>{e(schema.get('info', {}).get('description', ''))}</p>
<p>The machine-readable schema is <a href="/openapi.json">/openapi.json</a> (OpenAPI
{e(schema.get('openapi', ''))}); the dashboard is at <a href="/">/</a>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>What it does</th><th>Body</th>
<th>Statuses</th></tr></thead><tbody>{''.join(rows)}</tbody></table>
<h2>Request bodies</h2><ul>{''.join(models)}</ul></body></html>"""
