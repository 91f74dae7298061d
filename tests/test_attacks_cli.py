"""Issue 18's attacks on the command line, the files it reads and the DUIS intake:
each is refused with a typed error naming what was wrong, never a traceback.

Classes: encodings other than UTF-8 at the DUIS intake (item 7); garbage files
and values that once raised tracebacks (item 8); ``decode`` over folders
(item 9); one overwrite rule for every command that writes (item 10);
bounded parameters and injective variant folders (item 12); a tampered test
pack (item 4).
"""

from __future__ import annotations

import pytest

from specpkg.duis.codes import ResponseCode
from specpkg.duis.intake import check_request
from specpkg.duis.reset_request import make_request, request_xml
from specpkg.duis.xmlsafe import Refusal, XmlRefused, parse_xml
from specpkg.meter.registers import DebtRegister, Device

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
