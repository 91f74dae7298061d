"""Issue 18's attacks on the command line, the files it reads and the DUIS intake:
each is refused with a typed error naming what was wrong, never a traceback.

Classes: encodings other than UTF-8 at the DUIS intake (item 7); garbage files
and values that once raised tracebacks (item 8); ``decode`` over folders
(item 9); one overwrite rule for every command that writes (item 10);
bounded parameters and injective variant folders (item 12); a tampered test
pack (item 4).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from specpkg.__main__ import main
from specpkg.duis.codes import ResponseCode
from specpkg.duis.intake import check_request
from specpkg.duis.reset_request import make_request, request_xml
from specpkg.duis.xmlsafe import Refusal, XmlRefused, parse_xml
from specpkg.meter.registers import DebtRegister, Device
from specpkg.paths import PKI_DIR

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
        assert info.value.kind is Refusal.MALFORMED
        assert ("UTF-16" if "16" in name else "UTF-32") in info.value.reason

    def test_a_doctype_in_utf16_without_bom_is_refused_before_parsing(self) -> None:
        doc = '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'.encode("utf-16-le")
        with pytest.raises(XmlRefused) as info:
            parse_xml(doc)
        assert info.value.kind is Refusal.MALFORMED and "UTF-16" in info.value.reason

    def test_a_nul_byte_anywhere_is_refused(self) -> None:
        with pytest.raises(XmlRefused) as info:
            parse_xml(b"<a>x\x00y</a>")
        assert info.value.kind is Refusal.MALFORMED and "NUL" in info.value.reason

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
