# Two entry points, each of which creates or reuses .venv by itself:
#   make workbook   executes every notebook into build/ (and renders the site)
#   make test       runs every test (lint, unit, properties, nbval, papermill)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: workbook test lint bench clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $(STAMP)

workbook: $(STAMP)
	$(PY) -m specpkg workbook

test: $(STAMP)
	$(PY) -m ruff check specpkg tests benchmarks tools
	mkdir -p build
	$(PY) -m pytest -n 2 --dist loadfile --junitxml=build/test-results.xml --nbval --nbval-current-env tests notebooks

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf build
