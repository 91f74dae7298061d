"""The DCC's intake of a Reset Debt Register request: every check before it acts (SR-9).

:func:`validate_request` takes one request from outside and either returns an
:class:`AcceptedRequest` or raises :class:`~specpkg.duis.codes.DuisError` naming the
refusal of the first fault (its DUIS code in ``data/duis/response_codes.csv``), in
this order:

1. the hardened parser (:mod:`specpkg.duis.xmlsafe`): size (TOO_LARGE), DTD or
   entity (DTD_FORBIDDEN), well-formed UTF-8 (MALFORMED_XML), no comment or
   processing instruction (UNSIGNED_CONTENT: the signature does not cover them);
2. the root element and namespace (WRONG_NAMESPACE), a RequestID naming the sender
   (BAD_REQUEST_ID; its hex in either case, as the DUIS schema allows);
3. the sender's registered certificate (UNKNOWN_SENDER): it must name that User, in
   the Supplier role, and be valid at the time of the request (CERTIFICATE_REFUSED);
4. the signature (BAD_SIGNATURE), with a ``KeyInfo`` naming only that certificate;
5. then, read **only from the signed document the verifier returns** (never from
   a second parse of the raw text): the service reference (WRONG_SERVICE_REFERENCE),
   exactly one Debt Register (SR-9: NO_REGISTER, SEVERAL_REGISTERS,
   UNKNOWN_REGISTER), the schema (SCHEMA_INVALID) and the device (UNKNOWN_DEVICE,
   WRONG_DEVICE_TYPE).
"""

from __future__ import annotations

from collections.abc import Mapping
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
    SR_NS,
    TEST_INVENTORY,
    ResetRequest,
    device_of,
    hyphenated,
    parse_request_id,
)
from specpkg.duis.responses import error_response
from specpkg.duis.schema import describe_tag, schema_errors
from specpkg.duis.xmldsig import KeyMissing, SignatureInvalid, load_certificate, verify_enveloped
from specpkg.duis.xmlsafe import XmlRefusal, XmlRefused, parse_xml
from specpkg.errors import ValidationError
from specpkg.gbcs.catalogue import (
    RESET_DEBT_REGISTER,
    SERVICE_REFERENCE_FORMAT,
    SERVICE_REFERENCE_VARIANT,
    Catalogue,
    CatalogueEntry,
    load_catalogue,
)
from specpkg.gbcs.credentials import RemotePartyRole, ca_certificate, check_certificate
from specpkg.meter.registers import DebtRegister, Device

_REFUSAL_CODES = {
    XmlRefusal.TOO_LARGE: ResponseCode.TOO_LARGE,
    XmlRefusal.DTD: ResponseCode.DTD_FORBIDDEN,
    XmlRefusal.MALFORMED: ResponseCode.MALFORMED_XML,
    XmlRefusal.UNSIGNED_CONTENT: ResponseCode.UNSIGNED_CONTENT,
}


@cache
def _catalogue() -> Catalogue:
    return load_catalogue()


@dataclass(frozen=True)
class AcceptedRequest:
    """A request that passed every check, with what the DCC needs to act on it."""

    request: ResetRequest
    device: Device
    entry: CatalogueEntry


def _text(root: etree._Element, path: str) -> str:
    return (root.findtext(path) or "").strip()


def _echo(root: etree._Element, request_id: str | None) -> dict[str, str | None]:
    """What an error response echoes: the RequestID and the service reference if well-formed."""
    ref = _text(root, f"{_Q}Header/{_Q}ServiceReference")
    variant = _text(root, f"{_Q}Header/{_Q}ServiceReferenceVariant")
    return {
        "request_id": request_id,
        "service_reference": ref if SERVICE_REFERENCE_FORMAT.fullmatch(ref)
        else RESET_DEBT_REGISTER,
        "service_reference_variant": variant if SERVICE_REFERENCE_FORMAT.fullmatch(variant)
        else SERVICE_REFERENCE_VARIANT,
    }


