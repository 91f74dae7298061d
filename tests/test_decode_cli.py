"""``specpkg decode``: vector files, hex strings, --json, --keys, clear errors (SR-1, SR-2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from specpkg.__main__ import main
from specpkg.gbcs.vectors import vector_files


@pytest.fixture(scope="module")
def files(reference: Path) -> dict[str, Path]:
    return vector_files(reference)


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["decode", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_decode_vector_file_table(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["decode", str(files["GCS04_SUCCESS_COMMAND"])]) == 0
    out = capsys.readouterr().out
    assert "GCS04 (0x006E) command #1000" in out
    assert "signature: no-key   mac: no-key" in out
    assert "TYPE3_INCREMENTAL" in out and "Payment Debt Register" in out


def test_decode_json_with_keys(
    files: dict[str, Path], reference: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = str(reference / "keys")
    info = _json(capsys, str(files["ECS07_SUCCESS_COMMAND"]), "--keys", keys)
    assert info["message_code"] == 0x001E and info["use_case"] == "ECS07"
    assert info["cra"] == "command" and info["originator_counter"] == 1001
    assert info["originator"] == "90B3D51F30010000" and info["recipient"] == "00DB1234567890A0"
    assert (info["signature"], info["mac"]) == ("valid", "valid")
    specs = info["payload"]["specs"]
    assert [s["instance"] for s in specs][:3] == [
        "0-0:19.20.1.255",
        "0-0:19.20.2.255",
        "0-0:19.20.3.255",
    ]
    assert info["payload"]["data"][-1] == {"type": "double_long", "value": 15000}

    info = _json(capsys, str(files["GCS04_ERROR_RESPONSE"]), "--keys", keys)
    assert (info["cra"], info["signature"], info["mac"]) == ("response", "valid", "absent")
    statuses = [c["frame"]["payload"]["status"] for c in info["payload"]["components"]]
    assert statuses == ["success", "hardware_failure", "failure"]

    info = _json(capsys, str(files["GCS04_SUCCESS_PRECOMMAND"]))
    assert (info["signature"], info["mac"]) == ("absent", "absent")


def test_decode_hex_string(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    text = files["ECS07_SUCCESS_RESPONSE"].read_text().strip()
    info = _json(capsys, text)
    assert info["use_case"] == "ECS07" and info["signature"] == "no-key"
    results = [s["result"] for s in info["payload"]["specs"]]
    assert results == ["success"] * 10


def test_decode_binary_file(files: dict[str, Path], tmp_path: Path, capsys) -> None:
    path = tmp_path / "message.bin"
    path.write_bytes(bytes.fromhex(files["GCS04_SUCCESS_RESPONSE"].read_text().strip()))
    assert _json(capsys, str(path))["use_case"] == "GCS04"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["DF0G"], "not a hex string"),
        (["DF0"], "odd number of hex digits"),
        (["no/such/file.hex"], "no such file"),
        (["DF00"], "at offset"),
        (["DF09", "--keys", "no/such/dir"], "not a directory"),
    ],
)
def test_clear_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("specpkg decode: error: ") and message in err
    assert "Traceback" not in err


def test_error_in_a_subprocess_has_no_traceback() -> None:
    """The real command line: exit status 2, one line, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "specpkg", "decode", "ZZ"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "not a hex string" in result.stderr
