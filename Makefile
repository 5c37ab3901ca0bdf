# Entry points: make run | test | soak | lint | migrate | seed | clean-data | lock | image.
# The first target that needs it creates .venv from requirements-dev.lock (and brings it up to
# date when the lock or pyproject.toml changes). `make lock` recompiles the locks from
# pyproject.toml (pins kept where they still fit; `make lock LOCK_ARGS=--upgrade` takes the newest).

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# make test's workers (pytest-xdist): one per core, at most 4; `make test PYTEST_WORKERS=` runs
# serially (a debugger, or one test). Each worker has its own databases (tests/conftest.py).
PYTEST_WORKERS ?= -n auto --maxprocesses=4
LOCK_ARGS ?=
# what the image records as the code version of its determinations (core/version.py)
GIT_COMMIT ?= $(shell git describe --always --dirty --abbrev=12 --exclude '*' 2>/dev/null)

# Pass CLOCK (make run CLOCK=simulated) to the recipes' environment when given.
ifdef CLOCK
export CLOCK
endif

.PHONY: venv run test soak lint migrate seed clean-data lock image

venv: $(STAMP)

# The pinned, hash-checked dependencies, then the project itself (editable, no dependencies of
# its own); pip check fails when pyproject.toml asks for something the lock lacks.
$(STAMP): requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --require-hashes --no-deps -r requirements-dev.lock
	$(BIN)/python -m pip install --no-deps -e .
	$(BIN)/python -m pip check || { echo 'requirements-dev.lock lacks what pyproject.toml asks for: make lock' >&2; exit 1; }
	touch $@

# requirements-dev.lock: the venv (app + dev tools); requirements.lock: the image (app only, the
# same versions). Universal (any OS and CPU), Python 3.11, every file's hash. Needs no working venv.
UV_COMPILE := --universal --python-version 3.11 --generate-hashes --quiet \
	--custom-compile-command 'make lock'

lock:
	test -x $(BIN)/uv || { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); $(BIN)/python -m pip install uv; }
	$(BIN)/uv pip compile pyproject.toml --extra dev $(UV_COMPILE) $(LOCK_ARGS) \
		-o requirements-dev.lock
	$(BIN)/uv pip compile pyproject.toml -c requirements-dev.lock $(UV_COMPILE) \
		-o requirements.lock

# Needs a Docker engine (none runs on our machines); GIT_COMMIT is baked in (core/version.py).
image:
	docker build --build-arg GIT_COMMIT=$(GIT_COMMIT) -t ui-claims:latest .

# APP_ENV has no default in the code (fail closed): the development targets say development,
# the tests test (an APP_ENV already in the environment wins).
run: $(STAMP)
	APP_ENV=$${APP_ENV:-development} $(BIN)/python scripts/run_stack.py

test: $(STAMP)
	APP_ENV=$${APP_ENV:-test} $(BIN)/python -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The long runs (issue 13): the API fuzz (§7, tests/fuzz: randomized, FUZZ_EXAMPLES requests per
# REST operation; make test runs it bounded and derandomized), the fault suite's cases, then
# SOAK_RUNS randomized fault runs (§1, tests/faults/soak.py: SOAK_SEED repeats a schedule,
# SOAK_ROUND runs per round, SOAK_DENSITY faults per round on average, SOAK_MINUTES stops
# starting rounds); no per-test time limit. docs/reliability.md has the figures.
FUZZ_EXAMPLES ?= 500
SOAK_RUNS ?= 1000
soak: $(STAMP)
	APP_ENV=$${APP_ENV:-test} FUZZ_RANDOM=1 FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
		$(BIN)/python -m pytest --timeout=0 tests/fuzz tests/faults $(PYTEST_ARGS)
	APP_ENV=$${APP_ENV:-test} SOAK_RUNS=$(SOAK_RUNS) $(BIN)/python -m tests.faults.soak

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/hadolint Dockerfile

migrate: $(STAMP)
	APP_ENV=$${APP_ENV:-development} $(BIN)/alembic upgrade head
	if [ -n "$$APP_DB_ROLE" ]; then APP_ENV=$${APP_ENV:-development} $(BIN)/python -m db.app_role "$$APP_DB_ROLE"; fi

seed: $(STAMP)
	APP_ENV=$${APP_ENV:-development} $(BIN)/python -m db.seed

clean-data:
	rm -rf data/
