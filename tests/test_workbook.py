"""The workbook runner, the book's parts and the command line around them."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import nbformat
import pytest
from docutils import nodes
from docutils.core import publish_from_doctree
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

from specpkg.__main__ import main
from specpkg.paths import BUILD_DIR, NOTEBOOK_DIR
from specpkg.workbook import bookext, requirements, runner, status, testrecord

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="6" failures="1" errors="0" skipped="1"
 timestamp="2026-11-25T10:00:00">
<testcase classname="tests.test_registers" name="test_reset_touches_one_register"/>
<testcase classname="tests.test_registers" name="test_reset_every_register_on_every_device[a]"/>
<testcase classname="tests.test_registers" name="test_reset_every_register_on_every_device[b]">
  <failure message="boom"/></testcase>
<testcase classname="tests.test_registers" name="test_reset_works_in_both_modes[x]">
  <skipped message="no"/></testcase>
<testcase classname="tests.test_registers" name="test_reset_works_in_both_modes[y]"/>
<testcase classname="tests.test_x.TestGroup" name="test_in_class"/>
</testsuite></testsuites>
"""


@pytest.fixture
def junit(tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    return path


def test_junit_outcomes_take_the_worst_case_and_keep_each_case(junit) -> None:
    outcomes = status.junit_outcomes(junit)
    base = "tests/test_registers.py::"
    assert outcomes[base + "test_reset_touches_one_register"] == "passed"
    assert outcomes[base + "test_reset_every_register_on_every_device"] == "failed"
    assert outcomes[base + "test_reset_every_register_on_every_device[a]"] == "passed"
    assert outcomes[base + "test_reset_works_in_both_modes"] == "passed"
    assert outcomes[base + "test_reset_works_in_both_modes[x]"] == "skipped"
    assert outcomes["tests/test_x.py::TestGroup::test_in_class"] == "passed"
    assert status.junit_outcomes(junit.with_name("none.xml")) == {}


def test_requirement_status_rules() -> None:
    passed, failed, skipped = (status.TestOutcome.PASSED, status.TestOutcome.FAILED,
                               status.TestOutcome.SKIPPED)
    assert status.combined_status([]) == "not run"
    assert status.combined_status([passed, status.TestOutcome.NOT_RUN]) == "not run"
    assert status.combined_status([passed, skipped]) == "not run"
    assert status.combined_status([passed, passed]) == "passed"
    assert status.combined_status([passed, passed], open_findings=1) == (
        "passed with open finding")
    assert status.combined_status([passed, failed], open_findings=1) == "failed"


def test_requirement_statuses_name_each_test_and_only_open_findings_count(junit) -> None:
    req = requirements.Requirement(
        "BR-9", "x", "requirement", "", ("tests/test_registers.py::test_reset_touches_one_register",
                                         "tests/test_registers.py::test_reset_works_in_both_modes"))
    def finding_of(fid: str, status_: str) -> requirements.Finding:
        return requirements.Finding(fid, "question", "specification gap", "low", ("BR-9",),
                                    "text", "q?",
                                    "(a) x (b) y", "e", "n", status_)

    finding = finding_of("F-1", "open")
    closed = finding_of("F-2", "Closed")
    outcomes = status.junit_outcomes(junit)
    (row,) = status.requirement_statuses(outcomes, [req], [closed])
    assert row.status == "passed" and [s for _, s in row.tests] == ["passed", "passed"]
    (row,) = status.requirement_statuses(outcomes, [req], [closed, finding])
    assert row.status == "passed with open finding" and row.findings == (closed, finding)


def test_findings_status_severity_and_requirements_are_read(tmp_path) -> None:
    path = tmp_path / "findings.csv"
    head = ",".join(requirements.FINDING_COLUMNS)
    path.write_text(f"{head}\n"
                    "F-1,question,specification gap,low,SR-1,a,q?,o,e,n,closed\n"
                    "F-2,question,specification gap,high,SR-2 TR-4,b,q?,o,e,n,open\n"
                    "F-3,note,reference data gap,high,SR-2,c,,,e,n,closed\n")
    first, second, note = requirements.load_findings(path)
    assert not first.open and second.open and not note.open and not note.is_question
    assert second.severity_rank < first.severity_rank
    assert second.touches("TR-4") and not first.touches("TR-4")
    assert list(requirements.findings_by_severity(path)["id"]) == ["F-2", "F-3", "F-1"]
    assert list(requirements.findings_by_severity(path, "question")["id"]) == ["F-2", "F-1"]


def test_run_record_belongs_to_its_junit_file(junit) -> None:
    assert not status.latest_run(junit).commit
    record = testrecord.run_record(junit, 1)
    status.record_path(junit).write_text(json.dumps({**record, "commit": "abc123"}))
    run = status.latest_run(junit)
    assert run.commit == "abc123" and run.when == record["finished"]
    assert dict(run.counts) == {"tests": 6, "failures": 1, "errors": 0, "skipped": 1}
    junit.write_text(JUNIT.replace("boom", "other"))
    stale = status.latest_run(junit)
    assert stale.commit == "" and stale.when == "2026-11-25T10:00:00"
    assert not status.latest_run(junit.with_name("none.xml")).found


def test_testrecord_plugin_writes_the_record_after_pytest(tmp_path) -> None:
    (tmp_path / "test_one.py").write_text("def test_ok():\n    assert True\n")
    xml = tmp_path / "out.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "specpkg.workbook.testrecord",
                    f"--junitxml={xml}", "-p", "no:cacheprovider", str(tmp_path / "test_one.py")],
                   cwd=tmp_path, check=True, capture_output=True)
    run = status.latest_run(xml)
    assert run.found and len(run.commit) == 40 and dict(run.counts)["tests"] == 1


