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

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from specpkg.duis.codes import DuisError, ResponseCode
from specpkg.duis.xmldsig import (
    DS_NS,
    KeyMissing,
    SignatureInvalid,
    load_certificate,
    load_private_key,
    sign_enveloped,
    verify_enveloped,
)
from specpkg.duis.xmlsafe import XmlRefused, parse_xml
from specpkg.errors import ValidationError
from specpkg.gbcs.catalogue import RESET_DEBT_REGISTER, SERVICE_REFERENCE_VARIANT
from specpkg.gbcs.envelope import COUNTER_MAX
from specpkg.meter.registers import (
    DebtRegister,
    Device,
    check_int,
    parse_device,
    parse_register,
)
from specpkg.paths import PKI_DIR

SR_NS = "http://www.dccinterface.co.uk/ServiceUserGateway"
SCHEMA_VERSION = "5.4"
DEFAULT_KEYS_DIR = PKI_DIR

#: The version of this package's Parse and Correlate (:mod:`specpkg.duis.mmc`), named
#: after the Message Mapping Catalogue version it was built against. A release of its
#: own, not the catalogue's constant: a catalogue revised without a new Parse and
#: Correlate no longer corresponds, and the test pack is refused (TR-6).
PARSE_AND_CORRELATE_VERSION: str = "0.1.0-provisional"

#: The fixed clock of the workbook: the recommended implementation date (IMP-1).
DEFAULT_CLOCK = datetime(2019, 6, 27, 12, 0, 0, tzinfo=UTC)

#: The Import and Gas Supplier of the test identities (signs requests).
DEFAULT_USER_ID = "90B3D51F30010000"
#: The DCC's view of which device is which (SR-8): the test ESME and GSME.
TEST_METERS: dict[str, Device] = {
    "00DB1234567890A0": Device.ESME,
    "00DB1234567890A1": Device.GSME,
}
#: The other devices of the test premises the DCC knows, by device type (SR-8).
TEST_OTHER_DEVICES: dict[str, str] = {
    "00DB1234567890D0": "CHF",
    "00DB1234567890D1": "GPF",
    "00DB1234567890D2": "PPMID",
    "00DB1234567890D3": "HCALCS",
    "00DB1234567890D4": "IHD",
}
#: The DCC's inventory of the test premises: device id -> device type.
TEST_INVENTORY: dict[str, str] = {**TEST_METERS, **TEST_OTHER_DEVICES}
DEFAULT_DEVICE_IDS = {device: device_id for device_id, device in TEST_METERS.items()}
#: CommandVariant of the reference SR 2.3 requests: DCC sends the command to the device.
DEFAULT_COMMAND_VARIANT = 4

_Q = f"{{{SR_NS}}}"


# --- identifiers ------------------------------------------------------------------------

_ENTITY_PLAIN = re.compile(r"[0-9A-Fa-f]{16}")
_ENTITY_HYPHENATED = re.compile(r"[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){7}")
_ID = r"[0-9A-F]{2}(?:-[0-9A-F]{2}){7}"
_REQUEST_ID = re.compile(rf"({_ID}):({_ID}):([0-9]{{1,20}})")


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

    service_reference = RESET_DEBT_REGISTER
    service_reference_variant = SERVICE_REFERENCE_VARIANT


def device_of(device_id: str, inventory: Mapping[str, str] | None = None) -> Device:
    """The meter ``device_id`` is in the DCC inventory (device id -> device type); a
    ValidationError names an unknown device, or the type of a device that is not a target
    of the reset: only ESME and GSME are (SR-8)."""
    plain = parse_entity_id("device_id", device_id)
    known = TEST_INVENTORY if inventory is None else inventory
    if plain not in known:
        raise ValidationError("device_id", f"{hyphenated(plain)} is not a device the DCC knows")
    kind = str(known[plain])
    if kind not in {d.value for d in Device}:
        raise ValidationError("device_id", f"{hyphenated(plain)} is a {kind}; the reset's "
                                           "target devices are ESME and GSME only (SR-8)")
    return Device(kind)


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
