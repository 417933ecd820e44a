# The developer's and CI's commands. `make run` is the whole hub on this machine; `make test` and
# `make lint` are what CI runs (.ci/run). Every target first makes sure the venv matches pyproject.toml.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# touched after a successful install: pip runs again only when pyproject.toml is newer
STAMP := $(VENV)/.installed
BUF := npx --yes @bufbuild/buf

.PHONY: venv run test lint proto locales bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: venv
	$(BIN)/billing-hub migrate
	$(BIN)/billing-hub up

# the suite in TEST_WORKERS processes (pytest-xdist), each with its own scratch databases and core;
# two fit a two-core machine and PostgreSQL's 100 connections (TEST_WORKERS=0: one process)
TEST_WORKERS ?= 2

test: venv
	$(BIN)/pytest -q -n $(TEST_WORKERS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BUF) lint
	$(BUF) format -d --exit-code
	$(BIN)/python scripts/gen_protos.py --check

proto: venv
	$(BUF) lint
	$(BIN)/python scripts/gen_protos.py

# after editing a bot_gateway/locales/*/LC_MESSAGES/bot.po (or, with EXTRACT=1, the texts in the code)
locales: venv
	$(BIN)/python scripts/compile_locales.py $(if $(EXTRACT),--extract)

bench: venv
	shopt -s nullglob; benches=(bench/*.py); \
	if [ $${#benches[@]} -eq 0 ]; then echo "no benchmarks yet"; fi; \
	for bench in "$${benches[@]}"; do \
		case "$$bench" in */_*) continue;; esac; \
		echo "== $$bench"; $(BIN)/python "$$bench"; done

clean:
	rm -rf $(VENV) build dist ./*.egg-info .mypy_cache .ruff_cache .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
