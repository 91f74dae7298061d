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

import base64
import binascii
import csv
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path

from cryptography import x509
from lxml import etree

from specpkg.catalogue import (
    CATALOGUE_VERSION,
    SERVICE_REFERENCE,
    SERVICE_REFERENCE_VARIANT,
    Catalogue,
    CatalogueEntry,
    load_catalogue,
)
from specpkg.errors import SpecError, ValidationError
from specpkg.paths import DATA_DIR
from specpkg.registers import (
    DebtRegister,
    Device,
    ResetOutcome,
    ResetReport,
    check_int,
    parse_device,
    parse_register,
)
from specpkg.xmldsig import (
    DS_NS,
    KeyMissing,
    SignatureInvalid,
    load_certificate,
    load_private_key,
    sign_enveloped,
    verify_enveloped,
)
from specpkg.xmlsafe import Refusal, XmlRefused, parse_xml

SR_NS = "http://www.dccinterface.co.uk/ServiceUserGateway"
SCHEMA_VERSION = "5.4"
SCHEMA_PATH = DATA_DIR / "duis" / "ResetDebtRegister.xsd"
RESPONSE_CODES_PATH = DATA_DIR / "duis" / "response_codes.csv"
DEFAULT_KEYS_DIR = DATA_DIR / "pki"
MAX_REQUEST_BYTES = 32 * 1024
MAX_RESPONSE_BYTES = 64 * 1024

#: The version of this package's Parse and Correlate: parsing Service Responses
#: (:func:`parse_response`, :meth:`specpkg.dcc.Dcc.service_response`) and correlating
#: Pre-Commands (:meth:`specpkg.user.User.correlate`). It is the Message Mapping
#: Catalogue's version by construction: one source, so they always correspond (TR-6).
PARSE_AND_CORRELATE_VERSION: str = CATALOGUE_VERSION

#: The fixed clock of the workbook: the recommended implementation date (IMP-1).
DEFAULT_CLOCK = datetime(2019, 6, 27, 12, 0, 0, tzinfo=UTC)

#: The Import and Gas Supplier of the test identities (signs requests).
DEFAULT_USER_ID = "90B3D51F30010000"
#: The DCC's view of which device is which (SR-8): the test ESME and GSME.
TEST_INVENTORY: dict[str, Device] = {
    "00DB1234567890A0": Device.ESME,
    "00DB1234567890A1": Device.GSME,
}
DEFAULT_DEVICE_IDS = {device: device_id for device_id, device in TEST_INVENTORY.items()}
#: CommandVariant of the reference SR 2.3 requests: DCC sends the command to the device.
DEFAULT_COMMAND_VARIANT = 4
COUNTER_MAX = 2**64 - 1

_Q = f"{{{SR_NS}}}"


class ResponseCode(StrEnum):
    """DUIS response codes of this Service Request (see response_codes.csv)."""

    SUCCESS = "I0"
    TOO_LARGE = "E901"
    DTD_FORBIDDEN = "E902"
    MALFORMED_XML = "E903"
    WRONG_NAMESPACE = "E904"
    SCHEMA_INVALID = "E905"
    WRONG_SERVICE_REFERENCE = "E906"
    BAD_REQUEST_ID = "E907"
    NO_REGISTER = "E908"
    SEVERAL_REGISTERS = "E909"
    UNKNOWN_REGISTER = "E910"
    BAD_SIGNATURE = "E911"
    UNKNOWN_SENDER = "E912"
    UNKNOWN_DEVICE = "E913"
    NOT_REGISTERED_SUPPLIER = "E914"
    ROLE_NOT_ELIGIBLE = "E915"
    SIGNED_PRECOMMAND_MISMATCH = "E916"
    UNKNOWN_PRECOMMAND = "E917"
    RESET_NOT_CONFIRMED = "E920"
    NOT_SUPPORTED_BY_DEVICE = "E921"
    REJECTED_BY_DEVICE = "E922"
    BAD_DEVICE_RESPONSE = "E923"
    UNDELIVERABLE = "E924"
    QUARANTINED = "E930"


