# The two commands of the README, plus the benchmark. Everything installs itself into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: demo test lint bench bench-consent bench-banner bench-scan clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## make demo: install, then serve the gateway on SQLite with the seeded demo shop
demo: $(VENV)/.installed
	$(BIN)/cookiegate demo --port $(PORT)

## make test: install, then lint, type-check, check import contracts and run the whole suite
test: $(VENV)/.installed chromium lint
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

# Browser tests use a system Chromium (or $$COOKIEGATE_CHROMIUM); as root on Debian it is
# installed with apt, elsewhere Playwright's own is fetched; failing both, they are skipped.
chromium: $(VENV)/.installed
	@if [ -n "$$COOKIEGATE_CHROMIUM" ] || command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	else \
	  $(BIN)/playwright install chromium || echo "No Chromium: browser tests will be skipped."; \
	fi

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## make bench: every benchmark; results in bench/*.json
bench: bench-consent bench-banner bench-scan

## consent throughput under gunicorn on SQLite and PostgreSQL -> bench/results.json
bench-consent: $(VENV)/.installed
	$(BIN)/python bench/consent_load.py --output bench/results.json

## banner appearance time, layout shift and click-to-event time in Chromium -> bench/banner.json
bench-banner: $(VENV)/.installed chromium
	$(BIN)/python bench/banner_timing.py --output bench/banner.json

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache

## the scanner over a generated 200-page site in three phases -> bench/scan.json
bench-scan: $(VENV)/.installed chromium
	$(BIN)/python bench/scan_load.py --output bench/scan.json
