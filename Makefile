# The two commands: `make demo` (set up everything and serve with demo data) and
# `make test` (set up everything and run the whole suite). Both are idempotent.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := var/stamps
export IOC_VAR_DIR ?= $(CURDIR)/var

.PHONY: help demo test setup system-packages browser doctor doctor-demo doctor-test venv assets \
	translations messages db lint typecheck fuzz check stop clean

help:
	@echo "make demo   set up everything, seed demo data, serve at http://127.0.0.1:8000"
	@echo "make test   set up everything and run the whole test suite"
	@echo "make check  ruff, mypy --strict, the layer check and the API fuzzing run"
	@echo "make doctor check the system prerequisites and print the fix for each missing one"
	@echo "make stop   stop the embedded database"

demo: export IOC_DEMO := 1
demo: setup
	$(BIN)/ioc demo --host 127.0.0.1 --port 8000

test: export IOC_DEMO := 1
test: system-packages browser doctor-test venv assets translations db
	$(BIN)/pytest -q $(PYTEST_ARGS)

setup: system-packages doctor-demo venv assets translations

# System packages: installed with apt when root, otherwise the exact command is printed. The
# script only looks at files unless something is missing, so it runs every time.
system-packages:
	@scripts/system-packages.sh server

# Chromium and fonts, for the browser tests only.
browser:
	@scripts/system-packages.sh browser

# Every prerequisite checked the way the system uses it, with the fix for each missing one. It runs
# with the system's python3 (standard library only), before the virtual environment exists.
doctor:
	@$(PYTHON) -m ioc.system.doctor --for test
doctor-demo:
	@$(PYTHON) -m ioc.system.doctor --for demo
doctor-test:
	@$(PYTHON) -m ioc.system.doctor --for test

venv: $(STAMP)/venv
$(STAMP)/venv: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@mkdir -p $(STAMP) && touch $@

# Browser assets: npm verifies each package against package-lock.json's integrity hashes.
assets: $(STAMP)/assets
$(STAMP)/assets: package-lock.json ioc/web/assets.py $(STAMP)/venv
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	$(BIN)/ioc assets sync
	@mkdir -p $(STAMP) && touch $@

translations: $(STAMP)/venv
	$(BIN)/pybabel compile -d ioc/locale -D messages

# Extract new messages and merge them into the catalogs (for developers).
messages: $(STAMP)/venv
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k gettext --ignore-dirs=".venv node_modules var" -o ioc/locale/messages.pot .
	$(BIN)/pybabel update -i ioc/locale/messages.pot -d ioc/locale -D messages --no-fuzzy-matching

db: $(STAMP)/venv
	$(BIN)/ioc db start

lint: $(STAMP)/venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)/venv
	$(BIN)/mypy ioc routing reports dashboard migrations tests bench

# Schemathesis over the whole OpenAPI document on a served app: any 5xx fails (FUZZ_SEED=N repeats).
fuzz: $(STAMP)/venv db
	$(BIN)/python scripts/fuzz_api.py

check: lint typecheck fuzz
	$(PYTHON) ../shared/tools/check_layers.py . || test ! -f ../shared/tools/check_layers.py

stop:
	$(BIN)/ioc db stop

clean: stop
	rm -rf $(VENV) node_modules ioc/static/vendor $(STAMP)
