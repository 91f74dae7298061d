"""The test pack export (TR-6): manifest versions correspond, files present and decodable."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from specpkg.__main__ import main
from specpkg.duis import intake, responses
from specpkg.duis.reset_request import PARSE_AND_CORRELATE_VERSION
from specpkg.errors import ValidationError
from specpkg.gbcs import catalogue, messages
from specpkg.gbcs.security import Keys
from specpkg.meter.registers import DebtRegister, Device
from specpkg.paths import PKI_DIR
from specpkg.system.user import User
from specpkg.testing import packcheck
from specpkg.testing.testpack import (
    SAMPLE_FILES,
    TestPack,
    correlate_under,
    export_test_pack,
    pack_for,
    read_test_pack,
    revised_catalogue,
)


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    out = tmp_path_factory.mktemp("pack")
    export_test_pack(out)
    return out


def test_tr6_a_pack_of_mixed_versions_is_refused_and_would_not_correlate(tmp_path) -> None:
    """TR-6: a pack pairing this Parse and Correlate with a catalogue of another version is
    refused; used anyway, the User's correlation refuses the Pre-Commands of a DCC working
    from that catalogue wherever it maps the reset otherwise, and signs nothing."""
    current = catalogue.load_catalogue()
    other = revised_catalogue(current, "0.2.0-other", {Device.GSME: 0x0F12})
    with pytest.raises(ValidationError) as err:
        pack_for(other)
    assert err.value.field == "message_mapping_catalogue_version"
    assert pack_for(current).parse_and_correlate_version == current.version
    found = {(c.device, c.register): c for c in correlate_under(other)}
    for (device, _), c in found.items():
        assert c.correlated is (device is Device.ESME)
        assert c.catalogue_version == "0.2.0-other"
    assert all(c.refusal.startswith("correlation failed on message_code")
               for c in found.values() if not c.correlated)
    assert all(c.correlated for c in correlate_under(current))


def test_tr6_a_catalogue_mapping_the_esme_reset_to_another_method_is_refused() -> None:
    """Not only the message code: a catalogue whose ESME reset is an increment (DLMS
    method 4) gives Pre-Commands the User's correlation refuses on their payload."""
    current = catalogue.load_catalogue()
    changed = dataclasses.replace(current, version="0.3.0-other", entries=tuple(
        dataclasses.replace(e, dlms_method=4) if e.device is Device.ESME else e
        for e in current))
    refused = [c for c in correlate_under(changed) if not c.correlated]
    assert {c.device for c in refused} == {Device.ESME} and len(refused) == 3
    assert all("payload" in c.refusal for c in refused)


def test_tr6_pack_versions_must_be_non_empty_and_correspond() -> None:
    pack = TestPack("SEC Release 2019-06", " 5.1 ", "5.1")
    assert pack.parse_and_correlate_version == pack.message_mapping_catalogue_version == "5.1"
    assert TestPack.from_manifest(pack.as_dict()) == pack
    with pytest.raises(ValidationError) as info:
        TestPack("SEC Release 2019-06", "5.1", "5.0")
    assert info.value.field == "message_mapping_catalogue_version"
    with pytest.raises(ValidationError):
        TestPack.from_manifest({"release": "R", "parse_and_correlate_version": "5.1"})
    with pytest.raises(ValidationError):
        TestPack("", "5.1", "5.1")


def test_tr6_manifest_versions_match(pack) -> None:
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["parse_and_correlate_version"] == PARSE_AND_CORRELATE_VERSION
    assert manifest["message_mapping_catalogue_version"] == catalogue.CATALOGUE_VERSION
    assert TestPack.from_manifest(manifest).release == "SECMP0002 Release"
    loaded = read_test_pack(pack)
    assert loaded.catalogue.version == loaded.pack.message_mapping_catalogue_version
    assert manifest["test_only_pki"] is True


def test_tr6_pack_holds_catalogue_xsd_codes_and_certificates(pack) -> None:
    files = json.loads((pack / "manifest.json").read_text())["files"]
    for name in ("catalogue/reset_debt_register.csv", "catalogue/catalogue.json",
                 "duis/ResetDebtRegister.xsd", "duis/response_codes.csv"):
        assert name in files and (pack / name).is_file()
    assert (pack / "catalogue/reset_debt_register.csv").read_bytes() == (
        catalogue.CATALOGUE_DIR / "reset_debt_register.csv").read_bytes()
    assert not list((pack / "pki").glob("*.key"))  # certificates only, no private keys
    assert list((pack / "pki").glob("*.pem"))


