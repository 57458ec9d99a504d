# Zhucun (驻村) — developer and CI entry points. GNU make, Python 3.11 as `python3`.
#
#   make run    set up .venv, translations, database and demo data; serve on 127.0.0.1:8000
#   make test   set up .venv, then ruff and the whole pytest suite (non-zero exit on failure)
#
# Without DATABASE_URL / REDIS_URL the settings use SQLite (db.sqlite3) and run Celery tasks
# eagerly in-process; export them to use PostgreSQL and Redis instead (see README.md).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install: `make` reinstalls only when requirements*.txt are newer.
STAMP := $(VENV)/.requirements-installed

DJANGO_SETTINGS_MODULE ?= config.settings.local
MANAGE := DJANGO_SETTINGS_MODULE=$(DJANGO_SETTINGS_MODULE) $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# Days of demo attendance history (default 60), extra seed_demo arguments, e.g.
# `make run DEMO_DAYS=30 SEED_ARGS="--password s3cret"`, or `make test PYTEST_ARGS="-k roster"`.
DEMO_DAYS ?= 60
SEED_ARGS ?=
PYTEST_ARGS ?=

.PHONY: help venv translations setup run test lint worker beat messages bench shell clean

help:
	@echo "make run       set up and serve the demo on http://$(HOST):$(PORT)/"
	@echo "make test      ruff + the whole pytest suite"
	@echo "make setup     everything 'make run' does except starting the server"
	@echo "make lint      ruff only"
	@echo "make worker    Celery worker (needs REDIS_URL)"
	@echo "make beat      Celery beat with the django_celery_beat database scheduler (needs REDIS_URL)"
	@echo "make messages  extract translatable strings into locale/ (zh_Hans, en)"
	@echo "make bench     scale benchmarks (needs DATABASE_URL=postgres://...; see bench/README.md)"
	@echo "make clean     remove .venv and caches (keeps db.sqlite3)"

# --- environment --------------------------------------------------------------------------

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
	@touch $@

venv: $(STAMP)

# The .mo files are committed, so a clone without gettext still shows Chinese; with msgfmt
# present they are rebuilt from the .po files (Django skips those already up to date).
translations: $(STAMP)
	@if compgen -G "locale/*/LC_MESSAGES/*.po" >/dev/null && command -v msgfmt >/dev/null; then \
		$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules --verbosity 0; \
	fi

# --- running ------------------------------------------------------------------------------

# migrate, load_regions and seed_demo are idempotent: a second run changes nothing.
# No collectstatic: runserver with whitenoise.runserver_nostatic serves static/ straight from
# the finders in DEBUG. Production runs `manage.py collectstatic --noinput` (README.md).
setup: $(STAMP) translations
	$(MANAGE) migrate --noinput
	$(MANAGE) load_regions
	$(MANAGE) seed_demo --days $(DEMO_DAYS) $(SEED_ARGS)
	@# The nightly jobs, as if they had run on each night of the history (missing check-ins, their
	@# streaks, month ends), so findings and dashboard figures exist from the first visit.
	$(MANAGE) run_scans --back $$(( $(DEMO_DAYS) - 1 )) --with-month-end
	$(MANAGE) refresh_summaries --days 90

run: setup
	$(MANAGE) runserver $(HOST):$(PORT)

shell: $(STAMP)
	$(MANAGE) shell

worker: $(STAMP)
	@[ -n "$$REDIS_URL" ] || echo "warning: REDIS_URL is unset; a worker has no broker to listen to (tasks run eagerly)."
	DJANGO_SETTINGS_MODULE=$(DJANGO_SETTINGS_MODULE) $(BIN)/celery -A config worker -l info

beat: $(STAMP)
	@[ -n "$$REDIS_URL" ] || echo "warning: REDIS_URL is unset; beat would queue tasks into an in-memory broker."
	DJANGO_SETTINGS_MODULE=$(DJANGO_SETTINGS_MODULE) $(BIN)/celery -A config beat -l info \
		--scheduler django_celery_beat.schedulers:DatabaseScheduler

# --- quality ------------------------------------------------------------------------------

lint: $(STAMP)
	$(BIN)/ruff check .

# Tests always use config.settings.test, whatever DJANGO_SETTINGS_MODULE the shell exports
# (pytest-django prefers the environment variable over pyproject.toml). pytest exits 5 when it
# collects no tests, which fails this target like any other failure.
test: $(STAMP) translations
	$(BIN)/ruff check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/pytest $(PYTEST_ARGS)

messages: $(STAMP)
	$(MANAGE) makemessages -l zh_Hans -l en --ignore=.venv --ignore=node_modules --ignore=staticfiles

# --- scale --------------------------------------------------------------------------------

# Benchmarks only mean something on PostgreSQL; results are written up in bench/RESULTS-*.md.
bench: $(STAMP)
	@case "$$DATABASE_URL" in postgres*) ;; \
		*) echo "make bench needs DATABASE_URL=postgres://... (see bench/README.md)"; exit 2;; esac
	$(MANAGE) migrate --noinput
	DJANGO_SETTINGS_MODULE=$(DJANGO_SETTINGS_MODULE) $(BIN)/python bench/seed.py
	DJANGO_SETTINGS_MODULE=$(DJANGO_SETTINGS_MODULE) $(BIN)/python bench/roster_import.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache test-results
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
