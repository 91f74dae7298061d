"""DUIS responses of the Reset Debt Register request: built, signed and read (TR-5, TR-7).

:func:`service_response` wraps the device's GBCS response in the Service Response
(``I0`` either way: DUIS has no code for a device that did not confirm the register
is zero, MA-16; the User reads that from the GBCS response in ``GBCSPayload``);
:func:`error_response` answers a refused request; :func:`sign_response` signs
either as the DCC. A User reads a response with :func:`read_signed_response`:
signed by the DCC's registered certificate, every value read from what the
signature covered. All times come from a ``clock`` argument, so outputs are
reproducible.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from specpkg.duis.codes import DuisError, ResponseCode, response_code_meaning
from specpkg.duis.reset_request import (
    _Q,
    _REQUEST_ID,
    DEFAULT_CLOCK,
    DEFAULT_KEYS_DIR,
    SCHEMA_VERSION,
    SR_NS,
    ResetRequest,
    parse_entity_id,
    sign_tree,
)
from specpkg.duis.schema import describe_tag, schema_errors
from specpkg.duis.xmldsig import (
    KeyMissing,
    SignatureInvalid,
    load_certificate,
    verify_enveloped,
)
from specpkg.duis.xmlsafe import XmlRefused, parse_xml
from specpkg.errors import ValidationError
from specpkg.gbcs.credentials import ca_certificate, check_certificate
from specpkg.meter.registers import (
    ResetOutcome,
    ResetReport,
)

MAX_RESPONSE_BYTES = 64 * 1024


# --- responses ----------------------------------------------------------------------------


def format_date_time(clock: datetime) -> str:
    """``2019-06-27T12:00:00.000Z``: UTC with milliseconds, as DUIS responses."""
    if not isinstance(clock, datetime) or clock.tzinfo is None:
        raise ValidationError("clock", "must be a timezone-aware datetime")
    utc = clock.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _response(
    code: ResponseCode,
    *,
    request_id: str | None,
    response_id: str | None,
    service_reference: str,
    service_reference_variant: str,
    payload: bytes | None,
    clock: datetime,
) -> bytes:
    root = etree.Element(_Q + "Response", nsmap={"sr": SR_NS})
    root.set("schemaVersion", SCHEMA_VERSION)
    header = etree.SubElement(root, _Q + "Header")
    if request_id is not None:
        etree.SubElement(header, _Q + "RequestID").text = request_id
    if response_id is not None:
        etree.SubElement(header, _Q + "ResponseID").text = response_id
    etree.SubElement(header, _Q + "ResponseCode").text = code.value
    etree.SubElement(header, _Q + "ResponseDateTime").text = format_date_time(clock)
    message = etree.SubElement(etree.SubElement(root, _Q + "Body"), _Q + "ResponseMessage")
    etree.SubElement(message, _Q + "ServiceReference").text = service_reference
    etree.SubElement(message, _Q + "ServiceReferenceVariant").text = service_reference_variant
    if payload is not None:
        etree.SubElement(message, _Q + "GBCSPayload").text = base64.b64encode(payload).decode()
    problems = schema_errors(root)
    if problems:  # only reachable through a bug in this module
        raise ValidationError("response", "; ".join(problems))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def error_response(error: DuisError, *, clock: datetime = DEFAULT_CLOCK) -> bytes:
    """The DUIS error response for a refused request (code, echoed ids, fixed clock)."""
    request_id = error.request_id
    if request_id is not None and not _REQUEST_ID.fullmatch(request_id):
        request_id = None
    return _response(
        error.code,
        request_id=request_id,
        response_id=None,
        service_reference=error.service_reference,
        service_reference_variant=error.service_reference_variant,
        payload=None,
        clock=clock,
    )


def service_response(
    request: ResetRequest, gbcs_response: bytes, outcome: ResetOutcome | ResetReport, *,
    clock: datetime = DEFAULT_CLOCK,
) -> bytes:
    """The Service Response carrying the device's GBCS response in base64 (TR-5, TR-7).

    Refusal SUCCESS when the outcome confirms the register is zero (BR-4), else
    RESET_NOT_CONFIRMED: both ``I0`` on the wire (MA-16), the GBCS response in
    ``GBCSPayload`` saying which. :func:`answered_code` gives the refusal too.
    """
    if not isinstance(gbcs_response, bytes | bytearray) or not gbcs_response:
        raise ValidationError("gbcs_response", "must be non-empty bytes")
    if not isinstance(outcome, ResetOutcome | ResetReport):
        raise ValidationError("outcome", "must be a ResetOutcome or a ResetReport")
    if outcome.register is not request.register:
        raise ValidationError(
            "outcome", f"is for {outcome.register.value}, the request for {request.register.value}"
        )
    return _response(
        answered_code(outcome),
        request_id=request.echo_id,
        response_id=request.response_id,
        service_reference=request.service_reference,
        service_reference_variant=request.service_reference_variant,
        payload=bytes(gbcs_response),
        clock=clock,
    )


def answered_code(outcome: ResetOutcome | ResetReport) -> ResponseCode:
    """The refusal a device's answer means: SUCCESS iff the register is zero (BR-4)."""
    return ResponseCode.SUCCESS if outcome.success else ResponseCode.RESET_NOT_CONFIRMED


@dataclass(frozen=True)
class DuisResponse:
    """A parsed DUIS Service Response."""

    request_id: str | None
    response_id: str | None
    code: str
    date_time: str
    service_reference: str
    service_reference_variant: str
    gbcs_payload: bytes | None

    @property
    def success(self) -> bool:
        return self.code == ResponseCode.SUCCESS.value

    @property
    def meaning(self) -> str:
        return response_code_meaning(self.code)


def parse_response(data: bytes | str, *, max_bytes: int = MAX_RESPONSE_BYTES) -> DuisResponse:
    """Read a Service Response without checking who signed it (hardened parser and
    schema; ValidationError when invalid). A User acting on a response reads it with
    :func:`read_signed_response` instead."""
    return _response_from(_parsed(data, max_bytes))


def _parsed(data: bytes | str, max_bytes: int) -> etree._Element:
    try:
        root = parse_xml(data, max_bytes=max_bytes)
    except XmlRefused as exc:
        raise ValidationError("response", str(exc)) from None
    if root.tag != _Q + "Response":
        raise ValidationError("response", f"root element is {describe_tag(root.tag)}")
    problems = schema_errors(root)
    if problems:
        raise ValidationError("response", "; ".join(problems[:3]))
    return root


def _response_from(root: etree._Element) -> DuisResponse:
    header = root.find(_Q + "Header")
    message = root.find(f"{_Q}Body/{_Q}ResponseMessage")
    if header is None or message is None:
        raise ValidationError("response", "no Header or ResponseMessage")
    payload_text = message.findtext(_Q + "GBCSPayload")
    payload = None
    if payload_text is not None:
        try:
            payload = base64.b64decode("".join(payload_text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("GBCSPayload", "not base64") from None
    return DuisResponse(
        request_id=header.findtext(_Q + "RequestID"),
        response_id=header.findtext(_Q + "ResponseID"),
        code=header.findtext(_Q + "ResponseCode") or "",
        date_time=header.findtext(_Q + "ResponseDateTime") or "",
        service_reference=message.findtext(_Q + "ServiceReference") or "",
        service_reference_variant=message.findtext(_Q + "ServiceReferenceVariant") or "",
        gbcs_payload=payload,
    )


DCC_SIGNER_ID = "90B3D51F30000003"  # provisional: the DCC's DUIS signing identity (test PKI)


def sign_response(
    data: bytes, *, keys_dir: Path = DEFAULT_KEYS_DIR, signer_id: str = DCC_SIGNER_ID
) -> bytes:
    """A Service Response signed by the DCC (enveloped XML-DSig, as real DUIS responses)."""
    try:
        root = parse_xml(data, max_bytes=MAX_RESPONSE_BYTES)
    except XmlRefused as exc:
        raise ValidationError("response", str(exc)) from None
    return sign_tree(root, keys_dir=keys_dir, signer_id=signer_id)


def read_signed_response(
    data: bytes | str, *, keys_dir: Path = DEFAULT_KEYS_DIR, signer_id: str = DCC_SIGNER_ID,
    at: datetime = DEFAULT_CLOCK, max_bytes: int = MAX_RESPONSE_BYTES,
) -> DuisResponse:
    """A Service Response as the User reads it (TR-5): signed by the DCC's registered
    signing certificate (valid at ``at``), every value read from the signed document
    the verifier returns; ValidationError naming the fault otherwise."""
    root = _parsed(data, max_bytes)
    signer = parse_entity_id("signer_id", signer_id)
    try:
        cert = load_certificate(keys_dir, signer)
        check_certificate(cert, signer, at=at, ca=ca_certificate(keys_dir))
        signed = verify_enveloped(etree.tostring(root.getroottree()), cert, at=at)
    except KeyMissing as exc:
        raise ValidationError("response", str(exc)) from None
    except ValidationError as exc:
        raise ValidationError("response", f"the DCC's certificate {exc.reason}") from None
    except SignatureInvalid as exc:
        raise ValidationError("response", f"not signed by the DCC: {exc.reason}") from None
    return _response_from(signed)
