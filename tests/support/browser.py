"""Debian's Chromium driven by Playwright, for the browser tests (never a downloaded browser).

Importing :func:`require_chromium` at a test module's top skips the module
when /usr/bin/chromium is missing, or fails it when REDLINE_REQUIRE_BROWSER is
set (``make test`` sets it and installs the package).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def require_chromium() -> None:
    """Skip (or, with REDLINE_REQUIRE_BROWSER, fail) the calling module without Chromium."""
    if CHROMIUM.exists():
        return
    if os.environ.get("REDLINE_REQUIRE_BROWSER"):
        pytest.fail(f"REDLINE_REQUIRE_BROWSER is set but {CHROMIUM} is missing: install "
                    "Debian's chromium (make test does)", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium, or run make test)",
                allow_module_level=True)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (the system's), closed on exit."""
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class RecordedPage:
    """A page that records every request, dialog, console error and page error.

    Requests that ``is_local`` refuses are aborted (and listed in :attr:`outside`),
    so a faulty page is caught without ever reaching the network.
    """

    def __init__(self, browser: Any, is_local: Callable[[str], bool], *,
                 viewport: dict[str, int], accept_dialogs: bool,
                 console_ignored: str | None = None) -> None:
        self.is_local = is_local
        self.accept_dialogs = accept_dialogs
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport=viewport)
        self.page.route("**/*", self._route)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda message: self.errors.append(message.text)
                     if message.type == "error" and not (
                         console_ignored and console_ignored in message.text) else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _route(self, route: Any) -> None:
        if self.is_local(route.request.url):
            route.continue_()
        else:
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        if self.accept_dialogs:
            dialog.accept()
        else:
            dialog.dismiss()

    @property
    def outside(self) -> list[str]:
        """Requests the page made beyond what it may."""
        return [url for url in self.requests if not self.is_local(url)]
