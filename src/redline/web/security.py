"""Safety at the edge: the access token, request size, and the Host and Origin checks.

All three are one pure ASGI middleware, so that they hold for every route,
page and static file:

- **Token.** When the server has a token, every request must carry it: as
  ``Authorization: Bearer TOKEN`` (API clients), as the ``redline_token``
  cookie (the dashboard), or once as ``?token=TOKEN`` in a page's address,
  which sets that cookie (HttpOnly, SameSite=Strict). Otherwise 401.
- **Size.** A body larger than ``max_body_bytes`` gets 413: at once when its
  Content-Length says so, and otherwise as soon as the bytes actually read pass
  the limit, whatever the headers claimed (a ``Content-Length: 2`` sent with
  ``Transfer-Encoding: chunked`` is framed by the chunks). Every body is read
  here, up to the limit, before the route sees it; a 413 closes the
  connection, so the rest of the body is never read. A body that has not
  arrived within ``request_timeout`` seconds gets 408 and the connection is
  closed (the head's deadline is :mod:`redline.web.connections`'s).
- **Host and Origin.** A request whose ``Host`` is not this server's (DNS
  rebinding) gets 421: the server answers for loopback names, its ``--host``,
  the address the connection reached (the ASGI scope's ``server``: the bound
  socket under uvicorn, ``testserver`` under the test client only) and
  ``--allow-host`` names (e.g. a reverse proxy's). A state-changing request
  whose ``Origin`` is another site (cross-site request forgery) gets 403;
  ``Origin: null`` (a sandboxed frame, a file, a redirect) is another site.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlparse

import anyio

from redline.web.settings import Settings, is_loopback

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "redline_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def send_json(send: Send, status: int, message: str,
                    headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Send a JSON error ``{"error": message, "status": status}``."""
    body = json.dumps({"error": message, "status": status}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """The ASGI middleware described in the module docstring."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def _allowed_host(self, name: str, scope: Scope) -> bool:
        """Whether this server answers for the host ``name`` (see the module docstring)."""
        bound = (scope.get("server") or ("",))[0]
        if is_loopback(name) or name in {self.settings.host, bound,
                                         *self.settings.allowed_hosts}:
            return True
        # listening on every address: any name reaches us, and the token guards it
        return self.settings.host in {"0.0.0.0", "::"} and bool(self.settings.token)

    def _token(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple[str | None, bool]:
        """The token the request carries, and whether it came in the query string."""
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization.lower().startswith("bearer "):
            return authorization[7:].strip(), False
        cookie = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1"))
        if COOKIE in cookie:
            return cookie[COOKIE].value, False
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if query.get("token"):
            return query["token"][0], True
        return None, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then pass it on (or answer the error)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.lower(): value for key, value in scope.get("headers", [])}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await send_json(send, *refusal)
            return
        set_cookie = self._cookie(scope, headers)
        body = await self._read_body(receive, headers)
        if isinstance(body, tuple):
            await send_json(send, *body, [(b"connection", b"close")])
            return

        async def send_with_cookie(message: Message) -> None:
            if set_cookie and message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", set_cookie)]
            await send(message)

        await self.app(scope, body, send_with_cookie)

    def _refusal(self, scope: Scope, headers: dict[bytes, bytes]
                 ) -> tuple[int, str, list[tuple[bytes, bytes]]] | None:
        """The status, message and headers refusing a request (host, origin, token), or None."""
        host = headers.get(b"host", b"").decode("latin-1")
        name = host_name(host)
        if name is None:
            return 400, f"malformed Host header {host!r}", [(b"connection", b"close")]
        if host and not self._allowed_host(name, scope):
            return 421, f"this server does not answer for host {host!r}", []
        origin = headers.get(b"origin", b"").decode("latin-1")
        if scope.get("method", "GET") in UNSAFE_METHODS and origin:
            if origin_netloc(origin) != host:  # "null" or a malformed origin: cross-site
                return 403, "cross-site requests are refused", []
        if self.settings.token:
            given, _ = self._token(scope, headers)
            if given is None or not hmac.compare_digest(given.encode(),
                                                        self.settings.token.encode()):
                return 401, ("an access token is required: send 'Authorization: Bearer "
                             "TOKEN', or open the dashboard once at /?token=TOKEN"), [
                    (b"www-authenticate", b"Bearer")]
        return None

    def _cookie(self, scope: Scope, headers: dict[bytes, bytes]) -> bytes | None:
        """The Set-Cookie value when the (checked) token came in the query string."""
        if not self.settings.token:
            return None
        given, from_query = self._token(scope, headers)
        if not from_query:
            return None
        return f"{COOKIE}={given}; HttpOnly; SameSite=Strict; Path=/".encode()

    async def _read_body(self, receive: Receive, headers: dict[bytes, bytes]
                         ) -> Receive | tuple[int, str]:
        """The whole body as a Receive that replays it, or the status and message refusing it.

        A declared Content-Length above the limit is refused before anything is
        read; otherwise the bytes are counted as they arrive, and reading stops
        as soon as they pass the limit, whatever the headers said.
        """
        limit = self.settings.max_body_bytes
        too_large = 413, f"the request body is larger than {limit:,} bytes"
        length = headers.get(b"content-length")
        if length is not None:
            if not length.strip().isdigit():
                return 400, "malformed Content-Length"
            if int(length) > limit:
                return too_large
        timeout = self.settings.request_timeout
        with anyio.move_on_after(timeout):
            return await _read_within(receive, limit, too_large)
        return 408, f"the request body did not arrive within {timeout:g} seconds"


def host_name(host: str) -> str | None:
    """The name in a ``Host`` header (``""`` for none), or None when it cannot be parsed.

    ``urlparse`` raises ``ValueError`` on an unclosed or invalid bracketed address
    (``Host: [::1``, ``Host: [zz]``), which used to be a 500.
    """
    try:
        return urlparse(f"//{host}").hostname or ""
    except ValueError:
        return None


def origin_netloc(origin: str) -> str | None:
    """The ``host[:port]`` of an ``Origin`` header, or None for ``null`` or a malformed one."""
    try:
        return urlparse(origin).netloc or None
    except ValueError:
        return None


async def _read_within(receive: Receive, limit: int, too_large: tuple[int, str]
                       ) -> Receive | tuple[int, str]:
    """Read the body (see :meth:`Guard._read_body`), stopping once it passes ``limit``."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":  # the client left: the route sees it so
            return _replay(message, receive)
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > limit:
            return too_large
        more = bool(message.get("more_body"))
    body = b"".join(chunks)
    return _replay({"type": "http.request", "body": body, "more_body": False}, receive)


def _replay(first: Message, receive: Receive) -> Receive:
    """A Receive that gives ``first`` once, then passes on to ``receive`` (disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first
        return await receive()

    return replay
