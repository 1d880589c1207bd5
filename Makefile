# The two set-up commands of the README: `make demo` (the main job) and `make test` (every test).
# Each installs what it needs on first run: a virtualenv with the package (and the pinned Codex binary),
# the npm packages of convex/, and the bundled local backend.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NPM_STAMP := convex/node_modules/.installed

.PHONY: demo test setup bundle lint typecheck check pytest vitest clean

demo: setup
	$(BIN)/codex-convex demo

test: setup lint typecheck check vitest pytest

setup: $(PY_STAMP) $(NPM_STAMP) bundle

# The local backend, bundled with the component and the app into one JS file (about a second).
bundle: $(NPM_STAMP)
	cd convex && npm run --silent build:backend

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(NPM_STAMP): convex/package.json convex/package-lock.json
	cd convex && npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: setup
	$(BIN)/ruff check python tests tools

typecheck: setup
	$(BIN)/mypy
	cd convex && npm run --silent typecheck

check: setup
	cd convex && npm run --silent codegen:check
	$(BIN)/codex-convex host-shim check
	$(BIN)/codex-convex schema check

vitest: setup
	cd convex && npx vitest run

pytest: setup
	$(BIN)/pytest

clean:
	rm -rf $(VENV) convex/node_modules tools/local-backend/dist
