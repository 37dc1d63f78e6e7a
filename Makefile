# `make run` and `make test` are the whole set-up on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# `make run` installs what running the demo needs; `make test` adds the test tools on top.
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
# Test tools from the npm registry (axe-core, and oidc-provider for the sign-on tests), pinned in package-lock.json.
NODE_STAMP := node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Two workers: the suite's services (PostgreSQL, Redis, moto, Chromium) keep both cores busy.
PYTEST_ARGS ?= -n 2

.PHONY: run test test-fast lint venv venv-run clean

venv-run: $(RUN_STAMP)
venv: $(TEST_STAMP)

$(RUN_STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock ".[demo]"
	touch $(RUN_STAMP)

$(TEST_STAMP): $(RUN_STAMP)
	$(BIN)/pip install --quiet -c requirements.lock ".[demo,test]"
	touch $(TEST_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $(NODE_STAMP)

run: export CONTROLTRACE_DEMO=true
run: venv-run
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_catalogs
	$(BIN)/python manage.py rundemo --addr $(HOST):$(PORT)

test: export CONTROLTRACE_TESTING=true
test: venv $(NODE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: export CONTROLTRACE_TESTING=true
test-fast: venv
	$(BIN)/python -m pytest -m "not integration and not browser" $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) node_modules db.sqlite3 media
