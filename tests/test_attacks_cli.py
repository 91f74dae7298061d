"""Issue 18's attacks on the command line, the files it reads and the DUIS intake:
each is refused with a typed error naming what was wrong, never a traceback.

Classes: encodings other than UTF-8 at the DUIS intake (item 7); garbage files
and values that once raised tracebacks (item 8); ``decode`` over folders
(item 9); one overwrite rule for every command that writes (item 10);
bounded parameters and injective variant folders (item 12); a tampered test
pack (item 4).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specpkg.__main__ import main
from specpkg.anomaly import campaign, traffic
from specpkg.anomaly.campaign import Campaign
from specpkg.anomaly.traffic import generate_batch
from specpkg.duis.codes import ResponseCode
from specpkg.duis.intake import check_request
from specpkg.duis.reset_request import make_request, request_xml
from specpkg.duis.xmlsafe import XmlRefusal, XmlRefused, parse_xml
from specpkg.errors import ValidationError
from specpkg.meter import fleet
from specpkg.meter.fleet import random_fleet
from specpkg.meter.registers import DebtRegister, Device
from specpkg.paths import PKI_DIR
from specpkg.system.flow import make_testbed
from specpkg.system.tampering import flipped
from specpkg.testing import packcheck
from specpkg.testing.roles import dcc_refusal, role_name
from specpkg.testing.testpack import export_test_pack
from specpkg.testing.testrun import own_meter_ids
from specpkg.workbook import runner
from specpkg.workbook.runner import variant_name

SIGNED = request_xml(make_request(Device.ESME, DebtRegister.TIME_DEBT_1, 1000))


# --- item 7: DUIS is UTF-8; UTF-16 and UTF-32 refused with or without a BOM -----------

def _utf16_32(text: str) -> dict[str, bytes]:
    return {
        "utf-16-le": text.encode("utf-16-le"), "utf-16-be": text.encode("utf-16-be"),
        "utf-16-bom": text.encode("utf-16"),
        "utf-16-be-bom": b"\xfe\xff" + text.encode("utf-16-be"),
        "utf-32-le": text.encode("utf-32-le"), "utf-32-be": text.encode("utf-32-be"),
        "utf-32-bom": text.encode("utf-32"),
        "utf-32-be-bom": b"\x00\x00\xfe\xff" + text.encode("utf-32-be"),
    }


ENCODED = _utf16_32(SIGNED.decode("utf-8"))


class TestEncodings:
    @pytest.mark.parametrize("name", sorted(ENCODED))
    def test_a_signed_request_in_utf16_or_utf32_is_refused_as_bad_encoding(self, name) -> None:
        check = check_request(ENCODED[name])
        assert check.accepted is None
        assert check.code is ResponseCode.MALFORMED_XML
        assert "UTF-8" in str(check.error)

    @pytest.mark.parametrize("name", sorted(ENCODED))
    def test_the_parser_names_the_encoding(self, name) -> None:
        with pytest.raises(XmlRefused) as info:
            parse_xml(_utf16_32("<a/>")[name])
        assert info.value.kind is XmlRefusal.MALFORMED
        assert ("UTF-16" if "16" in name else "UTF-32") in info.value.reason

    def test_a_doctype_in_utf16_without_bom_is_refused_before_parsing(self) -> None:
        doc = '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'.encode("utf-16-le")
        with pytest.raises(XmlRefused) as info:
            parse_xml(doc)
        assert info.value.kind is XmlRefusal.MALFORMED and "UTF-16" in info.value.reason

    def test_a_nul_byte_anywhere_is_refused(self) -> None:
        with pytest.raises(XmlRefused) as info:
            parse_xml(b"<a>x\x00y</a>")
        assert info.value.kind is XmlRefusal.MALFORMED and "NUL" in info.value.reason

    def test_utf8_with_and_without_bom_still_parses(self) -> None:
        assert parse_xml(b"\xef\xbb\xbf<a/>").tag == "a"
        assert check_request(SIGNED).error is None


# --- item 10: one overwrite rule for every command that writes --------------------------

WRITERS = {  # command line with {target}, and whether the target is a folder
    "request --out": (["request", "--device", "ESME", "--register", "TimeDebtRegister1",
                       "--counter", "7", "--out", "{target}"], False),
    "simulate --csv": (["simulate", "--days", "2", "--reset-day", "1", "--csv", "{target}"],
                       False),
    "test-plan --out": (["test-plan", "--start", "2019-03-01", "--out", "{target}"], True),
    "export --out": (["export", "--keys", str(PKI_DIR), "--out", "{target}"], True),
    "testpack --out": (["testpack", "--out", "{target}"], True),
}


def _argv(name: str, target: Path, *extra: str) -> list[str]:
    argv, _ = WRITERS[name]
    return [a.replace("{target}", str(target)) for a in argv] + list(extra)


def _occupied(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """The target of ``name`` already holding something; (target, the file to keep)."""
    _, folder = WRITERS[name]
    if folder:
        target = tmp_path / "out"
        target.mkdir()
        kept = target / "notes.txt"
    else:
        target = kept = tmp_path / "out.file"
    kept.write_text("the operator's own notes\n")
    return target, kept


class TestOverwriteRule:
    @pytest.mark.parametrize("name", sorted(WRITERS))
    def test_an_existing_non_empty_target_is_refused_without_force(self, name, tmp_path,
                                                                   capsys) -> None:
        target, kept = _occupied(tmp_path, name)
        assert main(_argv(name, target)) == 2
        err = capsys.readouterr().err
        assert "not empty" in err and "--force" in err and str(target) in err
        assert "Traceback" not in err
        assert kept.read_text() == "the operator's own notes\n"

    @pytest.mark.parametrize("name", ["request --out", "simulate --csv", "test-plan --out"])
    def test_force_overwrites(self, name, tmp_path, capsys) -> None:
        target, kept = _occupied(tmp_path, name)
        assert main(_argv(name, target, "--force")) == 0
        capsys.readouterr()
        if WRITERS[name][1]:
            assert len(list(target.iterdir())) > 1
        else:
            assert kept.read_text() != "the operator's own notes\n"

    @pytest.mark.parametrize("name", ["request --out", "simulate --csv", "test-plan --out"])
    def test_an_empty_or_new_target_needs_no_force(self, name, tmp_path, capsys) -> None:
        assert main(_argv(name, tmp_path / "new")) == 0
        capsys.readouterr()
        assert (tmp_path / "new").exists()

    def test_a_folder_where_a_file_goes_is_refused(self, tmp_path, capsys) -> None:
        assert main(_argv("request --out", tmp_path, "--force")) == 2
        assert "is a folder, not a file" in capsys.readouterr().err


# --- item 4: a tampered test pack is refused, even with the manifest hashes recomputed --

@pytest.fixture(scope="module")
def good_pack(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("good") / "pack"
    export_test_pack(out)
    return out


@pytest.fixture
def pack(good_pack, tmp_path) -> Path:
    copy = tmp_path / "pack"
    shutil.copytree(good_pack, copy)
    return copy


def _rehash(pack: Path, *, sign: bool = False) -> None:
    """What a tamperer does after editing files: recompute every SHA-256 of the manifest
    (and, with ``sign``, sign it with the DCC's key as though the DCC had)."""
    path = pack / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["files"] = {name: hashlib.sha256((pack / name).read_bytes()).hexdigest()
                         for name in manifest["files"] if (pack / name).is_file()}
    data = json.dumps(manifest, indent=2).encode()
    path.write_bytes(data)
    if sign:
        (pack / packcheck.SIGNATURE).write_bytes(packcheck.sign_manifest(data, PKI_DIR))


def _check(pack: Path, capsys) -> str:
    assert main(["testpack", "--check", str(pack)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    return err


def _break_sample_signature(pack: Path) -> None:
    path = pack / "samples/GSME/TimeDebtRegister1/request.xml"
    path.write_bytes(path.read_bytes().replace(b"<sr:CommandVariant>4<",
                                               b"<sr:CommandVariant>5<"))


def _break_gbcs_signature(pack: Path) -> None:
    path = pack / "samples/ESME/PaymentDebtRegister/signed_pre_command.hex"
    text = path.read_text().strip()
    path.write_text(text[:-2] + ("00" if text[-2:] != "00" else "01") + "\n")


def _remap_catalogue(pack: Path) -> None:
    path = pack / "catalogue/reset_debt_register.csv"
    path.write_text(path.read_text().replace(",0x0F02,", ",0x0F12,"))


def _empty_catalogue(pack: Path) -> None:
    path = pack / "catalogue/reset_debt_register.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")


TAMPERINGS = {
    "sample XML signature broken": (_break_sample_signature, "request.xml is refused"),
    "sample GBCS signature broken": (_break_gbcs_signature, "signature invalid"),
    "catalogue maps the reset to another message code": (_remap_catalogue, "0x0F12"),
    "empty catalogue": (_empty_catalogue, "no entries"),
}


class TestTamperedPack:
    def test_the_exported_pack_checks(self, pack, capsys) -> None:
        assert main(["testpack", "--check", str(pack)]) == 0
        assert "signed by the DCC" in capsys.readouterr().out

    @pytest.mark.parametrize("name", sorted(TAMPERINGS))
    def test_a_recomputed_manifest_hash_is_refused_by_the_dcc_signature(self, name, pack,
                                                                        capsys) -> None:
        TAMPERINGS[name][0](pack)
        _rehash(pack)
        assert "the DCC signed another manifest" in _check(pack, capsys)

    @pytest.mark.parametrize("name", sorted(TAMPERINGS))
    def test_even_signed_by_the_dcc_what_the_files_say_is_checked(self, name, pack,
                                                                   capsys) -> None:
        change, message = TAMPERINGS[name]
        change(pack)
        _rehash(pack, sign=True)
        assert message in _check(pack, capsys)

    def test_a_pack_without_the_dccs_signature_is_refused(self, pack, capsys) -> None:
        (pack / packcheck.SIGNATURE).unlink()
        assert "not signed by the DCC" in _check(pack, capsys)

    def test_a_signature_by_another_key_is_refused(self, pack, capsys) -> None:
        # signed with the Supplier's key: --check trusts only the DCC's certificate
        data = (pack / "manifest.json").read_bytes()
        forged = packcheck.sign_manifest(data, PKI_DIR, signer_id="90B3D51F30010000")
        (pack / packcheck.SIGNATURE).write_bytes(forged)
        assert "is not the DCC's signature" in _check(pack, capsys)

    def test_a_pack_whose_parse_and_correlate_was_built_for_another_catalogue(
            self, pack, capsys) -> None:
        path = pack / "parse_and_correlate/parse_and_correlate.json"
        data = json.loads(path.read_text())
        data["catalogue_version"] = "0.2.0-other"
        path.write_text(json.dumps(data))
        _rehash(pack, sign=True)
        err = _check(pack, capsys)
        assert "built against catalogue 0.2.0-other" in err

    def test_a_parsed_response_that_is_not_what_the_parser_makes(self, pack, capsys) -> None:
        path = pack / "samples/ESME/TimeDebtRegister2/parsed_response.xml"
        path.write_bytes(path.read_bytes().replace(b">success<", b">failure<", 1))
        _rehash(pack, sign=True)
        assert "parsed_response.xml is not what Parse and Correlate" in _check(pack, capsys)


# --- item 8: the ten tracebacks, each now one line naming the fault ---------------------

def _no_traceback(argv: list[str], capsys, *expected: str) -> None:
    assert main(argv) != 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    for text in expected:
        assert text in captured.err, captured.err


def _request(keys: Path) -> list[str]:
    return ["request", "--device", "ESME", "--register", "TimeDebtRegister1", "--counter", "1",
            "--keys", str(keys)]


class TestNoTraceback:
    @pytest.mark.parametrize(("garbage", "what"), [("ds.key", "EC private key"),
                                                   ("ds.pem", "X.509 certificate")])
    def test_request_with_a_garbage_key_or_certificate(self, garbage, what, tmp_path,
                                                       capsys) -> None:
        for suffix in ("ds.key", "ds.pem"):
            name = f"90b3d51f30010000-{suffix}"
            (tmp_path / name).write_bytes((PKI_DIR / name).read_bytes())
        (tmp_path / f"90b3d51f30010000-{garbage}").write_text("garbage\n")
        _no_traceback(_request(tmp_path), capsys, f"90b3d51f30010000-{garbage}", what)

    def test_test_plan_starting_at_the_end_of_time(self, tmp_path, capsys) -> None:
        _no_traceback(["test-plan", "--start", "9999-12-31", "--out", str(tmp_path / "o")],
                      capsys, "start: 9999-12-31", "runs past")

    def test_book_with_a_binary_junit_file(self, tmp_path, capsys) -> None:
        junit = tmp_path / "results.xml"
        junit.write_bytes(bytes(range(256)))
        _no_traceback(["book", "--junit", str(junit)], capsys, "junit:", "not JUnit XML")

    def test_testpack_check_of_a_deeply_nested_manifest(self, tmp_path, capsys) -> None:
        (tmp_path / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
        _no_traceback(["testpack", "--check", str(tmp_path)], capsys, "manifest:",
                      "nested too deep")

    def test_testpack_check_of_a_nul_in_a_file_name(self, pack, capsys) -> None:
        manifest = json.loads((pack / "manifest.json").read_text())
        manifest["files"]["samples/a\u0000b.hex"] = "0" * 64
        (pack / "manifest.json").write_text(json.dumps(manifest))
        _no_traceback(["testpack", "--check", str(pack)], capsys, "files:",
                      "control character")

    @pytest.mark.parametrize("name", ["catalogue.json", "reset_debt_register.csv"])
    def test_testpack_check_of_non_utf8_catalogue_files(self, name, pack, capsys) -> None:
        (pack / "catalogue" / name).write_bytes(b"\xff\xfe{}")
        _rehash(pack, sign=True)
        _no_traceback(["testpack", "--check", str(pack)], capsys, "catalogue:",
                      f"{name} is not UTF-8")

    def test_testpack_check_of_a_catalogue_json_that_is_a_list(self, pack, capsys) -> None:
        (pack / "catalogue/catalogue.json").write_text("[]\n")
        _rehash(pack, sign=True)
        _no_traceback(["testpack", "--check", str(pack)], capsys, "catalogue:",
                      "holds a JSON list, not a JSON object")

    @pytest.mark.parametrize("call", [dcc_refusal, role_name, own_meter_ids],
                             ids=["dcc_refusal", "role_name", "own_meter_ids"])
    def test_a_model_api_given_an_unknown_role_names_it(self, call) -> None:
        with pytest.raises(ValidationError) as info:
            call("XX")
        assert info.value.field == "role" and "'XX'" in info.value.reason


# --- item 9: decode reads the folders it is given, whole, and says what it lacked -------

def _messages(folder: Path) -> list[bytes]:
    """Three commands as the meters receive them, written as hex files in ``folder``
    (one in a hidden sub-folder and one hidden file, which are skipped)."""
    bed = make_testbed()
    found = [bed.run(device, register).command for device, register in
             ((Device.ESME, DebtRegister.TIME_DEBT_1), (Device.GSME, DebtRegister.TIME_DEBT_2),
              (Device.ESME, DebtRegister.PAYMENT_DEBT))]
    (folder / ".hidden").mkdir(parents=True)
    for i, data in enumerate(found):
        (folder / f"m{i}.hex").write_text(data.hex())
    (folder / ".hidden" / "x.hex").write_text("DF")
    (folder / ".x.hex").write_text("DF")
    return found


def _summary(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])["summary"]


class TestDecodeFolders:
    def test_a_folder_named_through_dotdot_is_read(self, tmp_path, monkeypatch, capsys) -> None:
        _messages(tmp_path / "shared" / "rtds")
        (tmp_path / "main").mkdir()
        monkeypatch.chdir(tmp_path / "main")
        assert main(["decode", "../shared/rtds", "--json"]) == 0
        assert _summary(capsys)["decoded"] == 3  # the hidden entries below it skipped

    def test_a_batch_of_a_folder_and_a_file_keeps_both(self, tmp_path, monkeypatch,
                                                       capsys) -> None:
        _messages(tmp_path / "shared" / "rtds")
        (tmp_path / "main").mkdir()
        monkeypatch.chdir(tmp_path / "main")
        assert main(["decode", "../shared/rtds", "../shared/rtds/m0.hex", "--json"]) == 0
        assert _summary(capsys)["decoded"] == 4

    def test_an_unreadable_folder_fails(self, tmp_path, monkeypatch, capsys) -> None:
        _messages(tmp_path / "msgs")
        real = os.scandir

        def refuse(path="."):
            if Path(path) == tmp_path / "msgs":
                raise PermissionError(13, "Permission denied", str(path))
            return real(path)

        monkeypatch.setattr(os, "scandir", refuse)  # as root, chmod 000 would not stop it
        _no_traceback(["decode", str(tmp_path / "msgs")], capsys, "cannot read folder",
                      "Permission denied")

    def test_an_empty_folder_in_a_batch_fails(self, tmp_path, capsys) -> None:
        found = _messages(tmp_path / "msgs")
        (tmp_path / "empty").mkdir()
        _no_traceback(["decode", str(tmp_path / "empty"), found[0].hex()], capsys,
                      f"no files in the folder {tmp_path / 'empty'}")

    def test_json_never_shortens_the_file_field(self, tmp_path, capsys) -> None:
        found = _messages(tmp_path / "msgs")
        long = tmp_path / ("x" * 80) / ("y" * 80)
        long.mkdir(parents=True)
        (long / "m.hex").write_text(found[0].hex())
        assert main(["decode", str(long), found[1].hex(), "--json"]) == 0
        files = [json.loads(line)["file"] for line in capsys.readouterr().out.splitlines()[:2]]
        assert files == [str(long / "m.hex"), found[1].hex()]

    def test_the_note_names_the_messages_and_the_keys_they_lacked(self, tmp_path,
                                                                  capsys) -> None:
        _messages(tmp_path / "msgs")
        keys = tmp_path / "keys"
        keys.mkdir()
        for path in PKI_DIR.iterdir():
            if not path.name.startswith("90b3d51f30010000-ds"):  # the Supplier's ds pair
                shutil.copyfile(path, keys / path.name)
        assert main(["decode", str(tmp_path / "msgs"), "--keys", str(keys)]) == 0
        err = capsys.readouterr().err
        assert "add --keys" not in err
        assert f"keys missing from {keys}" in err
        assert f"{tmp_path / 'msgs' / 'm1.hex'}: ds certificate of 90B3D51F30010000" in err


# --- item 12: parameters bounded by the package; variant folders never collide ----------

class TestBoundedParameters:
    def test_notebook_06s_requests_per_day_is_bounded(self) -> None:
        with pytest.raises(ValidationError) as info:
            generate_batch(traffic.MAX_BATCH + 1)
        assert info.value.field == "n" and f"{traffic.MAX_BATCH:,}" in info.value.reason

    def test_notebook_08s_meters_is_bounded(self) -> None:
        with pytest.raises(ValidationError) as info:
            Campaign(50_000_000)
        assert info.value.field == "meters" and f"{campaign.MAX_METERS:,}" in info.value.reason
        with pytest.raises(ValidationError) as info:
            random_fleet(fleet.MAX_DRAW + 1)
        assert info.value.field == "n" and "in chunks" in info.value.reason
        assert Campaign(campaign.MAX_METERS).meters == campaign.MAX_METERS

    @pytest.mark.parametrize("offset", [-1, 100_000, 10**30])
    def test_notebook_02s_tamper_offset_must_be_inside_the_message(self, offset) -> None:
        data = SIGNED[:120]
        with pytest.raises(ValidationError) as info:
            flipped(data, offset)
        assert info.value.field == "tamper_offset" and str(len(data) - 1) in info.value.reason

    def test_a_flipped_byte_is_the_one_asked_for(self) -> None:
        data = bytes(range(10))
        changed = flipped(data, 9)
        assert [i for i in range(10) if changed[i] != data[i]] == [9]


class TestVariantFolders:
    def test_two_parameter_sets_that_once_collided_get_two_folders(self) -> None:
        assert (runner.output_dir({"device": "GSME", "mode": "credit"})
                != runner.output_dir({"device": "GSME_mode-credit"}))

    def test_a_number_and_the_string_of_it_differ(self) -> None:
        assert variant_name({"n": 1}) != variant_name({"n": "1"})

    def test_long_names_stay_apart_and_bounded(self) -> None:
        a, b = variant_name({"x": "a" * 200}), variant_name({"x": "a" * 199 + "b"})
        assert a != b and len(a) <= runner.MAX_VARIANT_NAME >= len(b)

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.tuples(st.dictionaries(st.sampled_from(["a", "a_b", "b", "b_a", "mode"]),
                                               st.one_of(st.text(max_size=12),
                                                         st.integers(-3, 3))),
                              st.dictionaries(st.sampled_from(["a", "a_b", "b", "b_a", "mode"]),
                                              st.one_of(st.text(max_size=12),
                                                        st.integers(-3, 3)))),
                    max_size=1))
    def test_variant_names_are_injective(self, pairs) -> None:
        for first, second in pairs:
            if first != second:
                assert variant_name(first) != variant_name(second)
            name = variant_name(first)
            assert "/" not in name and name not in (".", "..")
