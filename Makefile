# Yibao: `make run` to try it, `make test` to check it. `make` lists the targets.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help venv setup run test test-fast lint format migrations-check messages worker beat serve load-check bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

venv: $(VENV)/.installed ## create .venv and install pinned requirements

setup: venv ## migrate, load reference data and demo users
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_reference
	$(BIN)/python manage.py benefit_policy load
	$(BIN)/python manage.py seed_demo_users
	$(BIN)/python manage.py seed_demo_people
	$(BIN)/python manage.py seed_demo_contributions
	$(BIN)/python manage.py seed_demo_benefits
	$(BIN)/python manage.py seed_demo_remote
	$(BIN)/python manage.py seed_demo_supervision

run: setup ## set up everything and serve the portal on http://127.0.0.1:8000 (SQLite, in-process Celery)
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: venv ## run the whole suite (PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL are set)
	$(BIN)/pytest

lint: venv ## ruff lint and format check, layer contracts (import-linter), migrations check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

format: venv ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: venv ## refresh locale/en/LC_MESSAGES/django.po after changing UI text
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=var --ignore=tests --ignore=bench
	$(BIN)/python manage.py compilemessages --ignore=.venv

worker: venv ## production: a Celery worker (needs DATABASE_URL and CELERY_BROKER_URL)
	$(BIN)/celery -A config worker --loglevel=INFO

beat: venv ## production: celery beat reading schedules from the database (editable in the admin)
	$(BIN)/celery -A config beat --loglevel=INFO

GUNICORN_WORKERS ?= 4
serve: venv ## production: serve the portal with gunicorn on $(HOST):$(PORT) (behind TLS/a trusted proxy; run collectstatic first)
	$(BIN)/gunicorn config.wsgi --bind $(HOST):$(PORT) --workers $(GUNICORN_WORKERS) \
	  --timeout 60 --graceful-timeout 30 --keep-alive 5 --max-requests 2000 --max-requests-jitter 200 \
	  --no-control-socket --access-logfile - --error-logfile -

load-check: venv ## 150 clerks on gunicorn against a 100k-person district (PostgreSQL, `pip install locust==2.47.0`; not in CI)
	$(BIN)/python bench/load_check.py

bench: venv ## run the benchmarks in bench/ (not part of the test suite)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean: ## remove the local database and caches (keeps .venv)
	rm -rf var .pytest_cache .ruff_cache
