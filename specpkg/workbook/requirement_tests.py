"""The requirement tests of the catalogue, run by ``specpkg workbook`` (``make workbook``).

A book built by ``make workbook`` alone must show each requirement's real
status, never "not run": after the notebooks, the command runs every test that
``data/requirements.csv`` names, and the evidence of every finding and risk
(pytest on their node ids, with the :mod:`specpkg.workbook.testrecord` plugin), so
the status page and the summary say when and on which commit they ran. ``make test``
runs the whole suite into the same JUnit file; whichever ran last is what the book
shows.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from specpkg.paths import REPO_DIR
from specpkg.workbook import requirements, status


def node_ids(catalogue: Sequence[requirements.Requirement] | None = None,
             findings: Sequence[requirements.Finding] | None = None,
             risks: Sequence[requirements.Risk] | None = None) -> list[str]:
    """Every test the catalogue names, then every test a finding or a risk gives as its
    evidence (the decision cards and the summary's risks show their outcomes), each once,
    in that order."""
    catalogue = requirements.load() if catalogue is None else catalogue
    findings = requirements.load_findings() if findings is None else findings
    risks = requirements.risks() if risks is None else risks
    return list(dict.fromkeys([*(t for req in catalogue for t in req.tests),
                               *(t for f in findings for t in f.evidence.split()),
                               *(t for r in risks for t in r.evidence.split())]))


def command(ids: Sequence[str], junit: Path, *, workers: int = 2) -> list[str]:
    """The pytest command line that runs ``ids`` and records the run beside ``junit``."""
    line = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "-p", "specpkg.workbook.testrecord", f"--junitxml={junit}"]
    if workers > 1 and importlib.util.find_spec("xdist") is not None:
        line += ["-n", str(workers), "--dist", "loadfile"]
    return [*line, *ids]


def run(junit: Path = status.JUNIT, *, workers: int = 2, log: TextIO | None = None,
        ids: Sequence[str] | None = None) -> int:
    """Run the catalogue's tests into ``junit`` (and its run record); pytest's exit status.
    A failing test is reported on the status page, not raised."""
    log = log or sys.stdout
    chosen = node_ids() if ids is None else list(ids)
    junit.parent.mkdir(parents=True, exist_ok=True)
    print(f"requirement tests: running the {len(chosen)} tests the catalogue, the findings "
          "and the risks name", file=log, flush=True)
    done = subprocess.run(command(chosen, junit, workers=workers), cwd=REPO_DIR,
                          capture_output=True, text=True, check=False)
    tail = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"requirement tests: {tail} (results in {junit.name})", file=log, flush=True)
    return done.returncode
