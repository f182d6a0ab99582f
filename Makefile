# open-figures: the two commands are `make run` and `make test` (see README.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run run-postgres test install install-dev lint format sample serve bench bench-quick clean-data screenshots docs

$(BIN)/portal: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

install: $(BIN)/portal

$(VENV)/.dev: $(BIN)/portal $(wildcard tests/a11y/package-lock.json)
	$(BIN)/pip install --quiet -e ".[dev]"
	@if [ -f tests/a11y/package.json ] && command -v npm >/dev/null; then npm ci --prefix tests/a11y --silent; fi
	@touch $@

install-dev: $(VENV)/.dev

## make run: set up, sample data through the real loaders and publish (once), serve on :8501
run: install
	$(BIN)/portal init
	$(BIN)/portal sample --if-empty
	$(BIN)/portal serve --port $(PORT)

## make run-postgres: the same pipeline with both stores on a local PostgreSQL (Debian's postgresql)
run-postgres: install
	@admin="$$(.ci/start-postgres open_figures_working open_figures_portal)"; base="$${admin%/postgres}"; \
	export PORTAL_WORKING_URL="$$base/open_figures_working" PORTAL_PUBLISHED_URL="$$base/open_figures_portal"; \
	$(BIN)/portal init && $(BIN)/portal sample --if-empty && $(BIN)/portal serve --port $(PORT)

## make test: lint, then the whole test suite (on SQLite, and on PostgreSQL when it is installed)
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@if [ -z "$$PORTAL_TEST_POSTGRES_URL" ] && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then \
	  export PORTAL_TEST_POSTGRES_URL="$$(.ci/start-postgres)"; fi; \
	$(BIN)/python -m pytest

## make screenshots: every page in zh and en at 1366 and 390 px, and the board's projector at 1920 x 1080,
## as PNGs in artifacts/screenshots/look/ (needs Debian's chromium and fonts-noto-cjk)
screenshots: install-dev
	$(BIN)/portal init >/dev/null
	$(BIN)/portal sample --if-empty >/dev/null
	$(BIN)/python -m tools.screenshots --all --store "$$($(BIN)/python -c 'from portal.settings import get_settings; print(get_settings().published_store_url)')"

## make docs: rewrite docs/figures.md and the generated tables of docs/*.md from the code (tools/docs.py)
docs: install
	$(BIN)/python -m tools.docs

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install-dev
	$(BIN)/python -m bench

bench-quick: install-dev
	$(BIN)/python -m bench --quick

clean-data:
	rm -rf data/working.db* data/portal.db* data/sample
