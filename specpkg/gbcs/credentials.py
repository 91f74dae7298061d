"""Whose certificate is it, in which role: SMKI-style identities (SR-3, issue 11).

A GBCS Organisation Certificate names its holder in the subject: the entity id as
an ``x500UniqueIdentifier`` (a bit string of the 8-byte id) and the Remote Party
Role as a two-digit hex code in the ``organizationalUnitName`` (02 a Supplier, 04
the Access Control Broker, as in the reference certificates). A Device
Certificate names the device in its subject alternative name (``hwModuleName``:
a hardware type and the 8-byte serial, the device's id).

A meter keeps one trust anchor per Remote Party Role (its Device Security
Credentials); the DCC checks that a User's certificate names that User, in the
role the request needs, and is valid at the time of the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

from specpkg.errors import ValidationError

UNIQUE_IDENTIFIER = ObjectIdentifier("2.5.4.45")
HARDWARE_MODULE_NAME = ObjectIdentifier("1.3.6.1.5.5.7.8.4")


class RemotePartyRole(IntEnum):
    """GBCS Remote Party Roles: the trust anchor cells a meter holds, and the role an
    Organisation Certificate is issued for."""

    ROOT = 0x00
    RECOVERY = 0x01
    SUPPLIER = 0x02
    NETWORK_OPERATOR = 0x03
    ACCESS_CONTROL_BROKER = 0x04
    TRANSITIONAL_COS = 0x05
    WAN_PROVIDER = 0x06
    ISSUING_AUTHORITY = 0x07
    OTHER = 0x7F


@dataclass(frozen=True)
class Holder:
    """Who a certificate names: 16 upper-case hex digits, and a role for organisations."""

    entity_id: str
    role: RemotePartyRole | None


def holder(cert: x509.Certificate) -> Holder:
    """The entity (and role) a certificate is issued to; ValidationError if it names none."""
    ids = cert.subject.get_attributes_for_oid(UNIQUE_IDENTIFIER)
    if ids:
        raw = ids[0].value
        data = raw[1:] if isinstance(raw, bytes) and len(raw) == 9 else raw
        if not isinstance(data, bytes) or len(data) != 8:
            raise ValidationError("certificate", "x500UniqueIdentifier is not an 8-byte id")
        units = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
        role = None
        if units:
            try:
                role = RemotePartyRole(int(str(units[0].value), 16))
            except ValueError:
                raise ValidationError("certificate", f"unknown Remote Party Role "
                                                     f"{units[0].value!r}") from None
        return Holder(data.hex().upper(), role)
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise ValidationError("certificate", "names no entity (no x500UniqueIdentifier, "
                                             "no subject alternative name)") from None
    for name in names:
        if isinstance(name, x509.OtherName) and name.type_id == HARDWARE_MODULE_NAME:
            return Holder(name.value[-8:].hex().upper(), None)
    raise ValidationError("certificate", "names no entity")


def check_certificate(cert: x509.Certificate, entity_id: str, *, at: datetime,
                      role: RemotePartyRole | None = None) -> None:
    """Refuse (ValidationError naming why) a certificate that does not name ``entity_id``,
    is not issued for ``role`` (when given), is not valid at ``at``, or is not P-256."""
    who = holder(cert)
    if who.entity_id != entity_id.replace("-", "").upper():
        raise ValidationError("certificate", f"is issued to {who.entity_id}, not {entity_id}")
    if role is not None and who.role is not role:
        shown = who.role.name if who.role is not None else "no role"
        raise ValidationError("certificate", f"is issued for {shown}, not {role.name}")
    if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
        raise ValidationError("certificate", f"is not valid at {at.isoformat()} (valid "
                                             f"{cert.not_valid_before_utc.date()} to "
                                             f"{cert.not_valid_after_utc.date()})")
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ValidationError("certificate", "does not hold a P-256 key")
