"""Each requirement's status from the latest test run (the requirement-status page).

The run is pytest's JUnit XML (``build/test-results.xml``) and the record that
:mod:`specpkg.workbook.testrecord` writes beside it (when and on which commit
the tests ran). A requirement has passed when every test the catalogue names
ran and passed; it has failed when one failed; else it was not run. A passed
requirement that an open finding names has "passed with open finding".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from lxml import etree

from specpkg.paths import BUILD_DIR
from specpkg.workbook import requirements

JUNIT = BUILD_DIR / "test-results.xml"


class TestOutcome(StrEnum):
    """The outcome of one named test in a run."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_RUN = "not run"


class Status(StrEnum):
    """A requirement's status on the requirement-status page."""

    PASSED = "passed"
    PASSED_WITH_FINDING = "passed with open finding"
    FAILED = "failed"
    NOT_RUN = "not run"


#: Of the cases of one parametrised test, the worst decides; a skipped case
#: does not hide the others.
_RANK = {TestOutcome.NOT_RUN: 0, TestOutcome.SKIPPED: 1, TestOutcome.PASSED: 2,
         TestOutcome.FAILED: 3}


def _node_id(classname: str, name: str) -> str:
    """JUnit ``tests.test_x[.TestClass]`` + ``name`` -> ``tests/test_x.py::[TestClass::]name``."""
    parts = classname.split(".")
    classes = [p for p in parts if p[:1].isupper()]
    module = [p for p in parts if not p[:1].isupper()]
    return "/".join(module) + ".py::" + "::".join([*classes, name])


def junit_outcomes(junit: Path = JUNIT) -> dict[str, TestOutcome]:
    """pytest node id -> outcome, for every case and for every test (its worst case)."""
    if not junit.is_file():
        return {}
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(junit), parser).getroot()
    outcomes: dict[str, TestOutcome] = {}
    for case in root.iter("testcase"):
        node = _node_id(case.get("classname", ""), case.get("name", ""))
        if case.find("failure") is not None or case.find("error") is not None:
            status = TestOutcome.FAILED
        elif case.find("skipped") is not None:
            status = TestOutcome.SKIPPED
        else:
            status = TestOutcome.PASSED
        outcomes[node] = max(outcomes.get(node, TestOutcome.NOT_RUN), status, key=_RANK.get)
        test = node.split("[", 1)[0]
        if test != node:
            outcomes[test] = max(outcomes.get(test, TestOutcome.NOT_RUN), status, key=_RANK.get)
    return outcomes


def outcome_of(node: str, outcomes: Mapping[str, TestOutcome]) -> TestOutcome:
    """The outcome of a catalogue test name (a test, or one case of it) in a run."""
    return outcomes.get(node, TestOutcome.NOT_RUN)


def combined_status(tests: Sequence[TestOutcome], open_findings: int = 0) -> Status:
    """Passed only when every named test ran and passed; failed if any failed (BR..IMP)."""
    if TestOutcome.FAILED in tests:
        return Status.FAILED
    if tests and all(t is TestOutcome.PASSED for t in tests):
        return Status.PASSED_WITH_FINDING if open_findings else Status.PASSED
    return Status.NOT_RUN


@dataclass(frozen=True)
class RequirementStatus:
    requirement: requirements.Requirement
    status: Status
    tests: tuple[tuple[str, TestOutcome], ...]
    findings: tuple[requirements.Finding, ...]


def requirement_statuses(
    outcomes: Mapping[str, TestOutcome],
    catalogue: Sequence[requirements.Requirement] | None = None,
    findings: Sequence[requirements.Finding] | None = None,
) -> list[RequirementStatus]:
    """Every requirement with its status, its tests' outcomes and its findings."""
    catalogue = requirements.load() if catalogue is None else catalogue
    findings = requirements.load_findings() if findings is None else findings
    rows = []
    for req in catalogue:
        tests = tuple((t, outcome_of(t, outcomes)) for t in req.tests)
        own = tuple(f for f in findings if f.touches(req.id))
        status = combined_status([s for _, s in tests], sum(f.open for f in own))
        rows.append(RequirementStatus(req, status, tests, own))
    return rows


@dataclass(frozen=True)
class RunRecord:
    """When and on which commit the run behind a JUnit file took place."""

    found: bool
    when: str = ""
    commit: str = ""
    dirty: bool = False
    counts: tuple[tuple[str, int], ...] = ()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record_path(junit: Path) -> Path:
    """The run record written beside a JUnit file: ``test-results.json``."""
    return junit.with_suffix(".json")


def latest_run(junit: Path = JUNIT) -> RunRecord:
    """The run's time and commit. The record counts only if it describes this very
    JUnit file (its SHA-256); else the time is the JUnit's own and the commit unknown."""
    if not junit.is_file():
        return RunRecord(found=False)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(junit), parser).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    attrs = suite.attrib if suite is not None else {}
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for key in counts:
        counts[key] = int(attrs.get(key, 0) or 0)
    when, commit, dirty = str(attrs.get("timestamp", "")), "", False
    record = record_path(junit)
    if record.is_file():
        data = json.loads(record.read_text(encoding="utf-8"))
        if data.get("junit_sha256") == _sha256(junit):
            when = data.get("finished", when)
            commit, dirty = data.get("commit", ""), bool(data.get("dirty"))
    return RunRecord(True, when, commit, dirty, tuple(counts.items()))
