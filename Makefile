# inspection-tracker — the two commands: `make run` and `make test`.
# The first interpreter on PATH that is Python >= 3.11 and actually runs (pyenv shims may not).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: venv run test test-slow lint demo bench clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python >= 3.11 is required (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: venv  ## migrate and serve on http://$(HOST):$(PORT) (embedded SQLite unless DATABASE_URL is set)
	$(BIN)/inspection-tracker serve --host $(HOST) --port $(PORT)

test: venv  ## the suite on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set (without the `slow` tests)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

test-slow: venv  ## the `slow` tests (kill -9 of a real server, backup/restore while serving): SQLite; PostgreSQL and the stress test too when TEST_DATABASE_URL is set
	$(BIN)/python -m pytest -m slow -s $(PYTEST_ARGS)

lint: venv  ## ruff (check and format) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

demo: venv  ## load the 2023 Shizhu County data set and serve it
	$(BIN)/inspection-tracker seed-demo
	$(BIN)/inspection-tracker serve --host $(HOST) --port $(PORT)

BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/inspection_tracker_bench

bench: venv  ## benchmarks on PostgreSQL, not part of `make test` (about 5 min): every scenario; table into bench/README.md
	$(BIN)/python -m bench.suite --database-url $(BENCH_DATABASE_URL) --readme

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