#: Codes given after the request itself was valid: by the DCC's access control,
#: its check of the Signed Pre-Command, anomaly detection, or the device (see flow).
POST_VALIDATION_CODES = frozenset({
    ResponseCode.SUCCESS, ResponseCode.NOT_REGISTERED_SUPPLIER, ResponseCode.ROLE_NOT_ELIGIBLE,
    ResponseCode.SIGNED_PRECOMMAND_MISMATCH, ResponseCode.UNKNOWN_PRECOMMAND,
    ResponseCode.RESET_NOT_CONFIRMED, ResponseCode.NOT_SUPPORTED_BY_DEVICE,
    ResponseCode.REJECTED_BY_DEVICE, ResponseCode.BAD_DEVICE_RESPONSE, ResponseCode.UNDELIVERABLE,
    ResponseCode.QUARANTINED,
})

_REFUSAL_CODES = {
    Refusal.TOO_LARGE: ResponseCode.TOO_LARGE,
    Refusal.DTD: ResponseCode.DTD_FORBIDDEN,
    Refusal.MALFORMED: ResponseCode.MALFORMED_XML,
}


def response_code_table(path: Path = RESPONSE_CODES_PATH) -> list[dict[str, str]]:
    """The rows of ``data/duis/response_codes.csv`` (code, name, meaning, provisional)."""
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def response_code_meaning(code: str) -> str:
    for row in response_code_table():
        if row["code"] == code:
            return row["meaning"]
    raise ValidationError("response_code", f"unknown response code {code!r}")


class DuisError(SpecError, ValueError):
    """A request the DCC refuses: the response ``code`` and a ``reason`` naming the fault.

    ``request_id`` and the service reference are what the error response echoes,
    when they could be read from the request.
    """

    def __init__(
        self,
        code: ResponseCode,
        reason: str,
        *,
        request_id: str | None = None,
        service_reference: str = SERVICE_REFERENCE,
        service_reference_variant: str = SERVICE_REFERENCE_VARIANT,
    ) -> None:
        self.code = ResponseCode(code)
        self.reason = reason
        self.request_id = request_id
        self.service_reference = service_reference
        self.service_reference_variant = service_reference_variant
        super().__init__(f"{self.code.value} {self.code.name}: {reason}")


# --- identifiers ------------------------------------------------------------------------

_ENTITY_PLAIN = re.compile(r"[0-9A-Fa-f]{16}")
_ENTITY_HYPHENATED = re.compile(r"[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){7}")
_ID = r"[0-9A-F]{2}(?:-[0-9A-F]{2}){7}"
_REQUEST_ID = re.compile(rf"({_ID}):({_ID}):([0-9]{{1,20}})")
_SERVICE_REFERENCE = re.compile(r"[0-9]{1,2}(\.[0-9]{1,2}){1,2}")


def parse_entity_id(field: str, value: object) -> str:
    """An 8-octet entity id (User ID or Device ID) as 16 upper-case hex digits."""
    if not isinstance(value, str) or not (
        _ENTITY_PLAIN.fullmatch(value) or _ENTITY_HYPHENATED.fullmatch(value)
    ):
        raise ValidationError(
            field, f"expected 16 hex digits (optionally hyphenated), got {value!r}"
        )
    return value.replace("-", "").upper()


def hyphenated(entity_id: str) -> str:
    """``90B3D51F30010000`` -> ``90-B3-D5-1F-30-01-00-00`` (the DUIS form)."""
    plain = parse_entity_id("entity_id", entity_id)
    return "-".join(plain[i : i + 2] for i in range(0, 16, 2))


def parse_request_id(text: object) -> tuple[str, str, int]:
    """``User ID : Device ID : counter`` -> (user id, device id, counter); DuisError E907."""
    if not isinstance(text, str):
        raise DuisError(ResponseCode.BAD_REQUEST_ID, "RequestID is missing")
    match = _REQUEST_ID.fullmatch(text.strip())
    if not match:
        shown = text if len(text) <= 80 else text[:77] + "..."
        raise DuisError(
            ResponseCode.BAD_REQUEST_ID,
            f"RequestID {shown!r} is not UserID:DeviceID:counter "
            "with hyphenated upper-case hex IDs",
        )
    counter = int(match.group(3))
    if counter > COUNTER_MAX:
        raise DuisError(ResponseCode.BAD_REQUEST_ID, f"RequestID counter {counter} exceeds 2^64-1")
    return match.group(1).replace("-", ""), match.group(2).replace("-", ""), counter


