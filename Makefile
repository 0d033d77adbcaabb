# Every target bootstraps .venv from pyproject.toml first, so a fresh clone needs only `make`.
# Versions come from constraints.txt (`make lock`), as in CI (.ci/run) and the Dockerfile.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint format bench emulate schema lock clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	GATEWAY_DEVELOPMENT_MODE=$${GATEWAY_DEVELOPMENT_MODE:-true} $(BIN)/gateway serve

emulate: $(STAMP)
	$(BIN)/gateway emulate

schema: $(STAMP)
	$(BIN)/gateway schema > schema/schema.graphql

test: $(STAMP)
	scripts/install_test_packages.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

check: test
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The gateway against the baseline (and the hostile section), then: CPU per cold and warm
# deep read (issue 18), several processes on PostgreSQL and Redis (issue 15), and the N+1
# query against Tailcall, Hive Gateway and plain strawberry (issue 17; needs wrk and npm).
bench: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.cold_reads
	$(BIN)/python -m bench.replicas
	$(BIN)/python -m bench.peers

# Re-resolves constraints.txt from pyproject.toml, keeping each pin that still fits; every
# platform (--universal) and the oldest supported Python, so one file serves laptops, CI and
# the image. Newest allowed versions: make lock LOCK_FLAGS=--upgrade. Needs no installed
# .venv, so it also repairs a constraints.txt that pyproject.toml no longer fits.
LOCK_FLAGS ?=
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet -c constraints.txt uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--custom-compile-command 'make lock' --quiet $(LOCK_FLAGS) -o constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .data
