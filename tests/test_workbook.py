"""The workbook runner, the site renderer and the command line around them."""

from __future__ import annotations

import csv

import pytest

from specpkg.__main__ import main
from specpkg.workbook import requirements, runner, site

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<testcase classname="tests.test_registers" name="test_reset_touches_one_register"/>
<testcase classname="tests.test_registers" name="test_reset_every_register_on_every_device[a]"/>
<testcase classname="tests.test_registers" name="test_reset_every_register_on_every_device[b]">
  <failure message="boom"/></testcase>
<testcase classname="tests.test_registers" name="test_reset_works_in_both_modes[x]">
  <skipped message="no"/></testcase>
<testcase classname="tests.test_registers" name="test_reset_works_in_both_modes[y]"/>
</testsuite></testsuites>
"""


def test_junit_outcomes_take_the_worst_case(tmp_path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    outcomes = site.junit_outcomes(path)
    assert outcomes["tests/test_registers.py::test_reset_touches_one_register"] == "passed"
    assert outcomes["tests/test_registers.py::test_reset_every_register_on_every_device"] == (
        "failed"
    )
    assert outcomes["tests/test_registers.py::test_reset_works_in_both_modes"] == "passed"


def test_requirement_status_rules() -> None:
    req = requirements.Requirement("BR-9", "x", "y", "", ("tests/a.py::t1", "tests/a.py::t2"))
    passed, failed = site.Status.PASSED, site.Status.FAILED
    assert site.requirement_status(req, {}) == "not run"
    assert site.requirement_status(req, {"tests/a.py::t1": passed}) == "not run"
    both = {"tests/a.py::t1": passed, "tests/a.py::t2": passed}
    assert site.requirement_status(req, both) == "passed"
    assert site.requirement_status(req, {**both, "tests/a.py::t2": failed}) == "failed"
    empty = requirements.Requirement("BR-9", "x", "y", "", ())
    assert site.requirement_status(empty, both) == "not run"


def test_run_executes_a_notebook_and_logs_its_time(tmp_path, capsys) -> None:
    runs = runner.run(["00"], out=tmp_path, progress=False)
    assert [r.notebook for r in runs] == ["00_overview.ipynb"] and runs[0].ok
    assert (tmp_path / "notebooks" / "00_overview.ipynb").is_file()
    with (tmp_path / "workbook-times.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["notebook"] == "00_overview.ipynb" and float(rows[0]["seconds"]) > 0
    assert "00_overview.ipynb" in capsys.readouterr().out
    pages = site.render(tmp_path / "notebooks", tmp_path / "site", tmp_path / "none.xml")
    index = (tmp_path / "site" / "index.html").read_text()
    assert "00_overview.html" in index and "BR-1" in index
    assert [p.name for p in pages] == ["index.html", "00_overview.html"]


def test_headings_get_requirement_anchors(tmp_path) -> None:
    runs = runner.run(["01"], out=tmp_path, progress=False)
    assert runs[0].ok
    site.render(tmp_path / "notebooks", tmp_path / "site", tmp_path / "none.xml")
    page = (tmp_path / "site" / "01_debt_registers_and_reset.html").read_text()
    for rid in ("BR-1", "BR-2", "BR-3", "BR-4", "BR-5"):
        assert f'id="{rid}"' in page


def test_unknown_notebook_is_a_clear_error(capsys) -> None:
    assert main(["workbook", "no-such-notebook"]) == 2
    err = capsys.readouterr().err
    assert "no notebook called 'no-such-notebook'" in err and "Traceback" not in err


def test_bad_parameter_syntax_is_a_clear_error(capsys) -> None:
    assert main(["workbook", "00", "-p", "nonsense"]) == 2
    assert "expected NAME=VALUE" in capsys.readouterr().err


def test_help_lists_workbook(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0 and "workbook" in capsys.readouterr().out
