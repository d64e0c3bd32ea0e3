"""Session set-up shared by every test module.

Tests that press Ctrl-C on a redline process send it SIGINT. A test run
started in the background by a shell without job control (``make test &``,
some CI runners) inherits SIGINT *ignored*, and a process exec'd with a
signal ignored keeps it ignored: Python then installs no KeyboardInterrupt
handler and the child never sees the interrupt. A handled signal, unlike an
ignored one, is reset to its default at exec, so handling SIGINT in the test
process gives every child the disposition a user's terminal gives it.
"""

from __future__ import annotations

import signal


def pytest_configure() -> None:
    """Handle SIGINT in the test process if it was inherited ignored (see the module docstring)."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
