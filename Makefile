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

UV_VERSION := 0.13.9

.PHONY: venv run test test-fuzz test-slow lint lock demo bench vendor clean

# Installs exactly the versions pinned in requirements.lock, then the project itself without resolving again.
$(STAMP): pyproject.toml requirements.lock
	@test -n "$(PYTHON)" || { echo "Python >= 3.11 is required (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)

run: venv  ## migrate and serve on http://$(HOST):$(PORT) (embedded SQLite unless DATABASE_URL is set)
	$(BIN)/inspection-tracker serve --host $(HOST) --port $(PORT)

# `make test` runs in one pytest-xdist worker per core (TEST_WORKERS=0: one process, no workers).
TEST_WORKERS ?= auto

test: venv  ## the suite on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set (without `slow` and `fuzz`)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not slow and not fuzz" $(PYTEST_ARGS)

test-fuzz: venv  ## schemathesis over every operation of the OpenAPI document, then along its links (both databases as for `make test`)
	$(BIN)/python -m pytest -m fuzz $(PYTEST_ARGS)

test-slow: venv  ## the `slow` tests (kill -9 of a real server, backup/restore while serving): SQLite; PostgreSQL and the stress test too when TEST_DATABASE_URL is set
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
# Set to a second database to add the 10,000,000-hazard rows (generated there once, about 25 minutes).
BENCH_TENFOLD_URL ?=

bench: venv  ## benchmarks on PostgreSQL, not part of `make test` (about 5 min): every scenario; table into bench/README.md
	$(BIN)/python -m bench.suite --database-url $(BENCH_DATABASE_URL) --readme $(if $(BENCH_TENFOLD_URL),--tenfold-database-url $(BENCH_TENFOLD_URL))

lock:  ## pin a changed pyproject.toml into requirements.lock (LOCK_ARGS=--upgrade moves every pin to the newest); commit both
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 $(LOCK_ARGS) -o requirements.lock

vendor: venv  ## fetch the pinned third-party files listed in tools/vendor.toml again (npm, PyPI) and check their sha256
	$(BIN)/python tools/vendor.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
