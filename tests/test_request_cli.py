"""``python -m specpkg request``: a signed request the DCC side accepts (SR-9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpkg.__main__ import main
from specpkg.duis.intake import validate_request
from specpkg.meter.registers import DebtRegister, Device


@pytest.mark.parametrize(
    ("device", "register"),
    [(Device.ESME, DebtRegister.TIME_DEBT_1), (Device.GSME, DebtRegister.PAYMENT_DEBT)],
)
def test_request_to_stdout_validates(capsys, device, register) -> None:
    rc = main(["request", "--device", device.value, "--register", register.value,
               "--counter", "1001"])
    out = capsys.readouterr().out
    assert rc == 0
    accepted = validate_request(out.encode())
    assert accepted.device is device and accepted.request.register is register
    assert accepted.request.counter == 1001


def test_request_to_file(tmp_path: Path, capsys) -> None:
    out = tmp_path / "req.xml"
    rc = main(["request", "--device", "GSME", "--register", "TimeDebtRegister2", "--counter", "5",
               "--device-id", "00-DB-12-34-56-78-90-A1", "--out", str(out)])
    assert rc == 0
    accepted = validate_request(out.read_bytes())
    assert accepted.request.request_id.endswith(":00-DB-12-34-56-78-90-A1:5")
    assert "wrote" in capsys.readouterr().err


def test_request_output_is_deterministic(capsys) -> None:
    args = ["request", "--device", "ESME", "--register", "TimeDebtRegister2", "--counter", "9"]
    main(args)
    first = capsys.readouterr().out
    main(args)
    assert capsys.readouterr().out == first


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--counter", "-1"], "counter"),
        (["--counter", "1", "--user-id", "xyz"], "user_id"),
        (["--counter", "1", "--keys", "no-such-folder"], "keys"),
        (["--counter", "1", "--command-variant", "0"], "command_variant"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(capsys, extra, message) -> None:
    rc = main(["request", "--device", "ESME", "--register", "TimeDebtRegister1", *extra])
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_unknown_register_is_refused_by_the_parser(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["request", "--device", "ESME", "--register", "TimeDebtRegister3", "--counter", "1"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
