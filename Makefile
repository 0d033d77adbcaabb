# Every target bootstraps .venv from pyproject.toml first, so a fresh clone needs only `make`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint format bench emulate schema clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	GATEWAY_DEVELOPMENT_MODE=$${GATEWAY_DEVELOPMENT_MODE:-true} $(BIN)/gateway serve

emulate: $(STAMP)
	$(BIN)/gateway emulate

schema: $(STAMP)
	$(BIN)/gateway schema > schema/schema.graphql

test: $(STAMP)
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

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .data
