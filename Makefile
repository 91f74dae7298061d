# Two entry points, each of which creates or reuses .venv by itself:
#   make workbook   executes every notebook into build/, exports the plots, publishes the book
#   make test       runs every test (lint, unit, properties, nbval, papermill, browser), then
#                   publishes the book with the requirement status of this very run
# and, not part of either (it takes tens of minutes):
#   make mutate     mutation testing (mutmut) of the rule modules, from a clean mutants/ folder:
#                   per-module killed/survived, the survivors' names (`.venv/bin/mutmut show
#                   NAME`); then the data mutants of data/mutation/data_mutants.csv, each run
#                   against its requirement row's tests (tools/data_mutation.py); code and data
#                   reported apart, last line `mutation score: NN.N% (killed K of N)` over both;
#                   configured in pyproject.toml [tool.mutmut], scored by tools/mutation_score.py
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: workbook test lint bench mutate clean

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

# mutmut runs the tests in mutants/, a copy of the project: the reference folder is
# named by its absolute path. At most MUTATE_CHILDREN workers (the machine is shared).
MUTATE_CHILDREN ?= 2
mutate: $(STAMP)
	@rm -rf mutants && mkdir -p build
	@echo "mutmut: mutating the rule modules and running their tests (log: build/mutmut-run.log)"
	@SPECPKG_REFERENCE="$${SPECPKG_REFERENCE:-$(abspath ..)/shared/reference}" \
		$(VENV)/bin/mutmut run --max-children $(MUTATE_CHILDREN) > build/mutmut-run.log 2>&1 \
		|| { tail -n 40 build/mutmut-run.log; exit 1; }
	@echo "data mutants: each against its requirement row's tests (log: build/data-mutants.log)"
	@SPECPKG_REFERENCE="$${SPECPKG_REFERENCE:-$(abspath ..)/shared/reference}" \
		$(PY) tools/data_mutation.py --out build/data-mutants.json > build/data-mutants.log 2>&1 \
		|| { tail -n 40 build/data-mutants.log; exit 1; }
	@$(PY) tools/mutation_score.py --data build/data-mutants.json

clean:
	rm -rf build mutants
