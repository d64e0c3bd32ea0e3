# redline: install, run the flagship scenario, test, benchmark.
# Everything runs from the project's own virtual environment in .venv.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run serve test test-slow test-all browser docs fuzz bench scaling lint clean \
	distclean

# One stamp per set of dependencies. $(STAMP): the runtime alone (`pip install -e .`, what
# run, serve and scaling need); $(STAMP)-test, -lint, -docs, -bench: the runtime and that extra of
# pyproject.toml. A stamp is newer than pyproject.toml (and an extra's than the runtime's) once
# its install succeeded, so each install is a no-op until the dependencies change, and
# `make run` installs nothing that only the tests, the linters or the benchmarks need.
install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip || echo 'warning: could not upgrade pip; continuing'
	$(BIN)/python -m pip install -e .
	$(BIN)/python -m redline.engine
	touch $(STAMP)

$(STAMP)-%: $(STAMP)
	$(BIN)/python -m pip install -e '.[$*]'
	touch $@

# The flagship scenario: 100,000 runs, stored in redline.duckdb, reports in reports/
# (Markdown of the stored run; HTML with figures from 20,000 runs).
run: install
	$(BIN)/redline run kursk-2024 --runs 100000 --seed 20241028 --db redline.duckdb \
		--markdown reports/kursk-2024.md
	$(BIN)/redline report kursk-2024 --runs 20000 --seed 20241028 -o reports/kursk-2024.html

# The dashboard and the JSON API on http://127.0.0.1:8000/ (docs/web.md), on redline.duckdb.
serve: install
	$(BIN)/redline serve --db redline.duckdb

# The test suite (tests/README.md), in two parts. `make test`: ruff, the API reference (make docs)
# and every test not marked slow (pytest -m "not slow"; measured: 1,165 tests in 3 min 18 s on
# the 2-core development machine, after installs that took about 9 minutes on a fresh one).
# `make test-slow`: the 106 tests marked slow (@pytest.mark.slow: more than about 3 s each, or a
# module whose fixture takes minutes; 18 minutes of a 22-minute run of the whole suite there).
# `make test-all`: both in one pytest run. CI (.ci/run) runs `make test`, then `make test-slow`.
test: $(STAMP)-test docs browser
	$(BIN)/ruff check src tests
	REDLINE_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -m "not slow"

test-slow: $(STAMP)-test browser
	REDLINE_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -m slow

test-all: $(STAMP)-test docs browser
	$(BIN)/ruff check src tests
	REDLINE_REQUIRE_BROWSER=1 $(BIN)/python -m pytest

# The browser tests of the HTML report and the dashboard need Debian's chromium (never a browser
# downloaded by Playwright), installed here with apt when it is missing (as root, or through
# sudo); REDLINE_REQUIRE_BROWSER makes its absence a failure.
browser:
	@[ -x /usr/bin/chromium ] || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=; \
		elif command -v sudo >/dev/null; then SUDO=sudo; \
		else echo "chromium is missing and this is not root: install Debian's chromium"; exit 1; fi; \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y --no-install-recommends chromium; }

# The API reference, built from the docstrings by Sphinx (docs/api/conf.py) into build/api/html
# (open build/api/html/index.html); any warning (a docstring that does not parse, a citation
# without a bibliography entry, a module that fails to import) fails the build. -E reads every
# page afresh, so a warning is reported on every build, not only the first. Part of `make test`
# (measured: 11-16 s on the 2-core development machine). Nothing is fetched.
docs: $(STAMP)-docs
	$(BIN)/python -m sphinx -E -W --keep-going -q -b html docs/api build/api/html

# The scenario-loader fuzzing suite with ten times the cases of `make test` and `make test-slow`
# (tests/scenario/test_fuzz.py; FUZZ_EXAMPLES cases per property: ten times their share of time).
FUZZ_EXAMPLES ?= 10000
fuzz: $(STAMP)-test
	REDLINE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/scenario/test_fuzz.py

# The bench extra is Mesa, for the peer comparison (python -m benchmarks.compare).
bench: $(STAMP)-bench
	@if [ -f benchmarks/run.py ]; then $(BIN)/python -m benchmarks.run; \
	else echo "no benchmarks/run.py: nothing to benchmark"; fi

# The scaling study: time and peak memory of redline.simulate against runs (to 1e7),
# actors (generated scenarios) and horizon, each point in a fresh process; writes
# benchmarks/results/scaling-<date>-<host>.json and .png. SCALING_FLAGS=--quick: 100x smaller.
scaling: install
	$(BIN)/python -m benchmarks.scaling $(SCALING_FLAGS)

# Style, types, and known vulnerabilities in the installed dependencies (pip-audit).
lint: $(STAMP)-lint
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/mypy src
	$(BIN)/python tools/audit_dependencies.py

# Caches and build outputs; results (redline.duckdb, reports/) are kept.
clean:
	rm -rf build dist .pytest_cache .ruff_cache .mypy_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	find . -path ./$(VENV) -prune -o -name '*.egg-info' -type d -exec rm -rf {} +

# Also the virtual environment.
distclean: clean
	rm -rf $(VENV)
