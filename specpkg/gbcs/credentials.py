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

Every use of a certificate checks the same five things (:func:`check_certificate`,
issue 18 item 6): its key usage is the one the use needs (digitalSignature alone
to verify a signature, keyAgreement alone for ECDH), it is issued by the CA of
the key store (never self-signed), it is valid at the time of use, it is issued
for the Remote Party Role the use needs, and it names exactly one identity (one
``x500UniqueIdentifier`` and at most one role; a Device Certificate's single
``hwModuleName``, parsed as RFC 4108's HardwareModuleName, whose hwSerialNum is
the device's Entity Identifier). Source: GBCS v1.0 section 12, "Certificate
structure and content": every certificate has a critical keyUsage; a Device
Certificate has "a keyUsage with a value of only one of digitalSignature or
keyAgreement" and a SubjectAlternativeName of "a single GeneralName of type
OtherName ... HardwareModuleName ... as defined in IETF RFC 4108"
(https://essaydocs.org/version-1-release-note-28-november-2014.html?page=141 and
?page=145). That an Organisation Certificate also has one key usage is what the
reference test identities show (each a ``-ds`` and a ``-ka`` certificate).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat import asn1
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

from specpkg.errors import ValidationError

UNIQUE_IDENTIFIER = ObjectIdentifier("2.5.4.45")
HARDWARE_MODULE_NAME = ObjectIdentifier("1.3.6.1.5.5.7.8.4")
CA_CERTIFICATE = "test-ca.pem"
"""The file of a key store holding the CA certificate that issued its certificates."""
_ROLE = re.compile(r"[0-9A-Fa-f]{2}")


@asn1.sequence
class HardwareModuleName:
    """RFC 4108 section 5's ``HardwareModuleName``: the hardware type and the serial
    number, a Device Certificate's subject alternative name (GBCS: the device's id)."""

    hw_type: x509.ObjectIdentifier
    hw_serial_num: bytes


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
    """The entity (and role) a certificate is issued to; ValidationError if it names
    none, or more than one."""
    ids = cert.subject.get_attributes_for_oid(UNIQUE_IDENTIFIER)
    if len(ids) > 1:
        raise ValidationError("certificate", f"names {len(ids)} x500UniqueIdentifiers, "
                                             "not one")
    if ids:
        raw = ids[0].value
        data = raw[1:] if isinstance(raw, bytes) and len(raw) == 9 else raw
        if not isinstance(data, bytes) or len(data) != 8:
            raise ValidationError("certificate", "x500UniqueIdentifier is not an 8-byte id")
        return Holder(data.hex().upper(), _role(cert))
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise ValidationError("certificate", "names no entity (no x500UniqueIdentifier, "
                                             "no subject alternative name)") from None
    modules = [n for n in names
               if isinstance(n, x509.OtherName) and n.type_id == HARDWARE_MODULE_NAME]
    if len(modules) != 1:
        raise ValidationError("certificate", "names no entity" if not modules else
                              f"names {len(modules)} hardware modules, not one")
    try:
        module = asn1.decode_der(HardwareModuleName, modules[0].value)
    except ValueError:
        raise ValidationError("certificate", "hwModuleName is not an RFC 4108 "
                                             "HardwareModuleName") from None
    if len(module.hw_serial_num) != 8:
        raise ValidationError("certificate", "hwModuleName's serial number is not an "
                                             "8-byte device id")
    return Holder(module.hw_serial_num.hex().upper(), None)


def _role(cert: x509.Certificate) -> RemotePartyRole | None:
    """The Remote Party Role: one organizationalUnitName of exactly two hex digits."""
    units = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    if not units:
        return None
    text = str(units[0].value)
    if len(units) > 1 or not _ROLE.fullmatch(text):
        shown = [str(u.value) for u in units]
        raise ValidationError("certificate", f"unknown Remote Party Role {shown[0]!r}"
                              if len(units) == 1 else f"names {len(units)} roles {shown}")
    try:
        return RemotePartyRole(int(text, 16))
    except ValueError:
        raise ValidationError("certificate", f"unknown Remote Party Role {text!r}") from None


def encode_hardware_module_name(hw_type: str, device_id: str) -> bytes:
    """The DER of a HardwareModuleName naming ``device_id`` (for making test PKIs)."""
    return asn1.encode_der(HardwareModuleName(hw_type=ObjectIdentifier(hw_type),
                                              hw_serial_num=bytes.fromhex(device_id)))


def ca_certificate(keys_dir: Path) -> x509.Certificate | None:
    """The CA certificate of a key store (:data:`CA_CERTIFICATE`), or None when it
    holds none (as the reference test identities do)."""
    path = Path(keys_dir) / CA_CERTIFICATE
    if not path.is_file():
        return None
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError:
        raise ValidationError("keys", f"{CA_CERTIFICATE} is not a PEM certificate") from None


_USAGES = {"ds": ("digital_signature", "digitalSignature"),
           "ka": ("key_agreement", "keyAgreement")}
_OTHER_USES = ("digital_signature", "key_agreement", "key_cert_sign", "crl_sign",
               "content_commitment", "key_encipherment", "data_encipherment")


def check_key_usage(cert: x509.Certificate, usage: str) -> None:
    """Refuse a certificate whose key usage is not ``usage`` (ds or ka) alone."""
    wanted, name = _USAGES[usage]
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise ValidationError("certificate", "has no key usage extension") from None
    others = [u for u in _OTHER_USES if u != wanted and getattr(ku, u)]
    if not getattr(ku, wanted) or others:
        raise ValidationError("certificate", f"is not for {name} alone (key usage: "
                              f"{', '.join(u for u in _OTHER_USES if getattr(ku, u)) or 'none'})")


def check_issuer(cert: x509.Certificate, ca: x509.Certificate | None) -> None:
    """Refuse a self-signed certificate, and one the key store's CA did not sign."""
    if cert.issuer == cert.subject:
        raise ValidationError("certificate", "is self-signed, not issued by a CA")
    if ca is None:
        return
    if cert.issuer != ca.subject:
        raise ValidationError("certificate", f"is issued by {cert.issuer.rfc4514_string()!r}"
                                             f", not the CA {ca.subject.rfc4514_string()!r}")
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        raise ValidationError("certificate", "is not signed by the CA it names") from None


def check_certificate(cert: x509.Certificate, entity_id: str, *, at: datetime,
                      role: RemotePartyRole | None = None, usage: str = "ds",
                      ca: x509.Certificate | None = None) -> None:
    """Refuse (ValidationError naming why) a certificate whose key usage is not
    ``usage`` alone, that is self-signed or not issued by ``ca`` (when given), that
    does not name ``entity_id`` (once), is not issued for ``role`` (when given), is
    not valid at ``at``, or is not P-256."""
    check_key_usage(cert, usage)
    check_issuer(cert, ca)
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
