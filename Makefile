# `make run` and `make test` are the whole set-up on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# `make run` installs what running the demo needs; `make test` adds the test tools on top.
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
# The OpenID provider the single sign-on tests start (npm's oidc-provider, pinned in tests/oidc/package-lock.json).
OIDC_STAMP := tests/oidc/node_modules/.installed
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

$(OIDC_STAMP): tests/oidc/package.json tests/oidc/package-lock.json
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error
	touch $(OIDC_STAMP)

run: export CONTROLTRACE_DEMO=true
run: venv-run
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_catalogs
	$(BIN)/python manage.py rundemo --addr $(HOST):$(PORT)

test: export CONTROLTRACE_TESTING=true
test: venv $(OIDC_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: export CONTROLTRACE_TESTING=true
test-fast: venv
	$(BIN)/python -m pytest -m "not integration and not browser" $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3 media
