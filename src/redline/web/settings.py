"""Settings and limits of the web server, with their documented defaults.

Every limit can be changed on the command line (``redline serve --help``) or
by passing a :class:`Settings` to :func:`redline.web.create_app`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from redline.store import DEFAULT_DB

#: Environment variable holding the access token when ``--token`` is not given.
TOKEN_VARIABLE = "REDLINE_TOKEN"
#: Largest request body accepted (bytes); larger bodies get 413.
MAX_BODY_BYTES = 1_048_576
#: Largest number of Monte Carlo runs one request may ask for.
MAX_RUNS_PER_REQUEST = 1_000_000
#: Jobs (runs, comparisons, analyses) computed at the same time.
MAX_CONCURRENT_JOBS = 1
#: Jobs waiting for their turn; a request beyond it gets 429.
MAX_QUEUED_JOBS = 16
#: Finished jobs (and their results) kept in memory for the dashboard.
KEEP_FINISHED_JOBS = 64
#: Requests doing heavy work in Python (reading and validating scenario YAML, drawing
#: figures) handled at once; the others wait their turn without a thread, so that they
#: cannot starve light requests (health, job state) of the interpreter.
MAX_HEAVY_REQUESTS = 2
#: Seconds a client has to send a request's head (from connecting, or from its previous
#: response) and then its body; slower connections are closed (408 for a body).
REQUEST_TIMEOUT = 30.0
#: Connections open at once; beyond it the one waiting longest for a request is closed.
MAX_CONNECTIONS = 512


class UnsafeBindError(ValueError):
    """The server was asked to listen beyond this machine without an access token."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    """What one server runs with.

    Attributes
    ----------
    db : the DuckDB results database, shared with the command line.
    host, port : where the server listens (127.0.0.1 by default).
    token : access token every API call and page then requires; ``None``: no token.
    scenario_dir : a folder of the user's scenario files (``*.yaml``) shown in the
        library beside the built-in ones, and where the editor saves; ``None``: none.
    allowed_hosts : host names the server answers for besides loopback names and
        ``host`` (e.g. the public name a reverse proxy passes on); others get 421.
    max_body_bytes, max_runs, max_jobs, max_queued, max_heavy, max_connections : the
        limits above.
    request_timeout : seconds for a request's head, then for its body (see above).
    """

    db: Path = Path(DEFAULT_DB)
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    scenario_dir: Path | None = None
    allowed_hosts: tuple[str, ...] = ()
    max_body_bytes: int = MAX_BODY_BYTES
    max_runs: int = MAX_RUNS_PER_REQUEST
    max_jobs: int = MAX_CONCURRENT_JOBS
    max_queued: int = MAX_QUEUED_JOBS
    keep_finished: int = KEEP_FINISHED_JOBS
    max_heavy: int = MAX_HEAVY_REQUESTS
    max_connections: int = MAX_CONNECTIONS
    request_timeout: float = REQUEST_TIMEOUT

    def check(self) -> None:
        """Refuse settings that are unsafe or impossible.

        Raises
        ------
        UnsafeBindError
            The host is not a loopback address and there is no token.
        ValueError
            A limit is not positive.

        """
        if not is_loopback(self.host) and not self.token:
            raise UnsafeBindError(
                f"refusing to listen on {self.host} without an access token: anyone who can "
                f"reach this machine could run and delete jobs. Give --token TOKEN (or set "
                f"{TOKEN_VARIABLE}), or listen on 127.0.0.1")
        for name in ("max_body_bytes", "max_runs", "max_jobs", "max_queued", "keep_finished",
                     "max_heavy", "max_connections"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0 < self.request_timeout <= 86_400:
            raise ValueError(f"request_timeout must be above 0 and at most a day (86400 s), "
                             f"got {self.request_timeout}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {self.port}")