@pytest.mark.parametrize("device", list(Device))
@pytest.mark.parametrize("register", list(DebtRegister))
def test_tr6_samples_present_and_decodable(pack, device, register) -> None:
    folder = pack / "samples" / device.value / register.value
    assert sorted(p.name for p in folder.iterdir()) == sorted(SAMPLE_FILES)
    keys_dir = pack / "pki"
    accepted = intake.validate_request((folder / "request.xml").read_bytes(), keys_dir=keys_dir)
    assert accepted.request.register is register and accepted.device is device
    read = {n: bytes.fromhex((folder / n).read_text()) for n in SAMPLE_FILES if n.endswith(".hex")}
    pre = messages.decode(read["pre_command.hex"])
    assert pre.signature is None and pre.originator_counter == accepted.request.counter
    assert read["signed_pre_command.hex"].startswith(read["pre_command.hex"])
    keys = Keys(keys_dir)
    command = messages.verify(messages.decode(read["command.hex"]), keys)
    assert command.signature is messages.Check.VALID
    response = messages.decode(read["response.hex"])
    assert messages.check_signature(response, keys.public_key(response.originator_id, "ds")) \
        is messages.Check.VALID
    parsed = responses.parse_response((folder / "service_response.xml").read_bytes())
    assert parsed.success and parsed.gbcs_payload == read["response.hex"]
    assert User().correlate(accepted.request, read["pre_command.hex"]).message_code == \
        catalogue.load_catalogue().entry(device, register).message_code


def test_tr6_catalogue_of_another_version_is_refused(tmp_path, capsys) -> None:
    other = tmp_path / "catalogue"
    shutil.copytree(catalogue.CATALOGUE_DIR, other)
    meta = json.loads((other / "catalogue.json").read_text())
    meta["catalogue_version"] = "9.9.9"
    (other / "catalogue.json").write_text(json.dumps(meta))
    with pytest.raises(ValidationError) as err:
        export_test_pack(tmp_path / "out", catalogue_dir=other)
    assert err.value.field == "message_mapping_catalogue_version"
    assert main(["testpack", "--out", str(tmp_path / "cli"), "--catalogue", str(other)]) == 2
    message = capsys.readouterr().err
    assert message.startswith("specpkg testpack: error: message_mapping_catalogue_version")
    assert "9.9.9" in message and "Traceback" not in message
    assert not (tmp_path / "out").exists() and not (tmp_path / "cli").exists()


def test_tr6_altered_pack_is_refused(pack, tmp_path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(pack, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["message_mapping_catalogue_version"] = "0.0.1"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValidationError) as err:
        read_test_pack(copy)
    assert err.value.field == "signature"  # edited after the DCC signed it
    data = json.dumps(manifest).encode()  # signed by the DCC as it is: still refused
    (copy / packcheck.SIGNATURE).write_bytes(packcheck.sign_manifest(data, PKI_DIR))
    with pytest.raises(ValidationError) as err:
        read_test_pack(copy)
    assert err.value.field == "message_mapping_catalogue_version"
    shutil.rmtree(copy)
    shutil.copytree(pack, copy)
    (copy / "duis/response_codes.csv").write_text("changed\n")
    with pytest.raises(ValidationError) as err:
        read_test_pack(copy)
    assert "response_codes.csv" in err.value.reason
    (copy / "duis/response_codes.csv").unlink()
    with pytest.raises(ValidationError, match="missing"):
        read_test_pack(copy)


def test_testpack_cli(tmp_path, capsys) -> None:
    out = tmp_path / "pack"
    assert main(["testpack", "--out", str(out)]) == 0
    assert "manifest.json" in capsys.readouterr().out
    assert main(["testpack", "--check", str(out)]) == 0
    assert PARSE_AND_CORRELATE_VERSION in capsys.readouterr().out
    assert main(["testpack", "--out", str(out)]) == 2  # not empty
    assert "not empty" in capsys.readouterr().err
    assert main(["testpack", "--out", str(out), "--force"]) == 0
    assert main(["testpack"]) == 2
    assert "exactly one of" in capsys.readouterr().err
    assert main(["testpack", "--check", str(tmp_path / "none")]) == 2
    assert main(["testpack", "--out", str(tmp_path / "x"), "--catalogue",
                 str(tmp_path / "none")]) == 2
    assert "no catalogue file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["testpack", "--help"])
    assert exit_.value.code == 0
    assert "--out DIR" in capsys.readouterr().out


def test_tr6_export_is_reproducible(pack, tmp_path) -> None:
    """Fixed clock and deterministic signatures: the same pack byte for byte."""
    export_test_pack(tmp_path / "again")
    assert (tmp_path / "again" / "manifest.json").read_bytes() == (
        pack / "manifest.json").read_bytes()
