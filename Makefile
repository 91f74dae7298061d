# Two entry points, each of which creates or reuses .venv by itself:
#   make workbook   executes every notebook into build/, exports the plots, publishes the book
#   make test       runs every test (lint, unit, properties, nbval, papermill, browser), then
#                   publishes the book with the requirement status of this very run
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: workbook test lint bench clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || { echo "creating .venv, 1-2 minutes (the versions pinned in requirements.lock)"; \
		$(PYTHON) -m venv $(VENV); }
	@echo "installing the pinned packages into .venv"
	@$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

workbook: $(STAMP)
	@$(PY) -m specpkg workbook

# The book is published after pytest whatever its outcome (the status page shows
# the failures); make test still exits with pytest's status.
test: $(STAMP)
	$(PY) -m ruff check specpkg tests benchmarks tools
	@mkdir -p build
	@status=0; \
	$(PY) -m pytest -p specpkg.workbook.testrecord -n 2 --dist loadfile \
		--junitxml=build/test-results.xml --nbval --nbval-current-env tests notebooks \
		|| status=$$?; \
	$(PY) -m specpkg book || { [ $$status -ne 0 ] || status=1; }; \
	exit $$status

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf build