def validate_request(
    data: bytes | str,
    *,
    keys_dir: Path = DEFAULT_KEYS_DIR,
    certificate: x509.Certificate | None = None,
    inventory: Mapping[str, str] | None = None,
    at: datetime = DEFAULT_CLOCK,
) -> AcceptedRequest:
    """Check one incoming request; return it accepted or raise :class:`DuisError`.

    ``certificate``: the sender's registered certificate (else from ``keys_dir``);
    ``at``: the time of the request, at which the certificate must be valid.
    """
    try:
        root = parse_xml(data)  # at most xmlsafe.MAX_BYTES, the one cap on a request
    except XmlRefused as exc:
        raise DuisError(_REFUSAL_CODES[exc.kind], exc.reason) from None
    if root.tag != _Q + "Request":
        raise DuisError(
            ResponseCode.WRONG_NAMESPACE,
            f"root element is {describe_tag(root.tag)}; expected 'Request' in namespace {SR_NS!r}",
        )
    raw_id = root.findtext(f"{_Q}Header/{_Q}RequestID")
    # only to find the sender's certificate; a missing or malformed RequestID is refused here
    user_id, _, _ = parse_request_id(raw_id)
    echo = _echo(root, str(raw_id).strip())
    if certificate is None:
        try:
            certificate = load_certificate(keys_dir, user_id)
        except KeyMissing:
            raise DuisError(ResponseCode.UNKNOWN_SENDER,
                            f"no certificate for User ID {hyphenated(user_id)}", **echo) from None
    try:
        check_certificate(certificate, user_id, at=at, role=RemotePartyRole.SUPPLIER,
                          ca=ca_certificate(keys_dir))
    except ValidationError as exc:
        raise DuisError(ResponseCode.CERTIFICATE_REFUSED,
                        f"the certificate of {hyphenated(user_id)} {exc.reason}", **echo) from None
    try:
        signed = verify_enveloped(etree.tostring(root.getroottree()), certificate, at=at)
    except SignatureInvalid as exc:
        raise DuisError(ResponseCode.BAD_SIGNATURE, exc.reason, **echo) from None
    return _accept(root, signed, raw_id, inventory, echo)


def _accept(root: etree._Element, signed: etree._Element, raw_id: str | None,
            inventory: Mapping[str, str] | None, echo: dict) -> AcceptedRequest:
    """The checks after the signature, on the values of the signed document only."""
    signed_id = signed.findtext(f"{_Q}Header/{_Q}RequestID")
    if signed.tag != root.tag or signed_id != raw_id:
        raise DuisError(ResponseCode.BAD_SIGNATURE, "the signed document is not the one read",
                        **echo)
    user_id, device_id, counter = parse_request_id(signed_id)
    ref = _text(signed, f"{_Q}Header/{_Q}ServiceReference")
    variant = _text(signed, f"{_Q}Header/{_Q}ServiceReferenceVariant")
    if ref != RESET_DEBT_REGISTER or variant != SERVICE_REFERENCE_VARIANT:
        raise DuisError(
            ResponseCode.WRONG_SERVICE_REFERENCE,
            f"ServiceReference {ref!r} / ServiceReferenceVariant {variant!r}; expected "
            f"{RESET_DEBT_REGISTER} / {SERVICE_REFERENCE_VARIANT} (Reset Debt Register)",
            **echo)
    register = _one_register(signed.find(f"{_Q}Body/{_Q}ResetDebtRegister"), echo)
    problems = schema_errors(root)
    if problems:
        raise DuisError(ResponseCode.SCHEMA_INVALID, "; ".join(problems[:3]), **echo)
    assert register is not None  # the schema requires exactly one register element
    command_variant = int(_text(signed, f"{_Q}Header/{_Q}CommandVariant"))
    request = ResetRequest(user_id, device_id, counter, register, command_variant,
                           written_request_id=str(signed_id).strip())
    try:
        device = device_of(device_id, inventory)
    except ValidationError as exc:
        known = TEST_INVENTORY if inventory is None else inventory
        code = ResponseCode.WRONG_DEVICE_TYPE if device_id in known else ResponseCode.UNKNOWN_DEVICE
        raise DuisError(code, exc.reason, **echo) from None
    return AcceptedRequest(request, device, _catalogue().entry(device, register))


def _one_register(reset: etree._Element | None, echo: dict) -> DebtRegister | None:
    """SR-9: the one Debt Register the body names (None: no body, left to the schema)."""
    if reset is None:
        return None
    named = [child for child in reset if isinstance(child.tag, str)]
    known = {_Q + r.value for r in DebtRegister}
    unknown = [describe_tag(c.tag) for c in named if c.tag not in known]
    if unknown:
        raise DuisError(ResponseCode.UNKNOWN_REGISTER,
                        f"unknown register element {', '.join(unknown)}; expected one of "
                        + ", ".join(r.value for r in DebtRegister), **echo)
    if not named:
        raise DuisError(ResponseCode.NO_REGISTER, "ResetDebtRegister names no register", **echo)
    if len(named) > 1:
        names = ", ".join(etree.QName(c).localname for c in named)
        raise DuisError(ResponseCode.SEVERAL_REGISTERS,
                        f"ResetDebtRegister names {len(named)} registers ({names}); exactly one "
                        "may be reset per request", **echo)
    return DebtRegister(etree.QName(named[0]).localname)


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
