# One entry point for people and CI: `make demo`, `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# Exact versions of every dependency, so a fresh clone installs what was tested (upstream
# releases broke a fresh install twice: fastapi 0.151, SQLAlchemy 2.1). pyproject.toml keeps
# ranges for library users; `make lock` refreshes this file from them.
LOCK := requirements/lock.txt
LOCK_VENV ?= .venv-lock

.PHONY: install demo test lint format lock

$(BIN)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/npf-ecwid demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/pytest

# Re-resolve the newest versions pyproject.toml allows (with the dev extra) into $(LOCK), using
# pip-tools in a venv of its own. No index URLs or hosts go into the file: it must install from
# any registry. Review the diff, run `make test`, commit both.
lock:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip pip-tools
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet --upgrade --extra dev --strip-extras \
		--no-emit-index-url --no-emit-trusted-host --no-emit-find-links \
		--output-file $(LOCK) pyproject.toml
	! grep -nE '(https?|file)://' $(LOCK)
