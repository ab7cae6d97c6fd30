# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CHECKOV_VENV := .venv-checkov
SEMGREP_VENV := .venv-semgrep
#: The deployed app and the local host: what bandit and the semgrep rules scan.
APP_CODE := function_app.py activities api entities housekeeping orchestrators shared
LOCAL_HOST := emulator/src
SEMGREP_RULES := tests/semgrep
#: Local rule files only: registry configs need the network (and hang without it).
SEMGREP := $(SEMGREP_VENV)/bin/semgrep
SEMGREP_FLAGS := --metrics off --disable-version-check --quiet
#: pip-compile against PyPI alone: this machine's local mirrors and wheel folders stay out of
#: the lock, so every machine computes the same hashes.
LOCK := env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null \
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links

.PHONY: deps test test-browser test-fast lint lint-workflows fmt lock run func azurite bench clean \
	record-histories

# Both files are hashed locks (see `make lock`); the dev lock repeats the runtime pins. The local
# host is installed editable on top, its dependencies already pinned by the locks.
$(VENV)/.installed: requirements.txt requirements-dev.txt emulator/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes -r requirements.txt
	$(BIN)/pip install -q --require-hashes -r requirements-dev.txt
	$(BIN)/pip install -q --no-deps -e emulator
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q -r requirements-checkov.txt
	touch $@

$(SEMGREP_VENV)/.installed: requirements-semgrep.txt
	$(PYTHON) -m venv $(SEMGREP_VENV)
	$(SEMGREP_VENV)/bin/pip install -q -r requirements-semgrep.txt
	touch $@

deps: $(VENV)/.installed node_modules/.installed $(CHECKOV_VENV)/.installed $(SEMGREP_VENV)/.installed

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

## Style, types, then security checks: bandit and the local semgrep rules (each rule is
## tested on its own bad and good samples first), over the app and the local host.
lint: $(VENV)/.installed $(SEMGREP_VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/bandit -q -r $(APP_CODE)
	$(BIN)/bandit -q -c emulator/bandit.yaml -r $(LOCAL_HOST)
	$(SEMGREP) $(SEMGREP_FLAGS) --test $(SEMGREP_RULES)
	$(SEMGREP) scan $(SEMGREP_FLAGS) --error --config $(SEMGREP_RULES)/orchestrator-determinism.yml orchestrators
	$(SEMGREP) scan $(SEMGREP_FLAGS) --error --config $(SEMGREP_RULES)/anonymous-route.yml \
		--config $(SEMGREP_RULES)/table-filter-from-strings.yml \
		--config $(SEMGREP_RULES)/unsafe-calls.yml $(APP_CODE) $(LOCAL_HOST)

## Regenerate the hashed locks from requirements.in / requirements-dev.in (needs PyPI).
lock: $(VENV)/.installed
	$(LOCK) --output-file requirements.txt requirements.in
	$(LOCK) --output-file requirements-dev.txt requirements-dev.in

## The GitHub Actions workflows alone (also part of `make test`): GitHub's workflow schema,
## zizmor (offline), shellcheck of every run: script, and the README's deploy commands.
lint-workflows: $(VENV)/.installed
	$(BIN)/pytest -q -p no:cacheprovider tests/infra/test_workflows_lint.py \
		tests/infra/test_workflows_pipeline.py tests/infra/test_workflow_scripts.py \
		tests/infra/test_workflow_steps.py

fmt: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(SEMGREP_VENV) node_modules .local .mypy_cache .ruff_cache .pytest_cache

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

## Re-record the orchestration histories that `make test` replays (tests/replay/histories), on
## purpose only: after a change that running instances will never meet. See docs/replay-checks.md.
record-histories: $(VENV)/.installed node_modules/.installed
	$(BIN)/python -m tests.replay.record

## Throughput, batch completion and replay cost on this machine, printed as a table
## (figures, never assertions). `make bench BENCH_ARGS=--quick` for a smoke run.
bench: $(VENV)/.installed node_modules/.installed
	$(BIN)/python -m tests.bench $(BENCH_ARGS)
