# CoopCRM — `make run` to try it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# make run PORT=5001 MAIL_PORT=1026 MAILBOX_PORT=1081 when the defaults are taken.
PORT ?= 5000
MAIL_PORT ?= 1025
MAILBOX_PORT ?= 1080
SMOKE := build/smoke

.PHONY: run test smoke bench lint typecheck chromium pango install clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e ".[test,dev]"
	touch $@

install: $(VENV)/.installed

run: install pango
	$(BIN)/coopcrm db upgrade
	$(BIN)/coopcrm seed demo --if-empty
	$(BIN)/coopcrm dev --port $(PORT) --mail-port $(MAIL_PORT) --mailbox-port $(MAILBOX_PORT)

# Debian's chromium, never a browser downloaded by a test tool.
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

# Debian's pango, fontconfig and a font: WeasyPrint (coopcrm.letters) lays text out with them.
PANGO_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
pango:
	@dpkg -s $(PANGO_PACKAGES) >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(PANGO_PACKAGES); }

test: install chromium pango
	$(BIN)/pytest

# The wheel, installed in a fresh venv, driven from an empty folder: every documented
# command (tests/cli) run against the installed console script, not the checkout.
smoke: install
	rm -rf $(SMOKE) && mkdir -p $(SMOKE)/empty
	$(BIN)/pip wheel -q --no-deps -w $(SMOKE)/dist . 2>/dev/null
	$(PYTHON) -m venv $(SMOKE)/venv
	$(SMOKE)/venv/bin/pip install -q --upgrade pip
	$(SMOKE)/venv/bin/pip install -q $(SMOKE)/dist/coopcrm-*.whl pytest
	cd $(SMOKE)/empty && ../venv/bin/python -c \
	  "import coopcrm, sys; p = coopcrm.__file__; print('installed:', p); \
	   sys.exit('site-packages' not in p)"
	cd $(SMOKE)/empty && COOPCRM_BIN=$(CURDIR)/$(SMOKE)/venv/bin/coopcrm \
	  ../venv/bin/python -m pytest -q -p no:cacheprovider --rootdir=$(CURDIR) \
	  --confcutdir=$(CURDIR)/tests/cli $(CURDIR)/tests/cli

bench: install pango
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check coopcrm tests bench

# Settings in pyproject.toml's [tool.mypy]; mypy and the stubs are pinned in the dev extra.
typecheck: install
	$(BIN)/mypy coopcrm

clean:
	rm -rf $(VENV) instance build .pytest_cache
