"""``specpkg serve`` and ``specpkg send`` (issue 20): the service starts, names the DCC
certificate a client validates with, and a User System's reset through it succeeds."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from specpkg.__main__ import main
from specpkg.duis.responses import DCC_SIGNER_ID
from specpkg.service.config import DEFAULT_TOML, parse_config

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_names_the_dcc_certificate_and_send_gets_the_reset_done(tmp_path, capsys):
    listen = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if env.get("MUTANT_UNDER_TEST") == "stats":  # mutmut's coverage pass: its recorder
        del env["MUTANT_UNDER_TEST"]  # needs its config, absent in the child's folder
    process = subprocess.Popen(
        [sys.executable, "-m", "specpkg", "serve", "--port", "0",
         "--database", str(tmp_path / "state.sqlite"),
         "--receiver", f"http://127.0.0.1:{listen}/smartdcc/duis"],
        stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while not any("startup complete" in line for line in lines):
            assert time.monotonic() < deadline and process.poll() is None, lines
            lines.append(process.stderr.readline())
        text = "".join(lines)
        assert f"signed by the DCC certificate {DCC_SIGNER_ID}" in text
        url = re.search(r"on (http://127\.0\.0\.1:\d+)", text).group(1)
        code = main(["send", "--device", "ESME", "--register", "TimeDebtRegister2",
                     "--to", url, "--listen", f"127.0.0.1:{listen}", "--counter", "42"])
        out = capsys.readouterr().out
        assert code == 0, out
        assert out.splitlines()[-1].endswith(":42: I0 (success: register is zero)")
        assert "Service Response" in out
    finally:
        process.terminate()
        process.wait(30)


def test_print_config_is_the_default_that_works_out_of_the_box(capsys):
    assert main(["serve", "--print-config"]) == 0
    config = parse_config(capsys.readouterr().out)
    assert config == parse_config(DEFAULT_TOML)
    assert {d.device_type for d in config.devices if d.is_meter} == {"ESME", "GSME"}


def test_a_bad_configuration_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "service.toml"
    bad.write_text('[[users]]\nid = "90B3D51F30010000"\nrole = "IS"\n[[devices]]\n'
                   'id = "00DB1234567890A0"\ntype = "ESME"\nuser = "90B3D51F30099999"\n')
    assert main(["serve", "--config", str(bad), "--port", "0"]) == 2
    assert "names no configured User" in capsys.readouterr().err
    bad.write_text("users = [")
    assert main(["serve", "--config", str(bad)]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_send_to_nothing_is_one_line_and_exit_2(capsys):
    code = main(["send", "--device", "ESME", "--register", "TimeDebtRegister1",
                 "--to", f"http://127.0.0.1:{_free_port()}", "--listen",
                 f"127.0.0.1:{_free_port()}", "--timeout", "2"])
    assert code == 2
    assert capsys.readouterr().err.startswith("specpkg send: error:")
