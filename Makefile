# Core Group: `make run` sets everything up from nothing and serves the app; `make test` runs
# the whole suite. Both work on a fresh clone with Python 3.11, Node.js and npm installed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
DIST := coregroup/static/dist
GOVUK := node_modules/govuk-frontend/dist/govuk

.PHONY: install assets translations compile-translations run serve test test-sqlite test-postgres lint format bench bench-scale clean system-packages

# What the suite needs from Debian besides Python and Node: Chromium (the browser tests),
# PostgreSQL's server (its lane: the tests start a throwaway one) and Redis (the shared sign-in
# limits: the tests start one). Run as root, this installs what is missing (CI: .ci/run);
# run as anyone else, it stops at once naming each missing package and how to install it.
# `make bench` needs wrk as well.
SYSTEM_PACKAGES ?= chromium postgresql redis-server

system-packages:
	@missing=""; \
	for package in $(SYSTEM_PACKAGES); do \
	  case $$package in \
	    chromium) command -v chromium >/dev/null 2>&1 || missing="$$missing chromium";; \
	    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql";; \
	    redis-server) command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server";; \
	    *) command -v $$package >/dev/null 2>&1 || missing="$$missing $$package";; \
	  esac; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing from Debian:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	else \
	  for package in $$missing; do \
	    echo "Missing: $$package. Install it with: sudo apt-get install $$package" >&2; \
	  done; \
	  exit 1; \
	fi

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(DIST)/app.css: node_modules/.installed assets/scss/app.scss
	mkdir -p $(DIST)
	npx --no-install sass --no-source-map --style=compressed --quiet-deps \
		--load-path=node_modules assets/scss/app.scss $(DIST)/app.css
	cp $(GOVUK)/govuk-frontend.min.js $(DIST)/govuk-frontend.min.js
	cp node_modules/govuk-frontend/package.json $(DIST)/govuk-frontend-package.json

# Fingerprinted copies of every file a page loads, and the manifest naming them.
$(DIST)/manifest.json: $(DIST)/app.css $(BIN)/.installed coregroup/assets.py coregroup/fonts.py $(wildcard coregroup/static/app/*.js coregroup/static/app/*.svg coregroup/static/app/icons/*.png)
	$(BIN)/python -m coregroup.assets > /dev/null

assets: $(DIST)/manifest.json

# Compile the catalogs (part of every install).
compile-translations: $(BIN)/.installed
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile -d translations; fi

# The translator workflow: extract every string (code, templates, schemas/, forms/), bring each
# catalog up to date, compile. Then translate the new entries in translations/<lang>/.
translations: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project "Core Group" -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching
	$(MAKE) compile-translations

install: $(BIN)/.installed assets compile-translations

run: install
	$(FLASK) db upgrade
	$(FLASK) demo
	@echo "Core Group is at http://127.0.0.1:5000 (sign in with one of the demo accounts above)."
	$(FLASK) run --host 127.0.0.1 --port 5000

serve: install
	$(FLASK) db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py app:app

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The whole suite runs twice: on SQLite, then on a throwaway PostgreSQL server the tests start.
test: system-packages install lint test-sqlite test-postgres

test-sqlite: system-packages install
	$(BIN)/pytest

test-postgres: system-packages install
	COREGROUP_TEST_DATABASE=postgresql $(BIN)/pytest

# Throughput and latency under gunicorn next to a bare Flask page (needs wrk; installed when
# run as root). BENCH_DATABASE=postgresql runs it on a throwaway PostgreSQL.
bench: install
	@$(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES="wrk postgresql"
	$(BIN)/python bench/run.py

# The main pages on a national-scale database (bench/scale.py): a throwaway PostgreSQL bulk loaded
# with BENCH_SCALE_CASES open cases (default 50,000) and twice as many closed, measured at 500 and
# at the full size, then SQLite at BENCH_SCALE_SQLITE_CASES (5,000). Writes bench-results/scale.md.
bench-scale: install
	@$(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES="wrk postgresql"
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) node_modules $(DIST) .pytest_cache

# A qualified translator's review of a language (coregroup/translation_review.py).
# `make translations-export LANG=cy` (every language without LANG) writes
# instance/translation-review/<lang>-for-review.po: each string with where it appears and the
# English around it. `make translations-import LANG=cy FILE=... REVIEWER="Name, qualification"`
# writes the translations that pass the checks and marks each reviewed; /languages shows the share.
.PHONY: translations-export translations-import

# LANG only when given on the command line: from the environment it is the shell's locale.
REVIEW_LANG = $(if $(filter command line,$(origin LANG)),$(LANG))

translations-export: $(BIN)/.installed
	$(FLASK) translations-export $(REVIEW_LANG)

translations-import: $(BIN)/.installed
	@if [ -z "$(REVIEW_LANG)" ] || [ -z "$(FILE)" ] || [ -z "$(REVIEWER)" ]; then \
		echo 'Usage: make translations-import LANG=cy FILE=cy-reviewed.po REVIEWER="Name, qualification"' >&2; \
		exit 2; fi
	$(FLASK) translations-import $(REVIEW_LANG) "$(FILE)" --reviewer "$(REVIEWER)"
	$(MAKE) compile-translations
