# The doors into the project: `make run` serves it, `make test` checks it (what CI runs).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: help run test lint fmt check services browser clean bench messages

help:
	@echo "make run    serve the site with its worker and scheduler at $(SITE_URL)"
	@echo "make test   lint and run the whole test suite (PostgreSQL, Redis)"
	@echo "make fmt    format the code"
	@echo "make bench  time the archive copy against curl, then the reader against ijson"
	@echo "            (BENCH_ARGS=\"--only copy|reader\", --with-4gib adds a 4 GiB copy)"

$(VENV)/bin/python:
	"$$(scripts/find-python)" -m venv $(VENV)

$(VENV)/.installed-run: requirements.txt constraints.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt constraints.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

# The compiled translations (.mo) are built from locale/*.po, not kept in git.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

$(MO_FILES): %.mo: %.po
	scripts/ensure-gettext
	msgfmt --check --output-file=$@ $<

# Regenerates locale/*/LC_MESSAGES/django.po from the code and templates after strings change.
messages: $(VENV)/.installed-dev
	DEBUG=1 DJANGO_READ_DOT_ENV=0 TOKEN_ENCRYPTION_KEYS=$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
		$(PY) manage.py makemessages --all --no-location --ignore=.venv --ignore=var \
		--ignore=tests --ignore=bench

run: $(VENV)/.installed-run $(MO_FILES)
	scripts/write-dev-env $(PY)
	SITE_URL=$(SITE_URL) $(PY) manage.py migrate --no-input
	@echo
	@echo "  Open $(SITE_URL) and sign in with TikTok (the built-in sandbox stands in for TikTok)."
	@echo "  Emails land on this console and in var/mail/. Stop with Ctrl-C."
	@echo
	SITE_URL=$(SITE_URL) HOST=$(HOST) PORT=$(PORT) PATH=$(CURDIR)/$(VENV)/bin:$$PATH \
		$(VENV)/bin/honcho --procfile Procfile start

services:
	scripts/ensure-services

# ruff for style and bugs; bandit for security issues in the shipped code (medium and high
# severity at medium or high confidence: each `# nosec` must say why).
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit --quiet --recursive --severity-level medium --confidence-level medium \
		exports portability_site tiktok_sandbox

fmt: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Debian's Chromium and axe-core for the browser tests (tests/e2e).
browser:
	scripts/ensure-browser

test: $(VENV)/.installed-dev $(MO_FILES) services browser lint
	$(PY) -m pytest

bench: $(VENV)/.installed-dev
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
