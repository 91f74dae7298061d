"""``specpkg decode``: vector files, hex strings, --json, --keys, clear errors (SR-1, SR-2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from specpkg.__main__ import main
from specpkg.duis.reset_request import DEFAULT_DEVICE_IDS, DEFAULT_USER_ID
from specpkg.gbcs import messages, samples
from specpkg.gbcs.security import Keys
from specpkg.gbcs.vectors import vector_files
from specpkg.paths import PKI_DIR


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
    assert "[3] debt amount type                  TYPE3_INCREMENTAL: Payment" in out
    assert max(len(line) for line in out.splitlines()) <= 100


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


def test_decode_a_folder_in_one_process(
    reference: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole reference set: one JSON object per message and line, then the summary."""
    assert main(["decode", str(reference / "rtds"), "--keys", str(reference / "keys"),
                 "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 13 and all("file" in line for line in lines[:12])
    assert {line["use_case"] for line in lines[:12]} == {"ECS07", "GCS04"}
    assert lines[-1] == {"summary": {
        "decoded": 12, "refused": 0, "refusals": {},
        "signatures": {"valid": 8, "invalid": 0, "absent": 4, "no-key": 0},
        "macs": {"valid": 4, "invalid": 0, "absent": 8, "no-key": 0},
    }}


def test_decode_several_files_counts_refusals_and_verdicts(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unsigned MAC'd responses and alerts decode and verify; bad files are refused
    and counted by reason; the exit status says something was refused."""
    built = samples.mixed_messages(Keys(PKI_DIR), DEFAULT_USER_ID, DEFAULT_DEVICE_IDS, 40)
    unsigned = [data for kind, data in built if kind in ("unsigned response", "alert")]
    for i, data in enumerate(unsigned):
        (tmp_path / f"m{i:02}.hex").write_text(data.hex())
    (tmp_path / "truncated.hex").write_text(unsigned[0][:-3].hex())
    (tmp_path / "odd.hex").write_text("DF0")
    argv = ["decode", str(tmp_path), str(files["GCS04_SUCCESS_PRECOMMAND"]), "--keys",
            str(PKI_DIR)]
    assert main(argv) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(unsigned) + 4
    assert any("truncated.hex: refused: at offset" in line for line in out)
    summary = out[-1]
    assert summary.startswith(f"decoded {len(unsigned) + 1}, refused 2 (")
    assert "1 x odd number of hex digits (3)" in summary
    signed = sum(1 for kind, data in built if kind == "alert"
                 and messages.apdu_of(messages.decode(data)).signed)
    absent = len(unsigned) - signed + 1
    assert summary.endswith(
        f"signatures: valid {signed}, invalid 0, absent {absent}, no-key 0; "
        f"MACs: valid {len(unsigned) - signed}, invalid 0, absent {signed + 1}, no-key 0")


def test_decode_without_keys_says_where_keys_are(
    files: dict[str, Path], reference: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["decode", str(files["ECS07_SUCCESS_COMMAND"])]) == 0
    assert f"--keys {reference / 'keys'}" in capsys.readouterr().err


def test_error_response_is_summarised_in_the_header(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["decode", str(files["GCS04_ERROR_RESPONSE"])]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(
        ": 2 of 3 failed (hardware_failure, failure)")
    assert main(["decode", str(files["ECS07_SUCCESS_RESPONSE"])]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(": all 10 succeeded")
