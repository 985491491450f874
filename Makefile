# Every target installs what it needs: a fresh clone with Python 3.11 and make is enough.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Byte-compile the package as pip does for an installed one: the editable install leaves that
# to the first import, and where PYTHONDONTWRITEBYTECODE is set every start compiles ~100
# modules from source again (~0.1 s). Stale .pyc files are harmless: Python checks the source's
# mtime and size and compiles an edited module afresh; this re-run refreshes only those.
install: $(STAMP)
	$(BIN)/python -m compileall -q orchestrator

run: install
	$(BIN)/orchestrator run manifests/sweep.yaml --state-dir .orchestrator/example

# Four workers on two cores: most tests wait on a platform or CLI subprocess, not on the CPU.
# Every test has its own ports, state dir and database, so they run in any order and at once.
# --dist loadgroup: the tests of a module marked xdist_group (a module-scoped Dask cluster or
# platform) go to one worker, so that fixture starts once rather than once per worker.
TEST_WORKERS ?= 4

test: install
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check orchestrator tests bench
	$(BIN)/ruff format --check orchestrator tests bench
	$(BIN)/mypy
	$(BIN)/vulture  # dead code: [tool.vulture] in pyproject.toml, vulture_allowlist.py

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .orchestrator .pytest_cache .mypy_cache .ruff_cache
	find orchestrator tests bench -name __pycache__ -type d -prune -exec rm -rf {} +
