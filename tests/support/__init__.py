"""What the test modules share: helpers, hypothesis strategies and test data.

- :mod:`tests.support.paths`: the repository's folders and the test data;
- :mod:`tests.support.strategies`: hypothesis strategies for scenarios;
- :mod:`tests.support.fake_results`: a small scenario and hand-built results;
- :mod:`tests.support.browser`: Debian's Chromium driven by Playwright;
- :mod:`tests.support.live_server`: ``redline serve`` on a free port.
"""
