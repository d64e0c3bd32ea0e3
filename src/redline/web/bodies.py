r"""Request bodies read strictly: UTF-8 JSON text (RFC 8259), nothing looser.

Python's ``json.loads`` is lenient where a server must not be: given bytes it
guesses UTF-16 or UTF-32 and lets UTF-8-encoded surrogates through, it
accepts ``NaN`` and ``Infinity``, keeps the last of duplicated keys, and
turns the escape ``\ud800`` into a lone surrogate, a ``str`` that is not
text and fails later, deep in the YAML loader, as a server error.
:func:`read_json` refuses all of these with :class:`json.JSONDecodeError`,
which FastAPI reports as a ``json_invalid`` request error; the application
answers it with 400. :class:`StrictJSONRoute` makes every API route read its
body with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from redline.scenario.yaml_source import too_many_digits


class _Refused(ValueError):
    """Valid JSON syntax that a strict reader refuses (a constant, a duplicated key)."""


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number (JSON has no NaN or infinity)")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _Refused(f"the key {key!r} appears twice in one object")
        seen.add(key)
    return dict(pairs)


def _strings(value: Any) -> Iterator[str]:
    """Every string in a parsed JSON value, keys included (iteratively: no depth limit)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _text(body: bytes) -> str:
    """The body as UTF-8 text, strictly (no surrogates, no other encoding guessed)."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        where = len(body[: error.start].decode("utf-8"))
        raise json.JSONDecodeError(f"the body is not UTF-8 text ({error.reason} at byte "
                                   f"{error.start})", body.decode("utf-8", "replace"),
                                   where) from None


def read_json(body: bytes) -> Any:
    """Parse a request body as strict JSON.

    Parameters
    ----------
    body : bytes
        The request body.

    Returns
    -------
    Any
        The parsed value, whose strings are all Unicode text.

    Raises
    ------
    json.JSONDecodeError
        The body is not UTF-8, not JSON, uses ``NaN`` or ``Infinity``, repeats
        a key in one object, holds a lone surrogate escape, or nests too deeply;
        the message says which (and where, for syntax errors).

    """
    text = _text(body)
    try:
        value = json.loads(text, parse_constant=_refuse_constant,
                           object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise json.JSONDecodeError(f"{error.msg} at line {error.lineno}, column "
                                   f"{error.colno}", text, error.pos) from None
    except (ValueError, RecursionError) as error:  # refused, too many digits, too deep
        message = too_many_digits(error) or str(error) or type(error).__name__
        raise json.JSONDecodeError(message, text, 0) from None
    for string in _strings(value):
        try:
            string.encode("utf-8")
        except UnicodeEncodeError as error:
            code = ord(string[error.start])
            raise json.JSONDecodeError(f"a string holds the lone surrogate \\u{code:04x}, "
                                       "which is not a character", text, 0) from None
    return value


class StrictJSONRequest(Request):
    """A request whose ``json()`` is :func:`read_json` of its body."""

    async def json(self) -> Any:
        """The body, parsed strictly (once)."""
        if not hasattr(self, "_strict_json"):
            self._strict_json = read_json(await self.body())
        return self._strict_json


class StrictJSONRoute(APIRoute):
    """An API route that reads its JSON body with :func:`read_json`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, given a :class:`StrictJSONRequest`."""
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict
