"""The ``implementation-date`` and ``test-plan`` sub-commands (IMP-1, TR-3)."""

from __future__ import annotations

import json

from specpkg.__main__ import main


def test_imp1_command_prints_date_and_reason(capsys):
    assert main(["implementation-date", "2018-05-27"]) == 0
    assert capsys.readouterr().out.startswith("2018-05-27 -> 2019-06-27: ")
    assert main(["implementation-date", "2018-10-08", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["implementation_date"] is None


def test_imp1_command_bad_date_is_one_line_error(capsys):
    assert main(["implementation-date", "27/05/2018"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("specpkg implementation-date: error: approval:")
    assert "Traceback" not in err


def test_tr3_command_writes_the_analysis(tmp_path, capsys):
    assert main(["test-plan", "--start", "2019-03-01", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.split()
    assert any(p.endswith("test_report.md") for p in printed)
    assert (tmp_path / "test_matrix.csv").is_file()
    minimum = (tmp_path / "minimum_test_set.csv").read_text().splitlines()
    assert len(minimum) == 1 + 24 and minimum[1].startswith("1,\"positive reset")
    assert (tmp_path / "effort.csv").read_text().splitlines()[-1].startswith("total,23,288,720,")


def test_tr3_command_summarises_the_plan_against_the_implementation_dates(tmp_path, capsys):
    """A start too late for the June 2019 date is said to miss it, with the latest start."""
    assert main(["test-plan", "--start", "2019-06-10", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "test matrix: 1008 cases, 72 positive" in out
    assert ("effort: 31.9 participant days, 23.4 environment days (rate to be set by the DCC); "
            "288 runs and 720 admission refusals of 1008 cases; minimum test set 24 cases") in out
    assert "implementation 2019-06-27" in out and "this plan MISSES it" in out
    assert "the latest start is 2019-05-24" in out
    assert "implementation 2019-11-07" in out and "this plan meets it" in out
