# The connector platform. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
UV := $(PYTHON) -m uv
RUN := $(UV) run --frozen
PYTEST_ARGS ?=

.PHONY: help install browser up down status doctor test lint typecheck proto soak bench sandbox clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: ## install uv if missing, then every dependency from uv.lock into .venv
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	@$(UV) sync --frozen --all-groups --compile-bytecode --quiet

browser: ## Debian's Chromium for the portal's browser tests (Playwright drives it; it downloads no browser)
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -q chromium >/dev/null 2>&1 || { \
		$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -q >/dev/null && \
		$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -q chromium >/dev/null; }; }

doctor: install ## check that PostgreSQL and Redis are reachable (says how to start what is missing)
	@$(RUN) connectors doctor

up: install ## migrate and bring the platform up in the background, printing what runs where
	@$(RUN) connectors up

down: ## stop what `make up` started
	@$(RUN) connectors down

status: ## what runs where
	@$(RUN) connectors status

sandbox: install ## run the provider sandboxes in the foreground
	@$(RUN) connectors sandbox

lint: install ## ruff lint and format check; generated gRPC stubs current
	@$(RUN) ruff check .
	@$(RUN) ruff format --check .
	@$(RUN) python proto/generate.py --check

proto: install ## regenerate the gRPC stubs in proto/gen from proto/connector/v1
	@$(RUN) python proto/generate.py

typecheck: install ## mypy (strict) on the platform packages
	@$(RUN) mypy

test: install browser ## install and run the whole suite (lint, types, then pytest on real PostgreSQL, Redis, sandboxes and Chromium)
	@$(RUN) connectors doctor
	@$(MAKE) --no-print-directory lint typecheck
	@$(RUN) pytest -m "not slow" $(PYTEST_ARGS)

soak: install ## long-running soak and chaos tests
	@$(RUN) pytest -m slow $(PYTEST_ARGS)

bench: install ## benchmarks; they print figures as ratios against a bare baseline
	@$(RUN) python -m bench

clean: down ## remove run state and caches
	rm -rf .run .pytest_cache .mypy_cache .ruff_cache
