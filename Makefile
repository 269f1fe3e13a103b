# firwatch developer commands. Everything installs into ./.venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo demo-full test run lint format bench clean install dev browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

## make demo: emulator + service on loopback, plays the Venezuela 2025-11 scenario (Ctrl-C stops)
demo: install
	$(BIN)/firwatch demo

## make demo-full: plays the whole scenario without interaction and prints a summary
demo-full: install
	$(BIN)/firwatch demo --until-done

## make test: the whole suite on SQLite, then again on PostgreSQL (127.0.0.1:5432, a database
## per run, created and dropped by the tests; FIRWATCH_TEST_PG_URL points elsewhere)
test: dev
	$(BIN)/pytest
	FIRWATCH_TEST_DB=postgresql $(BIN)/pytest -q

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

## make browser: Debian's chromium and its driver for the browser tests (needs root/sudo)
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -q && apt-get install -y -q chromium chromium-driver)

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache *.egg-info
