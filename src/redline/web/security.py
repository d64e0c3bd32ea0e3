"""Safety at the edge: the access token, request size, and the Host and Origin checks.

All three are one pure ASGI middleware, so that they hold for every route,
page and static file:

- **Token.** When the server has a token, every request must carry it: as
  ``Authorization: Bearer TOKEN`` (API clients), as the ``redline_token``
  cookie (the dashboard), or once as ``?token=TOKEN`` in a page's address,
  which sets that cookie (HttpOnly, SameSite=Strict). Otherwise 401.
- **Size.** A body larger than ``max_body_bytes`` gets 413 before it is read
  (from Content-Length, or counted while reading a chunked body).
- **Host and Origin.** A request whose ``Host`` is not this server's (DNS
  rebinding) gets 421 (``--allow-host`` adds names, e.g. a reverse proxy's);
  a state-changing request whose ``Origin`` is another site (cross-site
  request forgery) gets 403.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlparse

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

    def _allowed_host(self, host: str) -> bool:
        name = urlparse(f"//{host}").hostname or ""
        if is_loopback(name) or name in {self.settings.host, "testserver",
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
        host = headers.get(b"host", b"").decode("latin-1")
        if host and not self._allowed_host(host):
            await send_json(send, 421, f"this server does not answer for host {host!r}")
            return
        method = scope.get("method", "GET")
        origin = headers.get(b"origin", b"").decode("latin-1")
        if method in UNSAFE_METHODS and origin and origin != "null":
            if (urlparse(origin).netloc or "") != host:
                await send_json(send, 403, "cross-site requests are refused")
                return
        set_cookie = None
        if self.settings.token:
            given, from_query = self._token(scope, headers)
            if given is None or not hmac.compare_digest(given.encode(),
                                                        self.settings.token.encode()):
                await send_json(send, 401, "an access token is required: send "
                                "'Authorization: Bearer TOKEN', or open the dashboard "
                                "once at /?token=TOKEN",
                                [(b"www-authenticate", b"Bearer")])
                return
            if from_query:
                set_cookie = (f"{COOKIE}={given}; HttpOnly; SameSite=Strict; Path=/").encode()
        limit = self.settings.max_body_bytes
        length = headers.get(b"content-length")
        if length is not None:
            try:
                too_large = int(length) > limit
            except ValueError:
                await send_json(send, 400, "malformed Content-Length")
                return
            if too_large:
                await send_json(send, 413, f"the request body is larger than {limit:,} bytes")
                return
        elif method in UNSAFE_METHODS:
            receive = await self._buffered(receive, limit)
            if receive is None:  # type: ignore[comparison-overlap]
                await send_json(send, 413, f"the request body is larger than {limit:,} bytes")
                return

        async def send_with_cookie(message: Message) -> None:
            if set_cookie and message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", set_cookie)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    @staticmethod
    async def _buffered(receive: Receive, limit: int) -> Receive:
        """Read a body of unknown length up to ``limit``; None (as a Receive) if larger."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                return None  # type: ignore[return-value]
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay
