"""The DUIS documents of the HTTP flow that the in-process flow does not write (issue 20).

The model (:mod:`specpkg.system.dcc`) hands over bytes: the Pre-Command, the
Signed Pre-Command, the Service Response. Over DUIS's web services they travel in
these documents (shapes as DCC Boxed's clients read them; facts in
``shared/reference/DUIS-HTTP-NOTES.md``, gathered from the public tooling of DCC
Boxed: npm ``@smartdcc/duis-parser`` and ``@smartdcc/duis-sign-wrap``):

* the Transform Service's reply to command variant 4: ``ResponseCode`` I0 and
  ``Body/ResponseMessage/PreCommand/GBCSPayload`` (:func:`pre_command_response`);
* the User's command variant 5 to the Send Command Service: the same RequestID,
  ``Body/SignedPreCommand/GBCSPayload`` (:func:`signed_pre_command_request`);
* the Send Command Service's synchronous acknowledgement, I99 (:func:`acknowledgement`);
* the DCC Alert that tells a User its command is quarantined
  (``DCCAlertMessage/QuarantinedRequest/ADUserThresholdBreach`` with the RequestID
  and a QuarantineEventRef, :func:`quarantine_alert`).

Every document is written compact (no whitespace between elements), as the DCC's
signing tool signs and validates them, and signed with the existing signing
function (:func:`specpkg.duis.reset_request.sign_tree`). :func:`read_signed` reads any of
them back from what the signature covers, never from a second parse.

The data/duis schema fragment knows only the reset request and the plain Service
Response; every shape here passes DUIS's own schema with SR 2.4 added
(:func:`specpkg.duis.schema.with_reset_debt_register`), checked by the DCC's signing
tool in tests/test_duis_sign_wrap.py.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import etree

from specpkg.anomaly.screening import QuarantineCause
from specpkg.duis.codes import ResponseCode
from specpkg.duis.reset_request import _Q, DEFAULT_CLOCK, SCHEMA_VERSION, SR_NS, sign_tree
from specpkg.duis.responses import format_date_time
from specpkg.duis.xmldsig import (
    KeyMissing,
    SignatureInvalid,
    load_certificate,
    redact_signature_value,
    verify_enveloped,
)
from specpkg.duis.xmlsafe import XmlRefused, parse_xml
from specpkg.errors import ValidationError
from specpkg.gbcs.catalogue import RESET_DEBT_REGISTER, SERVICE_REFERENCE_VARIANT
from specpkg.gbcs.credentials import ca_certificate, check_certificate

#: DUIS's "acknowledged" response code of the Send Command Service's synchronous reply
#: (DUIS response codes: I99; not yet a row of data/duis/response_codes.csv).
ACKNOWLEDGED = "I99"
#: The command variants the service takes (DUIS: 4 Transform, 5 Send Command).
TRANSFORM_VARIANT, SEND_VARIANT = 4, 5
#: The DCC Alert code of a quarantine (DUIS Schema V5.1, ``DCCAlertCode``: AD1).
QUARANTINE_ALERT_CODE = "AD1"
#: The element of ``QuarantinedRequest`` that names each cause (DUIS Schema V5.1).
BREACH_ELEMENTS = {
    QuarantineCause.USER_THRESHOLD: "ADUserThresholdBreach",
    QuarantineCause.DCC_THRESHOLD: "ADDCCThresholdBreach",
    QuarantineCause.ATTRIBUTE_LIMITS: "ADAttributeLimitsBreach",
}
#: ``PreCommand/GBCSVersion`` (DUIS Schema V5.1, required): the GBCS version the
#: Pre-Command is formatted to. The DCC writes the device's version from its inventory
#: (DUIS ``DeviceGBCSVersion``); the workbook's test meters are of the version DUIS
#: Schema V5.1 is aligned with, "GBCS version 4.1" (that schema's header).
PRE_COMMAND_GBCS_VERSION = "4.1"


def _el(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, _Q + name)
    if text is not None:
        child.text = text
    return child


def _root(name: str) -> etree._Element:
    root = etree.Element(_Q + name, nsmap={"sr": SR_NS})
    root.set("schemaVersion", SCHEMA_VERSION)
    return root


def _response_root(request_id: str, code: str, clock: datetime) -> tuple[etree._Element,
                                                                        etree._Element]:
    root = _root("Response")
    header = _el(root, "Header")
    _el(header, "RequestID", request_id)
    _el(header, "ResponseCode", code)
    _el(header, "ResponseDateTime", format_date_time(clock))
    return root, _el(root, "Body")


def pre_command_response(request_id: str, pre_command: bytes, *, keys_dir: Path,
                         signer_id: str, clock: datetime = DEFAULT_CLOCK) -> bytes:
    """The Transform Service's signed I0 reply carrying the Pre-Command."""
    root, body = _response_root(request_id, ResponseCode.SUCCESS.value, clock)
    message = _el(body, "ResponseMessage")
    _el(message, "ServiceReference", RESET_DEBT_REGISTER)
    _el(message, "ServiceReferenceVariant", SERVICE_REFERENCE_VARIANT)
    pre = _el(message, "PreCommand")
    _el(pre, "GBCSVersion", PRE_COMMAND_GBCS_VERSION)
    _el(pre, "GBCSPayload", base64.b64encode(pre_command).decode())
    return sign_tree(root, keys_dir=keys_dir, signer_id=signer_id)


