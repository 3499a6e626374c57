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

.PHONY: run test lint format bench system-deps clean lock package-app

# The service's own dependencies come pinned, with hashes, from requirements.lock (as in the
# image); the test and lint tools on top of them.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	@touch $(STAMP)

# Re-pin requirements.lock from pyproject.toml's ranges (after changing a dependency, or to
# take updates: `make lock LOCK_ARGS=--upgrade`), with pip-tools in a throwaway venv.
lock:
	rm -rf var/lock-venv && $(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/python -m pip install --quiet pip-tools==7.6.2
	var/lock-venv/bin/pip-compile --quiet $(LOCK_ARGS) --strip-extras --generate-hashes --no-emit-index-url \
		--no-emit-find-links --output-file requirements.lock pyproject.toml
	rm -rf var/lock-venv

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

# The Zendesk app's zip (dist/incidentdesk-app.zip) from manifests/zendesk, refused when incomplete.
package-app: $(STAMP)
	$(BIN)/incidentdesk package-app

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var *.egg-info
