# `make run` and `make test` are the whole set-up on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Two workers: the suite's services (PostgreSQL, Redis, moto, Chromium) keep both cores busy.
PYTEST_ARGS ?= -n 2

.PHONY: run test test-fast lint venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock ".[demo,test]"
	touch $(STAMP)

run: export CONTROLTRACE_DEMO=true
run: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_catalogs
	$(BIN)/python manage.py rundemo --addr $(HOST):$(PORT)

test: export CONTROLTRACE_TESTING=true
test: venv
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
