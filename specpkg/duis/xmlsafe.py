"""A hardened XML parser for DUIS messages (SR-9 requests reach the package through it).

Every document from outside goes through :func:`parse_xml`, which refuses, in
this order and before libxml2 sees a byte:

1. anything larger than ``max_bytes`` (``TOO_LARGE``);
2. anything that is not UTF-8, or declares another encoding (``MALFORMED``):
   DUIS is UTF-8, and a byte scan for markup is only sound on one encoding.
   UTF-16 and UTF-32, with or without a byte-order mark, are refused by name:
   without a mark their NUL bytes are valid UTF-8, yet libxml2 would sniff the
   encoding from the first bytes and read another document than the one
   scanned; no NUL byte is allowed at all (XML 1.0 has no U+0000);
3. any document type declaration or markup declaration (``<!DOCTYPE``,
   ``<!ENTITY``, ``<!ELEMENT``, ``<!ATTLIST``, ``<!NOTATION``), wherever it
   appears (``DTD``): so no internal subset, no external entity, no
   "billion laughs" expansion can ever start.

It then parses with ``resolve_entities=False, no_network=True,
load_dtd=False, huge_tree=False`` and checks again that the tree has no DTD and
no entity reference nodes. A DUIS message from outside may hold no comment and
no processing instruction either (``UNSIGNED_CONTENT``): its XML signature covers
the text with them removed, so text split by a comment would read differently
from what was signed. Errors are :class:`XmlRefused`, never lxml's.
"""

from __future__ import annotations

import re
from enum import StrEnum

from lxml import etree

from specpkg.errors import SpecError

#: The cap on a DUIS request's size (and every document's default); a Reset Debt
#: Register request is about 2 KiB.
MAX_BYTES = 32 * 1024

_UTF8_BOM = b"\xef\xbb\xbf"
#: Byte-order marks and the first bytes of "<" in the encodings XML 1.0 Appendix F
#: lets a parser sniff: each is refused by name, longest first.
_OTHER_ENCODINGS = (
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian, with byte-order mark)"),
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian, with byte-order mark)"),
    (b"\x00\x00\x00<", "UTF-32 (big-endian, no byte-order mark)"),
    (b"<\x00\x00\x00", "UTF-32 (little-endian, no byte-order mark)"),
    (b"\xfe\xff", "UTF-16 (big-endian, with byte-order mark)"),
    (b"\xff\xfe", "UTF-16 (little-endian, with byte-order mark)"),
    (b"\x00<", "UTF-16 (big-endian, no byte-order mark)"),
    (b"<\x00", "UTF-16 (little-endian, no byte-order mark)"),
)
_FORBIDDEN = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")


class XmlRefusal(StrEnum):
    """Why a document was refused before interpretation."""

    TOO_LARGE = "too_large"
    DTD = "dtd"
    MALFORMED = "malformed"
    UNSIGNED_CONTENT = "unsigned_content"


class XmlRefused(SpecError, ValueError):
    """A document the hardened parser will not accept; ``kind`` is a :class:`XmlRefusal`."""

    def __init__(self, kind: XmlRefusal, reason: str) -> None:
        self.kind = kind
        self.reason = reason
        super().__init__(f"{kind.value}: {reason}")


def hardened_parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers keep state and are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        encoding="utf-8",  # never sniffed: the bytes screened are the bytes parsed
    )


def screen(data: bytes | str, *, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of ``data`` if they pass the size, encoding and DTD checks."""
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise XmlRefused(XmlRefusal.MALFORMED, f"not encodable as UTF-8 at character "
                                                f"{exc.start}") from None
    if not isinstance(data, bytes | bytearray):
        raise XmlRefused(XmlRefusal.MALFORMED, f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise XmlRefused(XmlRefusal.TOO_LARGE, f"{len(data)} bytes exceeds the cap of {max_bytes}")
    body = data[len(_UTF8_BOM):] if data.startswith(_UTF8_BOM) else data
    start = body.lstrip(b" \t\r\n")
    for prefix, name in _OTHER_ENCODINGS:
        if data.startswith(prefix) or start.startswith(prefix):
            raise XmlRefused(XmlRefusal.MALFORMED, f"encoded in {name}: DUIS is UTF-8")
    if b"\x00" in body:
        raise XmlRefused(XmlRefusal.MALFORMED, f"a NUL byte at byte {body.index(0)}: not UTF-8 "
                                            "XML (UTF-16 or UTF-32?)")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XmlRefused(XmlRefusal.MALFORMED, f"not UTF-8 at byte {exc.start}") from None
    declared = _DECLARED_ENCODING.match(body)
    if declared and declared.group(1).decode("ascii", "replace").lower() not in ("utf-8", "utf8"):
        raise XmlRefused(XmlRefusal.MALFORMED,
                         f"declared encoding {declared.group(1)!r} is not UTF-8")
    forbidden = _FORBIDDEN.search(body)
    if forbidden:
        what = forbidden.group(1).decode("ascii").upper()
        raise XmlRefused(
            XmlRefusal.DTD, f"<!{what} at byte {forbidden.start()}: DTDs and entities are refused"
        )
    return body


def parse_xml(data: bytes | str, *, max_bytes: int = MAX_BYTES,
              allow_comments: bool = False) -> etree._Element:
    """Parse one untrusted document into its root element, or raise :class:`XmlRefused`.

    Comments and processing instructions are refused unless ``allow_comments``
    (the project's own schema files may hold comments)."""
    body = screen(data, max_bytes=max_bytes)
    if not body.strip():
        raise XmlRefused(XmlRefusal.MALFORMED, "empty document")
    try:
        root = etree.fromstring(body, hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlRefused(XmlRefusal.MALFORMED, f"not well-formed: {exc.msg}") from None
    if root is None:
        raise XmlRefused(XmlRefusal.MALFORMED, "no root element")
    check_tree(root)
    if not allow_comments:
        check_signed_content(root)
    return root


def check_signed_content(root: etree._Element) -> etree._Element:
    """Refuse comments and processing instructions anywhere in the document: a
    signature does not cover them, so they could change how signed text reads."""
    tree = root.getroottree()
    for node in tree.iter(etree.Comment, etree.ProcessingInstruction):
        what = "comment" if isinstance(node, etree._Comment) else "processing instruction"
        line = node.sourceline
        raise XmlRefused(XmlRefusal.UNSIGNED_CONTENT, f"an XML {what} at line {line}: a signed "
                                                   "DUIS message may hold none")
    for sibling in (*root.itersiblings(preceding=True), *root.itersiblings()):
        what = "comment" if isinstance(sibling, etree._Comment) else "processing instruction"
        raise XmlRefused(XmlRefusal.UNSIGNED_CONTENT, f"an XML {what} outside the root element: a "
                                                   "signed DUIS message may hold none")
    return root


def check_tree(root: etree._Element) -> etree._Element:
    """Second line of defence: refuse a parsed tree that has a DTD or entity nodes."""
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlRefused(XmlRefusal.DTD, "document type declaration present")
    for _ in root.iter(etree.Entity):
        raise XmlRefused(XmlRefusal.DTD, "entity reference present")
    return root
