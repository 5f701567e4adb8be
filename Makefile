# The two commands: `make demo` (set up everything and serve with demo data) and
# `make test` (set up everything and run the whole suite). Both are idempotent.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := var/stamps
export IOC_VAR_DIR ?= $(CURDIR)/var

.PHONY: help demo test setup system-packages browser venv assets translations messages db lint typecheck check stop clean

help:
	@echo "make demo   set up everything, seed demo data, serve at http://127.0.0.1:8000"
	@echo "make test   set up everything and run the whole test suite"
	@echo "make check  ruff, mypy --strict and the layer check"
	@echo "make stop   stop the embedded database"

demo: export IOC_DEMO := 1
demo: setup db
	$(BIN)/ioc db migrate
	$(BIN)/ioc seed
	@echo
	@echo "  Trang chủ / Home:                http://127.0.0.1:8000/"
	@echo "  Bản đồ phường / Wards map:       http://127.0.0.1:8000/map/jurisdictions"
	@echo "  Đăng nhập / Staff sign-in:       http://127.0.0.1:8000/login"
	@echo "  API docs:                        http://127.0.0.1:8000/api/docs"
	@echo "  Demo sign-ins (password demo12345): admin, supervisor, operator"
	@echo
	@# The job worker runs beside the server; Ctrl-C (or the server's end) stops both.
	@trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	  $(BIN)/ioc worker & worker=$$!; \
	  $(BIN)/ioc serve --host 127.0.0.1 --port 8000

test: export IOC_DEMO := 1
test: setup browser db
	$(BIN)/pytest -q $(PYTEST_ARGS)

setup: system-packages venv assets translations

# System packages: installed with apt when root, otherwise the exact command is printed.
system-packages: $(STAMP)/system
$(STAMP)/system: scripts/system-packages.sh
	scripts/system-packages.sh server
	@mkdir -p $(STAMP) && touch $@

# Chromium and fonts, for the browser tests only.
browser: $(STAMP)/browser
$(STAMP)/browser: scripts/system-packages.sh
	scripts/system-packages.sh browser
	@mkdir -p $(STAMP) && touch $@

venv: $(STAMP)/venv
$(STAMP)/venv: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation \
	  --config-settings editable_mode=compat -e .
	@mkdir -p $(STAMP) && touch $@

# Browser assets: npm verifies each package against package-lock.json's integrity hashes.
assets: $(STAMP)/assets
$(STAMP)/assets: package-lock.json ioc/assets.py $(STAMP)/venv
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

check: lint typecheck
	$(PYTHON) ../shared/tools/check_layers.py . || test ! -f ../shared/tools/check_layers.py

stop:
	$(BIN)/ioc db stop

clean: stop
	rm -rf $(VENV) node_modules ioc/static/vendor $(STAMP)
