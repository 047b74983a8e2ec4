# CoopCRM — `make run` to try it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test bench lint chromium install clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/coopcrm db upgrade
	$(BIN)/coopcrm seed demo --if-empty
	$(BIN)/coopcrm dev

# Debian's chromium, never a browser downloaded by a test tool.
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

test: install chromium
	$(BIN)/pytest

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/pip install -q ruff && $(BIN)/ruff check coopcrm tests bench

clean:
	rm -rf $(VENV) instance .pytest_cache