@dataclass(frozen=True)
class ResetRequest:
    """One Reset Debt Register request (SR-9: exactly one register)."""

    user_id: str
    device_id: str
    counter: int
    register: DebtRegister
    command_variant: int = DEFAULT_COMMAND_VARIANT

    def __post_init__(self) -> None:
        object.__setattr__(self, "user_id", parse_entity_id("user_id", self.user_id))
        object.__setattr__(self, "device_id", parse_entity_id("device_id", self.device_id))
        check_int("counter", self.counter, 0, COUNTER_MAX)
        object.__setattr__(self, "register", parse_register(self.register))
        check_int("command_variant", self.command_variant, 1, 8)

    @property
    def request_id(self) -> str:
        return f"{hyphenated(self.user_id)}:{hyphenated(self.device_id)}:{self.counter}"

    @property
    def response_id(self) -> str:
        """The ResponseID of the device's answer: Device ID : User ID : counter."""
        return f"{hyphenated(self.device_id)}:{hyphenated(self.user_id)}:{self.counter}"

    service_reference = SERVICE_REFERENCE
    service_reference_variant = SERVICE_REFERENCE_VARIANT


def device_of(device_id: str, inventory: dict[str, Device] | None = None) -> Device:
    """The device type of ``device_id`` in the DCC inventory (SR-8); ValidationError if unknown."""
    plain = parse_entity_id("device_id", device_id)
    known = TEST_INVENTORY if inventory is None else inventory
    if plain not in known:
        raise ValidationError("device_id", f"{hyphenated(plain)} is not a known ESME or GSME")
    return known[plain]


def make_request(
    device: Device | str,
    register: DebtRegister | str,
    counter: int,
    *,
    user_id: str = DEFAULT_USER_ID,
    device_id: str | None = None,
    command_variant: int = DEFAULT_COMMAND_VARIANT,
) -> ResetRequest:
    """A request for ``device`` (the test ESME or GSME unless ``device_id`` is given)."""
    dev = parse_device(device)
    return ResetRequest(
        user_id, device_id or DEFAULT_DEVICE_IDS[dev], counter, parse_register(register),
        command_variant,
    )


# --- building and signing -----------------------------------------------------------------


def build_request_tree(request: ResetRequest) -> etree._Element:
    """The unsigned request document (indented; signing appends the ds:Signature)."""
    root = etree.Element(_Q + "Request", nsmap={"sr": SR_NS, "ds": DS_NS})
    root.set("schemaVersion", SCHEMA_VERSION)
    header = etree.SubElement(root, _Q + "Header")
    etree.SubElement(header, _Q + "RequestID").text = request.request_id
    etree.SubElement(header, _Q + "CommandVariant").text = str(request.command_variant)
    etree.SubElement(header, _Q + "ServiceReference").text = request.service_reference
    variant = etree.SubElement(header, _Q + "ServiceReferenceVariant")
    variant.text = request.service_reference_variant
    body = etree.SubElement(etree.SubElement(root, _Q + "Body"), _Q + "ResetDebtRegister")
    etree.SubElement(body, _Q + request.register.value)
    # signxml replaces this placeholder, so the signature sits indented at the end.
    etree.SubElement(root, f"{{{DS_NS}}}Signature", Id="placeholder")
    etree.indent(root, space="  ")
    return root


def sign_tree(
    root: etree._Element, *, keys_dir: Path = DEFAULT_KEYS_DIR, signer_id: str = DEFAULT_USER_ID
) -> bytes:
    """Sign any request document with ``signer_id``'s ds key (also for test documents)."""
    entity = parse_entity_id("signer_id", signer_id)
    try:
        key = load_private_key(keys_dir, entity)
        cert = load_certificate(keys_dir, entity)
    except KeyMissing as exc:
        raise ValidationError("keys", str(exc)) from None
    return sign_enveloped(root, key, cert)