def acknowledgement(request_id: str, *, keys_dir: Path, signer_id: str,
                    clock: datetime = DEFAULT_CLOCK) -> bytes:
    """The Send Command Service's signed I99: the command is on its way."""
    root, body = _response_root(request_id, ACKNOWLEDGED, clock)
    message = _el(body, "ResponseMessage")
    _el(message, "ServiceReference", RESET_DEBT_REGISTER)
    _el(message, "ServiceReferenceVariant", SERVICE_REFERENCE_VARIANT)
    return sign_tree(root, keys_dir=keys_dir, signer_id=signer_id)


def quarantine_alert(request_id: str, event_ref: int, cause: QuarantineCause, *,
                     keys_dir: Path, signer_id: str, clock: datetime = DEFAULT_CLOCK) -> bytes:
    """The signed DCC Alert telling the User its command is quarantined (TR-10): DUIS's
    ``QuarantinedRequest`` element for the cause, with the RequestID and the event
    reference only (DUIS carries no reason: the service's quarantine list has it)."""
    root, body = _response_root(request_id, ResponseCode.SUCCESS.value, clock)
    alert = _el(body, "DCCAlertMessage")
    _el(alert, "DCCAlertCode", QUARANTINE_ALERT_CODE)
    breach = _el(_el(_el(alert, "DCCAlert"), "QuarantinedRequest"), BREACH_ELEMENTS[cause])
    _el(breach, "RequestID", request_id)
    _el(breach, "QuarantineEventRef", str(event_ref))
    return sign_tree(root, keys_dir=keys_dir, signer_id=signer_id)


def signed_pre_command_request(request_id: str, signed_pre_command: bytes, *, keys_dir: Path,
                               user_id: str) -> bytes:
    """The User's command variant 5 request, signed with its XML signing key."""
    root = _root("Request")
    header = _el(root, "Header")
    _el(header, "RequestID", request_id)
    _el(header, "CommandVariant", str(SEND_VARIANT))
    _el(header, "ServiceReference", RESET_DEBT_REGISTER)
    _el(header, "ServiceReferenceVariant", SERVICE_REFERENCE_VARIANT)
    payload = base64.b64encode(signed_pre_command).decode()
    _el(_el(_el(root, "Body"), "SignedPreCommand"), "GBCSPayload", payload)
    return sign_tree(root, keys_dir=keys_dir, signer_id=user_id)


@dataclass(frozen=True)
class Document:
    """What the service and the User read of a DUIS document (from the signed part)."""

    kind: str  # "Request" or "Response"
    request_id: str
    command_variant: int | None
    service_reference: str
    code: str | None
    #: The GBCS payload: a Pre-Command, a Signed Pre-Command or a device's response.
    payload: bytes | None
    #: The body's first element: ResetDebtRegister, SignedPreCommand, ResponseMessage,
    #: DCCAlertMessage.
    body: str
    element: etree._Element

    @property
    def quarantine_ref(self) -> str | None:
        return self.element.findtext(f".//{_Q}QuarantineEventRef")


