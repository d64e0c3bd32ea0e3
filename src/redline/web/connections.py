"""Connections held to a deadline and a count, so that slow clients cannot shut others out.

uvicorn (0.54, its h11 protocol) waits for a request's head for as long as the
client likes, and accepts every connection it is offered. Its keep-alive
timeout (5 s) closes an idle connection only until the first byte of a new
request arrives. So a client that opens connections and sends half a request
line on each ("slowloris") holds one open file per connection, for ever, before
the access token is ever checked. Measured (second probe of issue 18): 1,100
such connections against a server with the usual limit of 1,024 open files,
and ``accept`` failed with EMFILE: ``/api/health`` went unanswered until the
client let go.

:class:`GuardedH11Protocol` is uvicorn's h11 protocol with two rules:

- **A deadline for the request head.** A connection must send a whole request
  head within ``request_timeout`` seconds of connecting, or of the end of its
  previous response; otherwise it is closed. (The body has the same deadline,
  counted by :class:`redline.web.security.Guard` as it reads it: 408.)
- **A cap on open connections.** Beyond ``max_connections``, the connection
  that has waited longest for a request head is closed to make room (an idle
  keep-alive connection, or a slow client), so that a client sending its
  request at once is served; if none is waiting, the new connection is closed.

:func:`raise_open_file_limit` lifts the process's soft limit on open files to
its hard limit, and the cap is kept below it, so that the database and the
scenario files can always be opened.
"""

from __future__ import annotations

import asyncio
import resource
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

#: Open files kept for the database, scenario files, logs and worker pipes, beyond connections.
RESERVED_FILES = 128


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-head deadline and a connection cap.

    ``request_timeout`` and ``max_connections`` are set on a subclass by
    :func:`guarded_protocol`.
    """

    request_timeout: float = 30.0
    max_connections: int = 512

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Take the connection, start its head deadline, and make room under the cap."""
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._awaited_cycle: Any = None
        self._waiting_since = 0.0
        self._await_head()
        self._make_room()

    def data_received(self, data: bytes) -> None:
        """Pass the bytes to h11; a request head now complete stops the deadline."""
        super().data_received(data)
        if self.cycle is not self._awaited_cycle:
            self._stop_head_timer()

    def on_response_complete(self) -> None:
        """After a response, the next request head is due within the deadline."""
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the deadline with the connection."""
        self._stop_head_timer()
        super().connection_lost(exc)

    def waiting_for_head(self) -> bool:
        """Whether no request is in progress and the next one's head has not arrived."""
        return self.cycle is self._awaited_cycle and (
            self.cycle is None or self.cycle.response_complete)

    def _await_head(self) -> None:
        self._stop_head_timer()
        self._awaited_cycle = self.cycle
        self._waiting_since = self.loop.time()
        self._head_timer = self.loop.call_later(self.request_timeout, self._head_overdue)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_overdue(self) -> None:
        self._head_timer = None
        if self.waiting_for_head():
            self.transport.close()

    def _make_room(self) -> None:
        """Beyond the cap, close the connection waiting longest for a head (maybe this one)."""
        if len(self.connections) <= self.max_connections:
            return
        waiting = [connection for connection in self.connections
                   if isinstance(connection, GuardedH11Protocol) and connection.waiting_for_head()
                   and not connection.transport.is_closing()]
        oldest = min(waiting, key=lambda connection: connection._waiting_since, default=self)
        oldest.transport.close()


def guarded_protocol(request_timeout: float, max_connections: int
                     ) -> type[GuardedH11Protocol]:
    """The protocol class to give uvicorn (``http=``) for these limits."""
    return type("RedlineH11Protocol", (GuardedH11Protocol,),
                {"request_timeout": request_timeout, "max_connections": max_connections})


def raise_open_file_limit() -> int:
    """Lift the soft limit on open files to the hard limit; return the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def connection_cap(max_connections: int, open_files: int) -> int:
    """``max_connections``, lowered to leave :data:`RESERVED_FILES` of ``open_files`` free."""
    return max(1, min(max_connections, open_files - RESERVED_FILES))
