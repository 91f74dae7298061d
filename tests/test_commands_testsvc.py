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
