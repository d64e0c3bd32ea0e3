# redline: install, run the flagship scenario, test, benchmark.
# Everything runs from the project's own virtual environment in .venv.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench lint clean distclean

# The stamp is newer than pyproject.toml once the install succeeded, so
# `make install` is a no-op until the dependencies change.
install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip || echo 'warning: could not upgrade pip; continuing'
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

# The flagship scenario: 100,000 runs, stored in redline.duckdb, report in reports/.
run: install
	$(BIN)/redline run kursk-2024 --runs 100000 --seed 20241028 --db redline.duckdb \
		--markdown reports/kursk-2024.md

test: install
	$(BIN)/ruff check src tests
	$(BIN)/python -m pytest

bench: install
	@if [ -f benchmarks/run.py ]; then $(BIN)/python -m benchmarks.run; \
	else echo "no benchmarks/run.py: nothing to benchmark"; fi

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/mypy src

# Caches and build outputs; results (redline.duckdb, reports/) are kept.
clean:
	rm -rf build dist .pytest_cache .ruff_cache .mypy_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	find . -path ./$(VENV) -prune -o -name '*.egg-info' -type d -exec rm -rf {} +

# Also the virtual environment.
distclean: clean
	rm -rf $(VENV)
