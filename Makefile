# Entry points: make run | test | lint | migrate | seed | clean-data.
# The first target that needs it creates .venv from pyproject.toml (and again when that changes).

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

# Pass CLOCK (make run CLOCK=simulated) to the recipes' environment when given.
ifdef CLOCK
export CLOCK
endif

.PHONY: venv run test lint migrate seed clean-data

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[dev]'
	touch $@

run: $(STAMP)
	$(BIN)/python scripts/run_stack.py

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

migrate: $(STAMP)
	$(BIN)/alembic upgrade head

seed: $(STAMP)
	$(BIN)/python -m db.seed

clean-data:
	rm -rf data/