def test_generated_tables_escape_csv_text() -> None:
    document = new_document("test", get_default_settings(Parser))
    document += bookext.table(["finding"], [["<script>alert('x')</script> & \"quotes\""]],
                              ids=["F-1"])
    html = publish_from_doctree(document, writer="html5").decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert 'id="F-1"' in html


def test_requirement_ids_become_unbreakable_spans() -> None:
    parts = bookext._split_ids("see SR-10 and IMP-1.")
    assert [p.astext() for p in parts] == ["see ", "SR-10", " and ", "IMP-1", "."]
    assert [isinstance(p, nodes.inline) and "rid" in p["classes"] for p in parts] == [
        False, True, False, True, False]


def test_output_dir_never_replaces_the_default_results() -> None:
    assert runner.output_dir({}) == BUILD_DIR
    assert runner.output_dir({"device": "GSME", "mode": "credit"}) == (
        BUILD_DIR / "variants" / "device-GSME_mode-credit")
    assert runner.variant_name({"path": "../x y"}) == "path-..~2Fx~20y"


def test_run_executes_a_notebook_and_logs_its_time(tmp_path) -> None:
    log = tmp_path / "log.txt"
    with log.open("w") as handle:
        runs = runner.run(["00"], out=tmp_path, log=handle)
    assert [r.notebook for r in runs] == ["00_overview.ipynb"] and runs[0].ok
    assert nbformat.read(tmp_path / "notebooks" / "00_overview.ipynb", as_version=4).cells
    with (tmp_path / "workbook-times.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["notebook"] == "00_overview.ipynb" and float(rows[0]["seconds"]) > 0
    text = log.read_text()
    assert "00_overview.ipynb" in text and "ok" in text and "TCP" not in text


def test_unknown_notebook_is_a_clear_error(capsys) -> None:
    assert main(["workbook", "no-such-notebook"]) == 2
    err = capsys.readouterr().err
    assert "no notebook called 'no-such-notebook'" in err and "Traceback" not in err


def test_bad_parameter_syntax_is_a_clear_error(capsys) -> None:
    assert main(["workbook", "00", "-p", "nonsense"]) == 2
    assert "expected NAME=VALUE" in capsys.readouterr().err


def test_help_lists_workbook_and_book(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    out = capsys.readouterr().out
    assert caught.value.code == 0 and "workbook" in out and "book" in out


def test_committed_notebooks_are_what_jupyterlab_would_save() -> None:
    """Opened in JupyterLab, a committed notebook is not flagged as modified:
    it is valid nbformat 4.5 with cell ids and already in nbformat's own layout."""
    for path in sorted(NOTEBOOK_DIR.glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
        assert (nb.nbformat, nb.nbformat_minor) >= (4, 5), path.name
        assert all(c.get("id") for c in nb.cells), path.name
        assert nbformat.writes(nb) + "\n" == text or nbformat.writes(nb) == text, path.name


def test_requirement_tests_are_every_catalogue_and_evidence_test_once_in_order() -> None:
    """A decision card's evidence is run by ``make workbook`` too: never "not run"."""
    from specpkg.workbook import requirement_tests

    catalogue, findings = requirements.load(), requirements.load_findings()
    risks = requirements.risks()
    ids = requirement_tests.node_ids(catalogue, findings, risks)
    named = {t for r in catalogue for t in r.tests}
    evidence = {t for f in findings for t in f.evidence.split()} | {
        t for r in risks for t in r.evidence.split()}
    assert evidence - named  # the cards name tests the catalogue does not
    assert len(ids) == len(set(ids)) and set(ids) == named | evidence
    assert ids[0] == catalogue[0].tests[0]
    assert requirement_tests.node_ids(catalogue, [], []) == list(dict.fromkeys(
        t for r in catalogue for t in r.tests))


def test_requirement_tests_run_records_when_and_on_which_commit(tmp_path) -> None:
    """What ``make workbook`` runs before publishing: pytest on the catalogue's node ids
    with the testrecord plugin, so the book shows a real status with its commit."""
    from specpkg.workbook import requirement_tests

    test = tmp_path / "test_one.py"
    test.write_text("def test_ok():\n    assert True\n\ndef test_bad():\n    assert False\n")
    xml = tmp_path / "out" / "results.xml"
    code = requirement_tests.run(xml, workers=1, ids=[f"{test}::test_ok", f"{test}::test_bad"],
                                 log=(tmp_path / "log.txt").open("w"))
    run = status.latest_run(xml)
    assert code == 1 and run.found and len(run.commit) == 40
    assert dict(run.counts)["tests"] == 2 and dict(run.counts)["failures"] == 1


def test_workbook_runs_the_requirement_tests_before_the_book(monkeypatch, tmp_path) -> None:
    from specpkg.workbook import book, figures, requirement_tests

    calls: list[str] = []
    done = runner.NotebookRun("00_overview.ipynb", tmp_path / "00_overview.ipynb", 1.0)
    monkeypatch.setattr(runner, "run", lambda *a, **k: [done])
    monkeypatch.setattr(runner, "output_dir", lambda params=None: BUILD_DIR)
    monkeypatch.setattr(figures, "export", lambda *a, **k: [])
    monkeypatch.setattr(requirement_tests, "run", lambda *a, **k: calls.append("tests") or 0)
    monkeypatch.setattr(book, "book_notebooks", lambda *a, **k: [done.output])
    monkeypatch.setattr(book, "render", lambda *a, **k: calls.append("book") or
                        BUILD_DIR / "site" / "index.html")
    monkeypatch.setattr(book, "summary_pdf", lambda *a, **k: calls.append("pdf"))
    assert main(["workbook", "00"]) == 0
    assert calls == ["tests", "book", "pdf"]
    calls.clear()
    assert main(["workbook", "00", "--no-tests"]) == 0
    assert calls == ["book", "pdf"]
