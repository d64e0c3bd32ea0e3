"""What the test modules share: helpers, hypothesis strategies and test data.

- :mod:`tests.support.paths`: the repository's folders and the test data;
- :mod:`tests.support.strategies`: hypothesis strategies for scenarios;
- :mod:`tests.support.fake_results`: a small scenario and hand-built results;
- :mod:`tests.support.scenarios`: scenarios written inline as YAML text;
- :mod:`tests.support.generated`: synthetic crises of any size, shaped like kursk-2024
  (also the scaling study's, which imports it from here);
- :mod:`tests.support.browser`: Debian's Chromium driven by Playwright;
- :mod:`tests.support.live_server`: ``redline serve`` on a free port.
"""
