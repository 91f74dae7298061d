"""The XML Schema of the new Service Request 2.4 (SR-9, TR-5).

:func:`schema_errors` checks a parsed request against
``data/duis/ResetDebtRegister.xsd`` (read once, through the same hardened parser
as every request, so the schema itself can carry no entities) and returns the
schema's complaints, each with its line; an empty list means valid. Validation
of a whole request, and the response codes its refusals carry, live in
:mod:`specpkg.duis.reset_request`.
"""

from __future__ import annotations

from functools import cache

from lxml import etree

from specpkg.duis.xmlsafe import parse_xml
from specpkg.paths import DATA_DIR

SCHEMA_PATH = DATA_DIR / "duis" / "ResetDebtRegister.xsd"


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(parse_xml(SCHEMA_PATH.read_bytes(), max_bytes=1 << 20,
                                      allow_comments=True))


def schema_errors(root: etree._Element) -> list[str]:
    """The schema's complaints about ``root`` (empty when valid)."""
    schema = _schema()
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def describe_tag(tag: str) -> str:
    """An element's name and namespace, as refusals name them."""
    qname = etree.QName(tag)
    return f"{qname.localname!r} in namespace {qname.namespace or '(none)'!r}"
