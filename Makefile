# `make run` serves the site; `make test` runs the whole suite. Both set everything up first.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed

# Development defaults; production sets its own environment and never uses this file.
export DEBUG ?= true
export HF_HUB_OFFLINE := 1
PORT ?= 8000

.PHONY: install run test lint format stop

# Re-installs only when requirements.txt changed since the last install.
$(STAMP): requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, from the machine's local CPU wheel, so nothing pulls a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

run: install
	PORT=$(PORT) $(PY) manage.py runsite

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DATABASE_URL=postgres://lint@localhost/lint REDIS_URL=redis://localhost:1/0 $(VENV)/bin/mypy .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Stops embedded Postgres/Redis left running (e.g. after a crashed `make run`); normally not needed.
stop:
	$(PY) -m sage.services stop
