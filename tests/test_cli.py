"""The command line: each sub-command works, has --help, and fails clearly."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from specpkg.__main__ import build_parser, main
from specpkg.duis.codes import ResponseCode


def test_every_subcommand_has_help(capsys) -> None:
    parser = build_parser()
    names = sorted(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert {"decode", "export", "request", "run", "simulate", "workbook"} <= set(names)
    for name in names:
        with pytest.raises(SystemExit) as caught:
            main([name, "--help"])
        assert caught.value.code == 0
        assert "usage:" in capsys.readouterr().out


def test_no_subcommand_prints_help_and_fails(capsys) -> None:
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


def test_simulate_prints_the_effect_of_a_reset(capsys, tmp_path) -> None:
    out_csv = tmp_path / "run.csv"
    code = main(["simulate", "--device", "GSME", "--register", "PaymentDebtRegister",
                 "--days", "20", "--reset-day", "5", "--csv", str(out_csv)])
    text = capsys.readouterr().out
    assert code == 0
    assert "reset PaymentDebtRegister (success)" in text
    frame = pd.read_csv(out_csv)
    assert len(frame) == 20 * 24 and (frame["PaymentDebtRegister"].iloc[5 * 24:] == 0).all()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["simulate", "--register", "TimeDebtRegister4"], "unknown register"),
        (["simulate", "--mode", "pay-as-you-go"], "unknown mode"),
        (["simulate", "--days", "3", "--reset-day", "3"], "reset-day: must be at most 2"),
    ],
)
def test_simulate_bad_input_is_one_clear_line(capsys, argv: list[str], message: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_installed_entry_point_runs_as_a_module() -> None:
    done = subprocess.run([sys.executable, "-m", "specpkg", "--version"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0 and done.stdout.startswith("specpkg ")


def test_run_prints_every_step_and_succeeds(capsys) -> None:
    assert main(["run", "--device", "GSME", "--register", "PaymentDebtRegister", "--hex"]) == 0
    out = capsys.readouterr().out
    assert "Communications Hub" in out and "routes unchanged" in out
    assert "meter register: 5000p -> 0p" in out and "code I0" in out
    assert "DD00000000000081" in out  # the MAC'd command in hex


@pytest.mark.parametrize(("argv", "code"), [
    (["--meter-version", "pre-release"], ResponseCode.NOT_SUPPORTED_BY_DEVICE),
    (["--fault"], ResponseCode.RESET_NOT_CONFIRMED),
])
def test_run_shows_failures_with_a_non_zero_exit(capsys, argv: list[str], code: str) -> None:
    assert main(["run", *argv]) == 1
    assert f"code {code}" in capsys.readouterr().out


def test_run_refuses_an_unknown_device(capsys) -> None:
    assert main(["run", "--device", "IHD"]) == 2
    assert "unknown device 'IHD'" in capsys.readouterr().err


def test_run_takes_model_assumptions(capsys) -> None:
    assert main(["run", "--assume", "compare_with_issued=false,count_quarantined=false"]) == 0
    assert "model assumptions: compare_with_issued=false, count_quarantined=false" in (
        capsys.readouterr().out)
    assert main(["run", "--assume", "trust_everyone=true"]) == 2
    assert "unknown assumption 'trust_everyone'" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--help"], ["decode", "--help"], ["decode", "DF0900"]])
def test_start_up_does_not_import_the_heavy_modules(argv: list[str]) -> None:
    """The dispatcher sets up only the chosen command; decode needs no pandas."""
    script = ("import sys\nfrom specpkg.__main__ import main\n"
              f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
              "print(sorted(m for m in ('pandas', 'nbformat', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False)
    assert done.stdout.splitlines()[-1] == "[]"


def test_a_closed_output_pipe_ends_quietly(tmp_path, reference) -> None:
    """``specpkg decode FOLDER | head -1``: no traceback, no error, status 0."""
    text = (reference / "rtds/2.3_GCS04/GCS04_2.3_SUCCESS_COMMAND_GBCS.HEX").read_text()
    for i in range(800):
        (tmp_path / f"m{i:04}.hex").write_text(text)
    process = subprocess.Popen([sys.executable, "-m", "specpkg", "decode", str(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.readline().startswith(str(tmp_path).encode())
    process.stdout.close()
    error = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0
    assert "Traceback" not in error and "Broken pipe" not in error
