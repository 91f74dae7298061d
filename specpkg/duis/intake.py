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

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from cryptography import x509
from lxml import etree

from specpkg.duis.codes import DuisError, ResponseCode
from specpkg.duis.reset_request import (
    _Q,
    DEFAULT_CLOCK,
    DEFAULT_KEYS_DIR,
    MAX_REQUEST_BYTES,
    SR_NS,
    ResetRequest,
    device_of,
    hyphenated,
    parse_request_id,
)
from specpkg.duis.responses import error_response
from specpkg.duis.schema import _describe, schema_errors
from specpkg.duis.xmldsig import (
    KeyMissing,
    SignatureInvalid,
    load_certificate,
    verify_enveloped,
)
from specpkg.duis.xmlsafe import Refusal, XmlRefused, parse_xml
from specpkg.errors import ValidationError
from specpkg.gbcs.catalogue import (
    RESET_DEBT_REGISTER,
    SERVICE_REFERENCE_FORMAT,
    SERVICE_REFERENCE_VARIANT,
    Catalogue,
    CatalogueEntry,
    load_catalogue,
)
from specpkg.meter.registers import (
    DebtRegister,
    Device,
)

_REFUSAL_CODES = {
    Refusal.TOO_LARGE: ResponseCode.TOO_LARGE,
    Refusal.DTD: ResponseCode.DTD_FORBIDDEN,
    Refusal.MALFORMED: ResponseCode.MALFORMED_XML,
}


@cache
def _catalogue() -> Catalogue:
    return load_catalogue()


# --- validating ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AcceptedRequest:
    """A request that passed every check, with what the DCC needs to act on it."""

    request: ResetRequest
    device: Device
    entry: CatalogueEntry


def validate_request(
    data: bytes | str,
    *,
    keys_dir: Path = DEFAULT_KEYS_DIR,
    certificate: x509.Certificate | None = None,
    inventory: dict[str, Device] | None = None,
    at: datetime = DEFAULT_CLOCK,
    max_bytes: int = MAX_REQUEST_BYTES,
) -> AcceptedRequest:
    """Check one incoming request; return it accepted or raise :class:`DuisError`.

    Order: size, DTD/entities, well-formedness (E901-E903); root element and
    namespace (E904); RequestID (E907); sender certificate (E912, from
    ``certificate`` or ``keys_dir``); signature (E911); service reference
    (E906); registers, SR-9 (E908-E910); schema (E905); device (E913).
    """
    try:
        root = parse_xml(data, max_bytes=max_bytes)
    except XmlRefused as exc:
        raise DuisError(_REFUSAL_CODES[exc.kind], exc.reason) from None
    if root.tag != _Q + "Request":
        raise DuisError(
            ResponseCode.WRONG_NAMESPACE,
            f"root element is {_describe(root.tag)}; expected 'Request' in namespace {SR_NS!r}",
        )
    header = root.find(_Q + "Header")
    raw_id = header.findtext(_Q + "RequestID") if header is not None else None
    user_id, device_id, counter = parse_request_id(raw_id)
    request_id = raw_id.strip() if raw_id else None
    ref = (header.findtext(_Q + "ServiceReference") or "").strip()
    variant = (header.findtext(_Q + "ServiceReferenceVariant") or "").strip()
    echo = {
        "request_id": request_id,
        "service_reference": ref
        if SERVICE_REFERENCE_FORMAT.fullmatch(ref)
        else RESET_DEBT_REGISTER,
        "service_reference_variant": variant
        if SERVICE_REFERENCE_FORMAT.fullmatch(variant)
        else SERVICE_REFERENCE_VARIANT,
    }

    if certificate is None:
        try:
            certificate = load_certificate(keys_dir, user_id)
        except KeyMissing:
            raise DuisError(
                ResponseCode.UNKNOWN_SENDER,
                f"no certificate for User ID {hyphenated(user_id)}",
                **echo,
            ) from None
    try:
        verify_enveloped(etree.tostring(root.getroottree()), certificate, at=at)
    except SignatureInvalid as exc:
        raise DuisError(ResponseCode.BAD_SIGNATURE, exc.reason, **echo) from None

    if ref != RESET_DEBT_REGISTER or variant != SERVICE_REFERENCE_VARIANT:
        raise DuisError(
            ResponseCode.WRONG_SERVICE_REFERENCE,
            f"ServiceReference {ref!r} / ServiceReferenceVariant {variant!r}; expected "
            f"{RESET_DEBT_REGISTER} / {SERVICE_REFERENCE_VARIANT} (Reset Debt Register)",
            **echo,
        )

    reset = root.find(f"{_Q}Body/{_Q}ResetDebtRegister")
    named = [] if reset is None else [child for child in reset if isinstance(child.tag, str)]
    if reset is not None:
        known = {_Q + r.value for r in DebtRegister}
        unknown = [_describe(c.tag) for c in named if c.tag not in known]
        if unknown:
            raise DuisError(
                ResponseCode.UNKNOWN_REGISTER,
                f"unknown register element {', '.join(unknown)}; expected one of "
                + ", ".join(r.value for r in DebtRegister),
                **echo,
            )
        if not named:
            raise DuisError(ResponseCode.NO_REGISTER, "ResetDebtRegister names no register", **echo)
        if len(named) > 1:
            names = ", ".join(etree.QName(c).localname for c in named)
            raise DuisError(
                ResponseCode.SEVERAL_REGISTERS,
                f"ResetDebtRegister names {len(named)} registers ({names}); exactly one may be "
                "reset per request",
                **echo,
            )

    problems = schema_errors(root)
    if problems:
        raise DuisError(ResponseCode.SCHEMA_INVALID, "; ".join(problems[:3]), **echo)
    assert len(named) == 1  # the schema requires exactly one register element
    register = DebtRegister(etree.QName(named[0]).localname)
    command_variant = int(header.findtext(_Q + "CommandVariant"))  # type: ignore[union-attr]
    request = ResetRequest(user_id, device_id, counter, register, command_variant)
    try:
        device = device_of(device_id, inventory)
    except ValidationError as exc:
        raise DuisError(ResponseCode.UNKNOWN_DEVICE, exc.reason, **echo) from None
    return AcceptedRequest(request, device, _catalogue().entry(device, register))


@dataclass(frozen=True)
class RequestCheck:
    """The outcome of :func:`check_request`: accepted, or the error and its response."""

    accepted: AcceptedRequest | None
    error: DuisError | None
    response: bytes | None

    @property
    def code(self) -> ResponseCode | None:
        return self.error.code if self.error else None


def check_request(data: bytes | str, *, clock: datetime = DEFAULT_CLOCK, **kwargs) -> RequestCheck:
    """:func:`validate_request` that returns the error response instead of raising."""
    try:
        return RequestCheck(validate_request(data, at=clock, **kwargs), None, None)
    except DuisError as exc:
        return RequestCheck(None, exc, error_response(exc, clock=clock))
