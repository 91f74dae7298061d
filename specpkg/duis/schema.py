"""DUIS side of the new Service Request 2.4 "Reset Debt Register" (SR-9, TR-5, TR-7).

A User asks for a reset with one signed DUIS request naming exactly one Debt
Register (SR-9)::

    <sr:Request schemaVersion="5.4">
      <sr:Header>RequestID, CommandVariant, ServiceReference 2.4, ServiceReferenceVariant 2.4
      <sr:Body><sr:ResetDebtRegister><sr:TimeDebtRegister1/></sr:ResetDebtRegister></sr:Body>
      <ds:Signature>... (enveloped, by the User's ds key)

:func:`request_xml` builds and signs one; :func:`validate_request` takes one
from outside through the hardened parser, the signature check, the specific
checks below and the schema ``data/duis/ResetDebtRegister.xsd``, and either
returns an :class:`AcceptedRequest` or raises :class:`DuisError` with a
response code from ``data/duis/response_codes.csv``; :func:`error_response`
turns that into a DUIS error response. :func:`service_response` wraps the
device's GBCS response in the Service Response (``I0``) and
:func:`parse_response` reads any of them back.

The E-codes are this workbook's provisional numbering in the DUIS style, not
the DCC's published codes. All times come from a ``clock`` argument (default
:data:`DEFAULT_CLOCK`), so outputs are reproducible.
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


def _describe(tag: str) -> str:
    qname = etree.QName(tag)
    return f"{qname.localname!r} in namespace {qname.namespace or '(none)'!r}"
