# Two commands: `make run` (the service, its worker and the sandbox, with demo data)
# and `make test` (the whole suite on SQLite and PostgreSQL, browser included).
# `make lint` checks format, lint, types and import contracts; CI runs it before the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The Zendesk sandbox (zendesk_sandbox/) is a development stand-in: it is not installed with the
# service, so the commands that use it find it in the checkout.
export PYTHONPATH := $(CURDIR)

.PHONY: run test lint format bench system-deps clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/incidentdesk demo

system-deps:
	@bash scripts/ensure-postgres.sh
	@bash scripts/ensure-chromium.sh

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var *.egg-info
