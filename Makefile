# inspection-tracker — the two commands: `make run` and `make test`.
# The first interpreter on PATH that is Python >= 3.11 and actually runs (pyenv shims may not).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# `make demo` keeps its own embedded database, secret key and evidence files, apart from `make run`'s ./data.
DEMO_DATA_DIR ?= data-demo

.PHONY: venv run test test-slow lint demo bench vendor clean

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

test-slow: venv  ## the `slow` tests (stress, kill -9 of a real server): PostgreSQL only, needs TEST_DATABASE_URL
	@test -n "$$TEST_DATABASE_URL" || { echo "test-slow needs TEST_DATABASE_URL (the tests would all skip)"; exit 2; }
	$(BIN)/python -m pytest -m slow -s $(PYTEST_ARGS)

lint: venv  ## ruff (check and format) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

demo: venv  ## load the 2023 Shizhu County data set into $(DEMO_DATA_DIR) (embedded SQLite), print the report, serve it
	@! grep -qs '^[[:space:]]*DATABASE_URL' .env || { echo "make demo seeds its own SQLite under $(DEMO_DATA_DIR); .env sets DATABASE_URL, which would receive the demo data instead: remove it from .env or run seed-demo by hand"; exit 2; }
	env -u DATABASE_URL DATA_DIR=$(DEMO_DATA_DIR) $(BIN)/inspection-tracker seed-demo
	env -u DATABASE_URL DATA_DIR=$(DEMO_DATA_DIR) $(BIN)/inspection-tracker serve --host $(HOST) --port $(PORT)

BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/inspection_tracker_bench

bench: venv  ## benchmarks on PostgreSQL, not part of `make test` (about 5 min): every scenario; table into bench/README.md
	$(BIN)/python -m bench.suite --database-url $(BENCH_DATABASE_URL) --readme

vendor: venv  ## fetch the pinned third-party files listed in tools/vendor.toml again (npm, PyPI) and check their sha256
	$(BIN)/python tools/vendor.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
