"""The analyst's workbench in the browser: a dashboard and a JSON API (``redline serve``).

One FastAPI application (:func:`redline.web.app.create_app`) on the same engine
and results database as the command line. See docs/web.md for the endpoints,
the limits and the security defaults. FastAPI is imported only when the
application is built, so the command line starts as fast without it.
"""

from __future__ import annotations

from typing import Any

from redline.web.settings import Settings, UnsafeBindError

__all__ = ["Settings", "UnsafeBindError", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from redline.web.app import create_app

        return create_app
    raise AttributeError(f"module 'redline.web' has no attribute {name!r}")
