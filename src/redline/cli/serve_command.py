"""The serve command: the dashboard and the JSON API (``redline serve``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from redline.cli.common import DbOption, app, fail
from redline.store import DEFAULT_DB
from redline.web import settings as limits


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on; any address "
                                      "but loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port.")] = 8000,
    db: DbOption = Path(DEFAULT_DB),
    token: Annotated[str | None, typer.Option(
        "--token", envvar=limits.TOKEN_VARIABLE, show_envvar=True,
        help="Access token every page and API call then requires.")] = None,
    scenarios: Annotated[Path | None, typer.Option(
        "--scenarios", file_okay=False, help="Folder of your scenario files (*.yaml), shown "
        "in the library; the editor saves there.")] = None,
    allow_host: Annotated[list[str] | None, typer.Option(
        "--allow-host", metavar="NAME", help="Also answer requests for this host name "
        "(repeatable), e.g. the public name a reverse proxy passes on.")] = None,
    max_body: Annotated[int, typer.Option("--max-body", min=1, help="Largest request body "
                                          "(bytes).")] = limits.MAX_BODY_BYTES,
    max_runs: Annotated[int, typer.Option("--max-runs", min=1, help="Most Monte Carlo runs "
                                          "one request may ask for.")] =
        limits.MAX_RUNS_PER_REQUEST,
    max_jobs: Annotated[int, typer.Option("--max-jobs", min=1, help="Jobs computed at the "
                                          "same time.")] = limits.MAX_CONCURRENT_JOBS,
    max_queued: Annotated[int, typer.Option("--max-queued", min=1, help="Jobs waiting for "
                                            "their turn (more get 429).")] =
        limits.MAX_QUEUED_JOBS,
    max_connections: Annotated[int, typer.Option(
        "--max-connections", min=1, help="Connections open at once; beyond it the one "
        "waiting longest for a request is closed.")] = limits.MAX_CONNECTIONS,
    request_timeout: Annotated[float, typer.Option(
        "--request-timeout", min=0.001, max=86400, help="Seconds a client has to send a "
        "request's head, then its body.")] = limits.REQUEST_TIMEOUT,
) -> None:
    """Serve the dashboard and the JSON API (OpenAPI reference at /docs)."""
    settings = limits.Settings(db=db, host=host, port=port, token=token or None,
                               scenario_dir=scenarios, allowed_hosts=tuple(allow_host or ()),
                               max_body_bytes=max_body,
                               max_runs=max_runs, max_jobs=max_jobs, max_queued=max_queued,
                               max_connections=max_connections,
                               request_timeout=request_timeout)
    try:
        settings.check()
    except ValueError as error:
        fail(f"error: {error}")
    if db.is_dir():
        fail(f"error: the database path {db} is a directory; give a file name")
    import uvicorn

    from redline.web import create_app
    from redline.web.connections import connection_cap, guarded_protocol, raise_open_file_limit

    where = f"http://{host}:{port}/" if ":" not in host else f"http://[{host}]:{port}/"
    typer.echo(f"redline dashboard at {where} (API reference at {where}docs; "
               f"results in {db}); Ctrl-C stops", err=True)
    cap = connection_cap(max_connections, raise_open_file_limit())
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning",
                http=guarded_protocol(request_timeout, cap))