def request_xml(request: ResetRequest, *, keys_dir: Path = DEFAULT_KEYS_DIR) -> bytes:
    """The signed request as UTF-8 bytes, signed by the User in its RequestID.

    Signing is deterministic: the same request and keys give the same bytes.
    """
    return sign_tree(build_request_tree(request), keys_dir=keys_dir, signer_id=request.user_id)


def signature_valid(
    data: bytes, *, keys_dir: Path = DEFAULT_KEYS_DIR, at: datetime = DEFAULT_CLOCK
) -> bool:
    """Whether ``data`` carries a valid signature by the User named in its RequestID."""
    try:
        root = parse_xml(data)
        user_id = parse_request_id(root.findtext(f"{_Q}Header/{_Q}RequestID"))[0]
        verify_enveloped(data, load_certificate(keys_dir, user_id), at=at)
    except (XmlRefused, DuisError, KeyMissing, SignatureInvalid):
        return False
    return True


@cache
def _catalogue() -> Catalogue:
    return load_catalogue()


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(parse_xml(SCHEMA_PATH.read_bytes(), max_bytes=1 << 20))


def schema_errors(root: etree._Element) -> list[str]:
    """The schema's complaints about ``root`` (empty when valid)."""
    schema = _schema()
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


# --- validating ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AcceptedRequest:
    """A request that passed every check, with what the DCC needs to act on it."""

    request: ResetRequest
    device: Device
    entry: CatalogueEntry


