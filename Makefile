# `make run` serves the site; `make test` runs the whole suite. Both set everything up first.
VENV := .venv
PY := $(VENV)/bin/python
# Production's packages (`make run`), then tests, lint and type checks on top (`make test`, `make lint`).
STAMP := $(VENV)/.requirements-installed
DEV_STAMP := $(VENV)/.requirements-dev-installed
PIN_FLAGS := --quiet --no-strip-extras --no-emit-find-links --no-emit-index-url

# Development defaults; production sets its own environment and never uses this file.
export DEBUG ?= true
export HF_HUB_OFFLINE := 1
PORT ?= 8000
# Test processes (pytest-xdist), each with its own test database and Redis database; a file's tests
# stay in one process, so its module fixtures are built once, and files go out in collection order, so
# each process runs its browser files after all its others (see tests/conftest.py). `make test
# TEST_PROCESSES=0` runs serially. The slowest tests are listed at the end (the suite has a time budget).
TEST_PROCESSES ?= 2

.PHONY: install install-dev run test lint format stop pins schema extension

# Re-installs only when requirements.txt changed since the last install.
$(STAMP): requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, from the machine's local CPU wheel, so nothing pulls a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(DEV_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

run: install
	PORT=$(PORT) $(PY) manage.py runsite

# A test process that dies (once in many runs: CPython 3.11's contextvars crash under garbage collection,
# python/cpython#148891) ends the run at once and names its test: replacing it instead can deadlock xdist's
# loadfile scheduler until the CI's time runs out (pytest-dev/pytest-xdist#1378).
test: install-dev
	$(PY) -m pytest --numprocesses $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder --max-worker-restart 0 --durations=25 $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The API's contract, committed: tests/sage/test_api_schema_snapshot.py fails until this is rerun
# after a deliberate change, so a change to the API is always seen in review.
schema: install-dev
	DEBUG=true $(VENV)/bin/python manage.py spectacular --file docs/openapi.yaml
	DEBUG=true $(VENV)/bin/python manage.py policy_table --write

# Re-resolves requirements*.txt from requirements*.in with pip-compile, keeping every pin that still
# fits; `make pins PIN_ARGS="--upgrade-package django"` moves one package, `PIN_ARGS=--upgrade` all.
pins: install-dev
	$(VENV)/bin/pip-compile $(PIN_FLAGS) $(PIN_ARGS) -o requirements.txt requirements.in
	$(VENV)/bin/pip-compile $(PIN_FLAGS) $(PIN_ARGS) -o requirements-dev.txt requirements-dev.in
	# The index names the CPU wheel 2.13.0+cpu; pin the public version, as `make install` asks for it.
	sed -i 's/^torch==.*/torch==2.13.0/' requirements.txt
	grep -qx -- '-r requirements.txt' requirements-dev.txt || sed -i '1i -r requirements.txt' requirements-dev.txt

# Stops embedded Postgres/Redis left running (e.g. after a crashed `make run`); normally not needed.
stop:
	$(PY) -m sage.services stop

# The browser extension, zipped for the Chrome Web Store: dist/sage-extension-<version>.zip (the
# manifest's version must be pyproject.toml's). Needs only Python; load extension/ unpacked to develop.
extension:
	python3 devtools/build_extension.py
