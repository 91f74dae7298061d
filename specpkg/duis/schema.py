"""The XML Schema of the new Service Request 2.4 (SR-9, TR-5).

:func:`schema_errors` checks a parsed request against
``data/duis/ResetDebtRegister.xsd`` (read once, through the same hardened parser
as every request, so the schema itself can carry no entities) and returns the
schema's complaints, each with its line; an empty list means valid. Validation
of a whole request, and the response codes its refusals carry, live in
:mod:`specpkg.duis.reset_request`.
"""

from __future__ import annotations

import copy
from functools import cache

from lxml import etree

from specpkg.duis.xmlsafe import parse_xml
from specpkg.errors import ValidationError
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


# --- the DCC's DUIS schema with the new Service Request ------------------------------------

XS_NS = "http://www.w3.org/2001/XMLSchema"
_XS = f"{{{XS_NS}}}"
#: The DUIS enumerations the new Service Reference joins (header and response message).
SERVICE_REFERENCE_TYPES = ("ServiceReference", "ServiceReferenceVariant")
#: The existing body element the reset's sits beside in DUIS's request body choice.
BODY_NEIGHBOUR = "UpdateDebt"
#: The workbook's types the reset's body element needs, copied into DUIS's schema.
RESET_TYPES = ("ResetDebtRegister", "RegisterMarker")


def with_reset_debt_register(duis_schema: bytes) -> bytes:
    """The DCC's published DUIS schema (``DUIS Schema V5.x.xsd``) with Service Request 2.4
    added from the workbook's own schema addition (SR-9, TR-5; issue 20).

    The Service Reference values of :data:`SCHEMA_PATH`'s ``ResetServiceReference`` join
    DUIS's ``ServiceReference`` and ``ServiceReferenceVariant`` enumerations; the body
    element ``ResetDebtRegister`` joins the request body's choice beside ``UpdateDebt``
    (SR 2.3, the same family); its types are copied as the workbook defines them. A
    schema without those anchors, or one that already defines the types, is refused
    (ValidationError): nothing is added silently to the wrong place."""
    duis = parse_xml(duis_schema, max_bytes=8 << 20, allow_comments=True)
    ours = parse_xml(SCHEMA_PATH.read_bytes(), max_bytes=1 << 20, allow_comments=True)

    def named(root: etree._Element, kind: str, name: str) -> list[etree._Element]:
        return root.findall(f"{_XS}{kind}[@name='{name}']")

    values = [e.get("value") for e in ours.iter(f"{_XS}enumeration")
              if e.getparent().getparent().get("name") == "ResetServiceReference"]
    for type_name in SERVICE_REFERENCE_TYPES:
        found = named(duis, "simpleType", type_name)
        if len(found) != 1:
            raise ValidationError("duis_schema", f"no single simpleType {type_name}")
        restriction = found[0].find(f"{_XS}restriction")
        present = {e.get("value") for e in restriction.iter(f"{_XS}enumeration")}
        for value in values:
            if value not in present:
                restriction.append(etree.Element(f"{_XS}enumeration", value=value))
    neighbours = [e for e in duis.iter(f"{_XS}element")
                  if e.get("name") == BODY_NEIGHBOUR and e.getparent().tag == f"{_XS}choice"]
    if len(neighbours) != 1:
        raise ValidationError("duis_schema", f"no single {BODY_NEIGHBOUR} in a body choice")
    neighbours[0].addnext(etree.Element(f"{_XS}element", name="ResetDebtRegister",
                                        type="sr:ResetDebtRegister"))
    for type_name in RESET_TYPES:
        if named(duis, "complexType", type_name):
            raise ValidationError("duis_schema", f"already defines {type_name}")
        duis.append(copy.deepcopy(named(ours, "complexType", type_name)[0]))
    return etree.tostring(duis, xml_declaration=True, encoding="UTF-8")