def _describe(tag: str) -> str:
    qname = etree.QName(tag)
    return f"{qname.localname!r} in namespace {qname.namespace or '(none)'!r}"


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
        "service_reference": ref if _SERVICE_REFERENCE.fullmatch(ref) else SERVICE_REFERENCE,
        "service_reference_variant": variant
        if _SERVICE_REFERENCE.fullmatch(variant)
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

    if ref != SERVICE_REFERENCE or variant != SERVICE_REFERENCE_VARIANT:
        raise DuisError(
            ResponseCode.WRONG_SERVICE_REFERENCE,
            f"ServiceReference {ref!r} / ServiceReferenceVariant {variant!r}; expected "
            f"{SERVICE_REFERENCE} / {SERVICE_REFERENCE_VARIANT} (Reset Debt Register)",
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
    etree.indent(root, space="  ")
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

    ``I0`` when the outcome confirms the register is zero (BR-4), else ``E920``;
    either way the GBCS response travels in ``GBCSPayload``.
    """
    if not isinstance(gbcs_response, bytes | bytearray) or not gbcs_response:
        raise ValidationError("gbcs_response", "must be non-empty bytes")
    if not isinstance(outcome, ResetOutcome | ResetReport):
        raise ValidationError("outcome", "must be a ResetOutcome or a ResetReport")
    if outcome.register is not request.register:
        raise ValidationError(
            "outcome", f"is for {outcome.register.value}, the request for {request.register.value}"
        )
    code = ResponseCode.SUCCESS if outcome.success else ResponseCode.RESET_NOT_CONFIRMED
    return _response(
        code,
        request_id=request.request_id,
        response_id=request.response_id,
        service_reference=request.service_reference,
        service_reference_variant=request.service_reference_variant,
        payload=bytes(gbcs_response),
        clock=clock,
    )


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
    """Read a Service Response (hardened parser and schema); ValidationError when invalid."""
    try:
        root = parse_xml(data, max_bytes=max_bytes)
    except XmlRefused as exc:
        raise ValidationError("response", str(exc)) from None
    if root.tag != _Q + "Response":
        raise ValidationError("response", f"root element is {_describe(root.tag)}")
    problems = schema_errors(root)
    if problems:
        raise ValidationError("response", "; ".join(problems[:3]))
    header = root.find(_Q + "Header")
    message = root.find(f"{_Q}Body/{_Q}ResponseMessage")
    assert header is not None and message is not None  # the schema requires them
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


def response_signature_valid(
    data: bytes, *, keys_dir: Path = DEFAULT_KEYS_DIR, signer_id: str = DCC_SIGNER_ID,
    at: datetime = DEFAULT_CLOCK,
) -> bool:
    """Whether a Service Response carries a valid signature by the DCC."""
    try:
        verify_enveloped(data, load_certificate(keys_dir, parse_entity_id("signer_id", signer_id)),
                         at=at)
    except (XmlRefused, KeyMissing, SignatureInvalid):
        return False
    return True


# --- a catalogue of refusals, for notebooks and reviewers -----------------------------------


@dataclass(frozen=True)
class RefusalExample:
    """A faulty request and the response code the DCC answers it with."""

    case: str
    data: bytes
    expected: ResponseCode


def refusal_examples(
    request: ResetRequest, *, keys_dir: Path = DEFAULT_KEYS_DIR
) -> list[RefusalExample]:
    """One faulty variant of ``request`` per response code E901..E913 (SR-9 and intake).

    Every variant that gets past the signature check is properly signed, so the
    code shows the fault itself and not a broken signature.
    """

    def signed(mutate) -> bytes:
        tree = build_request_tree(request)
        tree.remove(tree.find(f"{{{DS_NS}}}Signature"))
        mutate(tree)
        return sign_tree(tree, keys_dir=keys_dir, signer_id=request.user_id)

    def reset_of(tree: etree._Element) -> etree._Element:
        return tree.find(f"{_Q}Body/{_Q}ResetDebtRegister")

    def no_register(tree):
        reset_of(tree).remove(reset_of(tree)[0])

    def two_registers(tree):
        other = next(r for r in DebtRegister if r is not request.register)
        etree.SubElement(reset_of(tree), _Q + other.value)

    def unknown_register(tree):
        reset_of(tree)[0].tag = _Q + "TimeDebtRegister3"

    def header_text(name: str, text: str):
        def mutate(tree):
            tree.find(f"{_Q}Header/{_Q}{name}").text = text
        return mutate

    def wrong_namespace(tree):
        for element in tree.iter():
            if isinstance(element.tag, str) and element.tag.startswith(_Q):
                element.tag = "{http://example.invalid/ServiceUserGateway}" + etree.QName(
                    element
                ).localname

    good = request_xml(request, keys_dir=keys_dir)
    other_device = "00-DB-12-34-56-78-90-FF"
    unknown_user = "11-22-33-44-55-66-77-88"
    ids = request.request_id.split(":")
    code = ResponseCode
    return [
        RefusalExample("larger than the size cap", good.replace(
            b"<sr:Body>", b"<!--" + b"x" * MAX_REQUEST_BYTES + b"--><sr:Body>"), code.TOO_LARGE),
        RefusalExample("DOCTYPE with an external entity", good.replace(
            b"?>", b'?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1),
            code.DTD_FORBIDDEN),
        RefusalExample("not well-formed (truncated)", good[: len(good) // 2], code.MALFORMED_XML),
        RefusalExample("wrong namespace", signed(wrong_namespace), code.WRONG_NAMESPACE),
        RefusalExample("CommandVariant 9", signed(header_text("CommandVariant", "9")),
                       code.SCHEMA_INVALID),
        RefusalExample("ServiceReference 2.3 (Update Debt)",
                       signed(header_text("ServiceReference", "2.3")),
                       code.WRONG_SERVICE_REFERENCE),
        RefusalExample("RequestID without counter",
                       signed(header_text("RequestID", ":".join(ids[:2]))), code.BAD_REQUEST_ID),
        RefusalExample("no register", signed(no_register), code.NO_REGISTER),
        RefusalExample("two registers", signed(two_registers), code.SEVERAL_REGISTERS),
        RefusalExample("unknown register TimeDebtRegister3", signed(unknown_register),
                       code.UNKNOWN_REGISTER),
        RefusalExample("register changed after signing", good.replace(
            f"<sr:{request.register.value}/>".encode(),
            f"<sr:{next(r for r in DebtRegister if r is not request.register).value}/>".encode()),
            code.BAD_SIGNATURE),
        RefusalExample("sender without a certificate", signed(header_text(
            "RequestID", f"{unknown_user}:{ids[1]}:{ids[2]}")), code.UNKNOWN_SENDER),
        RefusalExample("device not an ESME or GSME", signed(header_text(
            "RequestID", f"{ids[0]}:{other_device}:{ids[2]}")), code.UNKNOWN_DEVICE),
    ]
