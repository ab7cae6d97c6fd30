# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CHECKOV_VENV := .venv-checkov

.PHONY: deps test test-browser test-fast lint fmt run func azurite bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt emulator/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	$(BIN)/pip install -q -e emulator
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q -r requirements-checkov.txt
	touch $@

deps: $(VENV)/.installed node_modules/.installed $(CHECKOV_VENV)/.installed

#: The browser that drives the dashboard's browser tests (Debian's `chromium`; never a download).
CHROMIUM ?= $(shell command -v chromium 2>/dev/null)

## Every test (unit, integration, HTTP, emulator, end-to-end, infra, and the dashboard in a
## browser when a Chromium is found), then lint, types and the import contracts.
test: deps
ifeq ($(strip $(CHROMIUM)),)
	@echo "NOTE: no Chromium found: the dashboard's browser tests (tests/browser) do NOT run."
	@echo "      Install it (apt-get install -y chromium) or set CHROMIUM=/path/to/chromium."
	$(BIN)/pytest --ignore=tests/browser
	@echo "NOTE: the dashboard's browser tests (tests/browser) did NOT run: no Chromium found."
else
	DASHBOARD_CHROMIUM=$(CHROMIUM) $(BIN)/pytest
endif
	$(MAKE) --no-print-directory lint

## The dashboard's browser tests alone (screenshots in .local/dashboard-screenshots/).
test-browser: $(VENV)/.installed node_modules/.installed
	DASHBOARD_CHROMIUM=$(CHROMIUM) $(BIN)/pytest tests/browser

## The inner loop: unit and HTTP tests only.
test-fast: $(VENV)/.installed
	$(BIN)/pytest -m "unit or http"

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules .local .mypy_cache .ruff_cache .pytest_cache

## Run the app locally: Azurite plus the local host (durable-localhost) on http://localhost:7071.
run: $(VENV)/.installed node_modules/.installed
	bash scripts/run_local.sh emulator

## Azurite alone, in the foreground (the editor's debug configurations start the host themselves).
azurite: node_modules/.installed
	@if (exec 3<>/dev/tcp/127.0.0.1/10002) 2>/dev/null; then \
		echo "Azurite is ready (already listening on 127.0.0.1:10000-10002)"; sleep infinity; fi
	mkdir -p .local/azurite
	@echo "Azurite is ready (starting on 127.0.0.1:10000-10002, data in .local/azurite)"
	node_modules/.bin/azurite --silent --skipApiVersionCheck --disableTelemetry \
		--location .local/azurite --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1

## Same with Azure Functions Core Tools (`func start`), for those who have it installed.
func: $(VENV)/.installed node_modules/.installed
	bash scripts/run_local.sh func

## Throughput, batch completion and replay cost on this machine, printed as a table
## (figures, never assertions). `make bench BENCH_ARGS=--quick` for a smoke run.
bench: $(VENV)/.installed node_modules/.installed
	$(BIN)/python -m tests.bench $(BENCH_ARGS)