def header_of(data: bytes, *, max_bytes: int | None = None) -> tuple[str, str, str]:
    """(root element name, RequestID, CommandVariant) read unsigned, only to route a
    request (a request routed wrongly is refused, which is safe). XmlRefused if the
    bytes are not a document the hardened parser takes."""
    root = parse_xml(data) if max_bytes is None else parse_xml(data, max_bytes=max_bytes)
    header = root.find(_Q + "Header")

    def text(name: str) -> str:
        return "" if header is None else (header.findtext(_Q + name) or "").strip()

    return etree.QName(root).localname, text("RequestID"), text("CommandVariant")


def read_signed(data: bytes, *, keys_dir: Path, signer_id: str, at: datetime = DEFAULT_CLOCK,
                max_bytes: int = 64 * 1024) -> Document:
    """A document signed by ``signer_id`` (whose certificate must be valid at ``at``);
    ValidationError naming the fault otherwise."""
    try:
        root = parse_xml(data, max_bytes=max_bytes)
        cert = load_certificate(keys_dir, signer_id)
        check_certificate(cert, signer_id, at=at, ca=ca_certificate(keys_dir))
        signed = verify_enveloped(etree.tostring(root.getroottree()), cert, at=at)
    except XmlRefused as exc:
        raise ValidationError("document", str(exc)) from None
    except KeyMissing as exc:
        raise ValidationError("signer", str(exc)) from None
    except SignatureInvalid as exc:
        raise ValidationError("signature", exc.reason) from None
    return _document(signed)


def _document(root: etree._Element) -> Document:
    if root.tag not in (_Q + "Request", _Q + "Response"):
        raise ValidationError("document", f"root element {etree.QName(root).localname!r} "
                                          "is not a DUIS Request or Response")
    header, body = root.find(_Q + "Header"), root.find(_Q + "Body")
    if header is None or body is None or not len(body):
        raise ValidationError("document", "no Header or Body")
    variant = (header.findtext(_Q + "CommandVariant") or "").strip()
    if variant and not variant.isdigit():
        raise ValidationError("CommandVariant", f"{variant!r} is not a number")
    reference = (header.findtext(_Q + "ServiceReference")
                 or root.findtext(f"{_Q}Body/{_Q}ResponseMessage/{_Q}ServiceReference") or "")
    payload_text = root.findtext(f".//{_Q}GBCSPayload")
    payload = None
    if payload_text is not None:
        try:
            payload = base64.b64decode("".join(payload_text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("GBCSPayload", "not base64") from None
    return Document(etree.QName(root).localname,
                    (header.findtext(_Q + "RequestID") or "").strip(),
                    int(variant) if variant else None, reference.strip(),
                    header.findtext(_Q + "ResponseCode"), payload,
                    etree.QName(body[0]).localname, root)


def pretty(data: bytes) -> str:
    """A readable, indented view of a DUIS document, the signature value left out (for
    showing only: the indentation is not what was signed)."""
    root = parse_xml(data, max_bytes=max(len(data), 1))
    etree.indent(root, space="  ")
    return redact_signature_value(etree.tostring(root, encoding="UTF-8"))


def summary(data: bytes) -> dict[str, str]:
    """What a document is, read unsigned for a table: its root element, RequestID, the
    command variant or response code, and its body's first element."""
    root = parse_xml(data, max_bytes=max(len(data), 1))
    header, body = root.find(_Q + "Header"), root.find(_Q + "Body")
    code = "" if header is None else (header.findtext(_Q + "CommandVariant")
                                      or header.findtext(_Q + "ResponseCode") or "")
    return {"document": etree.QName(root).localname,
            "RequestID": "" if header is None else header.findtext(_Q + "RequestID") or "",
            "variant or code": code,
            "body": "" if body is None or not len(body) else etree.QName(body[0]).localname,
            "bytes": str(len(data))}
