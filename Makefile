# firwatch developer commands. Everything installs into ./.venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo demo-full test test-fast test-pg test-slow test-contract browsers lock run lint format bench clean install dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Installs are constrained by the lock files (make lock), as the image is: same versions everywhere.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install -q -c requirements.lock -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install -q -c requirements-dev.lock -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

## make demo: emulator + service on loopback, plays the Venezuela 2025-11 scenario (Ctrl-C stops)
demo: install
	$(BIN)/firwatch demo

## make demo-full: plays the whole scenario without interaction and prints a summary
demo-full: install
	$(BIN)/firwatch demo --until-done

## make test: every test but the `slow` ones on SQLite, then those that touch the database
## (marker `postgres`) again on PostgreSQL (127.0.0.1:5432, a database per worker, created and
## dropped by the tests; FIRWATCH_TEST_PG_URL points elsewhere), each pass on $(WORKERS) xdist
## workers. Needs PostgreSQL and Chromium (make browsers). `make test-slow` runs the rest; CI
## runs both.
WORKERS ?= 2
XDIST   := -n $(WORKERS) --dist loadfile
test: dev
	$(BIN)/pytest $(XDIST) --durations=15 -m "not slow"
	$(MAKE) test-pg

## make test-pg: only the PostgreSQL pass
test-pg: dev
	FIRWATCH_TEST_DB=postgresql $(BIN)/pytest -q $(XDIST) -m "postgres and not needs_pg and not browser and not slow"

## make test-slow: the tests marked `slow` (whole scenario runs twice over, a 20 s database cut,
## the demo played in real time, schemathesis), on SQLite and the PostgreSQL server they name;
## one at a time, as most pace the wall clock
test-slow: dev
	$(BIN)/pytest -q -m slow

## make test-fast: needs only Python: no PostgreSQL server, no browser
test-fast: dev
	$(BIN)/pytest -q $(XDIST) -m "not needs_pg and not browser"

## make test-contract: schemathesis at 150 examples per operation (all checks and phases, admin
## key), on SQLite then PostgreSQL (not in CI yet: about 16 min a database on a loaded 2-core machine)
test-contract: dev
	FIRWATCH_SCHEMATHESIS_EXAMPLES=150 FIRWATCH_SCHEMATHESIS_TIMEOUT_S=1500 $(BIN)/pytest -q -rP tests/api/test_schemathesis.py
	FIRWATCH_TEST_DB=postgresql FIRWATCH_SCHEMATHESIS_EXAMPLES=150 FIRWATCH_SCHEMATHESIS_TIMEOUT_S=1500 $(BIN)/pytest -q -rP tests/api/test_schemathesis.py

## make browsers: Debian's chromium and chromedriver for the browser tests (root; CI calls it)
browsers:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || \
	  (apt-get install -y -q chromium chromium-driver || \
	   (apt-get update -q && apt-get install -y -q chromium chromium-driver))

## make lock: re-pin requirements.lock (image, make install) and requirements-dev.lock (make dev, CI)
lock: dev
	$(BIN)/pip install -q uv
	$(BIN)/uv pip compile -q pyproject.toml --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile -q pyproject.toml --extra dev --python-version 3.11 -o requirements-dev.lock

## make run: the service against the real feeds configured in config.yaml
run: install
	$(BIN)/firwatch db upgrade
	$(BIN)/firwatch serve

## make bench: the benchmark scripts (not part of the test suite); figures in BENCHMARKS.md
bench: dev
	$(BIN)/python benchmarks/bench_classify.py
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_replay.py
	$(BIN)/python benchmarks/bench_api.py
	$(BIN)/python benchmarks/bench_webhooks.py

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache *.egg-info
