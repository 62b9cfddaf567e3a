# The two commands a new user needs (see README.md):
#   make run    set up a virtualenv, migrate the SQLite database, deploy the bundled models, serve
#   make test   set up a virtualenv and run linters and the whole test suite (SQLite)
# CI (.ci/run) also runs `make test-postgres` against the PostgreSQL on 127.0.0.1:5432.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: setup browser run test lint test-postgres bench translations screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The web UI's browser files (bpmn-js, htmx): `npm ci` installs what package-lock.json pins, and
# web/assets.py copies the files pages load into web/static/vendor/ (git-ignored) with a manifest.
ASSETS := web/static/vendor/manifest.json

$(ASSETS): package-lock.json web/assets.py $(STAMP)
	@command -v npm >/dev/null 2>&1 || { echo "the web UI needs Node.js 18+ and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python -m web.assets

setup: $(STAMP) $(ASSETS)

# The browser tests (tests/api/test_api_page.py, tests/web/browser) drive Debian's Chromium; fonts-noto-cjk
# renders the Chinese pages (without it they show boxes). Installed here when missing and we are root
# (CI and this project's machines), and then required: the test fails rather than skips. Elsewhere
# (no root, no apt) it skips and says why.
CAN_INSTALL_BROWSER := $(shell [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && echo 1)

browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then :; \
	elif [ -n "$(CAN_INSTALL_BROWSER)" ]; then \
		echo "installing chromium, chromium-driver and fonts-noto-cjk (apt) for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null; \
	else echo "note: chromium/chromedriver/fonts-noto-cjk missing and no root to install them: the browser tests will skip"; fi

run: setup
	$(BIN)/approvals db upgrade
	$(BIN)/approvals deploy process_models/ --strict
	$(BIN)/approvals serve

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The engine and scenario tests run a second time with every command cold (no cached workflow, the
# model compiled again, as a new process would): whatever a cache holds, the database alone must
# give the same behaviour.
COLD_SUITES := tests/runtime tests/process_models tests/tasks tests/timers tests/decisions_in_processes tests/spiff \
               tests/coverage tests/call_activities tests/external tests/events
# On PostgreSQL the cold pass covers what rebuilding from its rows could change (types, order): the
# scenarios, the runtime and the call trees; cold against warm is the SQLite pass's question.
COLD_SUITES_PG := tests/runtime tests/process_models tests/call_activities tests/external

# Bytecode is cached while the tests run, whatever the shell says (PYTHONDONTWRITEBYTECODE=1 in some
# sandboxes): the tests start a few hundred `approvals` processes, and without __pycache__ (git-ignored)
# each one compiles the whole engine again, a quarter of its start (docs/engineering.md, "Test suite time").
test test-postgres: export PYTHONDONTWRITEBYTECODE =

test: lint browser
	APPROVALS_REQUIRE_BROWSER=$(CAN_INSTALL_BROWSER) $(BIN)/pytest -q -n 2
	APPROVALS_COLD_COMMANDS=1 $(BIN)/pytest -q -n 2 $(COLD_SUITES)

# On PostgreSQL, and in the cold passes, only the tests that open a database run (tests/conftest.py):
# the others answer the same as in the first SQLite pass.
test-postgres: setup browser
	APPROVALS_REQUIRE_BROWSER=$(CAN_INSTALL_BROWSER) APPROVALS_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q -n 2
	APPROVALS_COLD_COMMANDS=1 APPROVALS_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q -n 2 $(COLD_SUITES_PG)

bench: setup
	$(BIN)/python bench/bench_engine.py

# The web UI's strings: extract what the code and templates mark (babel.cfg) and merge it into the
# Chinese catalog. New strings arrive untranslated (and near-matches as fuzzy guesses):
# tests/web/test_i18n.py fails until each has its Chinese. The template (.pot) is not kept.
translations: setup
	$(BIN)/pybabel extract -F babel.cfg --sort-output --add-location=file --no-wrap \
		--project=marketing-approvals -o $(VENV)/messages.pot .
	$(BIN)/pybabel update -i $(VENV)/messages.pot -d web/translations -D messages -l zh \
		--ignore-obsolete --no-wrap

# docs/ui.md's pictures: the browser tests save every main page in both languages.
screenshots: setup browser
	rm -rf build/screenshots
	$(BIN)/pytest -q tests/web/browser
	mkdir -p docs/ui && cp build/screenshots/*.png docs/ui/

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache node_modules web/static/vendor
