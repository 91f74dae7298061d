"""Whose certificate it is, in which role, and whether the DCC accepts it (SR-3, issue 11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from specpkg.duis.xmldsig import load_certificate
from specpkg.errors import ValidationError
from specpkg.gbcs.credentials import (
    HARDWARE_MODULE_NAME,
    Holder,
    RemotePartyRole,
    check_certificate,
    encode_hardware_module_name,
    holder,
)
from specpkg.paths import PKI_DIR

SUPPLIER = "90B3D51F30010000"
ESME = "00DB1234567890A0"
START = datetime(2020, 1, 1, tzinfo=UTC)
END = datetime(2020, 12, 31, 23, 59, 59, tzinfo=UTC)
ISSUER = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TEST-ONLY issuer")])
SIGNER = ec.generate_private_key(ec.SECP256R1())


def certificate(subject: list[x509.NameAttribute], names: list[x509.GeneralName] | None = None,
                key=None) -> x509.Certificate:
    """A certificate of ``subject`` (and subject alternative ``names``) valid START..END."""
    key = key if key is not None else ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder().subject_name(x509.Name(subject)).issuer_name(ISSUER)
               .public_key(key.public_key()).serial_number(11)
               .not_valid_before(START).not_valid_after(END)
               .add_extension(key_usage("ds"), critical=True))
    if names is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(SIGNER, hashes.SHA256())


def key_usage(usage: str, **also: bool) -> x509.KeyUsage:
    """A KeyUsage of ``usage`` (ds or ka) alone, or with the uses named in ``also``."""
    uses = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment",
                          "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign",
                          "encipher_only", "decipher_only"), False)
    uses["digital_signature" if usage == "ds" else "key_agreement"] = True
    uses.update(also)
    return x509.KeyUsage(**uses)


def organisation(entity: str = SUPPLIER, role: str | None = "02", key=None) -> x509.Certificate:
    subject = [x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x00" + bytes.fromhex(entity),
                                  _type=x509.name._ASN1Type.BitString)]
    if role is not None:
        subject.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role))
    return certificate(subject, key=key)


def hardware(serial: str) -> x509.OtherName:
    return x509.OtherName(HARDWARE_MODULE_NAME,
                          encode_hardware_module_name("1.2.826.0.1.8641679.1.2.2.1", serial))


CN = [x509.NameAttribute(NameOID.COMMON_NAME, "TEST-ONLY device")]


def refusal(call, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as err:
        call(*args, **kwargs)
    assert err.value.field == "certificate"
    return err.value.reason


# ------------------------------------------------------------------ who is named


def test_sr3_a_device_certificate_names_its_device_by_the_hardware_module_name() -> None:
    """The test PKI's device certificates name the meter, with no role."""
    for device in ("00DB1234567890A0", "00DB1234567890A1"):
        assert holder(load_certificate(PKI_DIR, device)) == Holder(device, None)


def test_sr3_the_hardware_module_name_is_found_among_other_names() -> None:
    other = x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"),
                           bytes.fromhex("0408" + "11" * 8))
    cert = certificate(CN, [x509.DNSName("meter.test"), other, hardware(ESME)])
    assert holder(cert) == Holder(ESME, None)


def test_sr3_a_certificate_that_names_no_entity_is_refused_saying_so() -> None:
    assert refusal(holder, certificate(CN)) == (
        "names no entity (no x500UniqueIdentifier, no subject alternative name)")
    other = x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"),
                           bytes.fromhex("0408" + ESME))
    assert refusal(holder, certificate(CN, [x509.DNSName("meter.test"), other])) == (
        "names no entity")


# ------------------------------------------------------------- what the DCC accepts


def test_sr3_the_holder_must_be_the_entity_named_however_it_is_written() -> None:
    cert = organisation()
    for written in (SUPPLIER, SUPPLIER.lower(), "90-B3-D5-1F-30-01-00-00"):
        check_certificate(cert, written, at=START, role=RemotePartyRole.SUPPLIER)
    other = "90B3D51F30020000"
    assert refusal(check_certificate, cert, other, at=START) == (
        f"is issued to {SUPPLIER}, not {other}")


def test_sr3_the_holder_must_hold_the_role_the_request_needs() -> None:
    assert refusal(check_certificate, organisation(), SUPPLIER, at=START,
                   role=RemotePartyRole.ACCESS_CONTROL_BROKER) == (
        "is issued for SUPPLIER, not ACCESS_CONTROL_BROKER")
    assert refusal(check_certificate, organisation(role=None), SUPPLIER, at=START,
                   role=RemotePartyRole.SUPPLIER) == "is issued for no role, not SUPPLIER"
    check_certificate(organisation(role=None), SUPPLIER, at=START)  # no role asked


def test_sr3_a_certificate_is_valid_from_its_first_to_its_last_second() -> None:
    cert = organisation()
    for at in (START, END):
        check_certificate(cert, SUPPLIER, at=at)
    second = timedelta(seconds=1)
    for at in (START - second, END + second):
        assert refusal(check_certificate, cert, SUPPLIER, at=at) == (
            f"is not valid at {at.isoformat()} (valid 2020-01-01 to 2020-12-31)")


@pytest.mark.parametrize("key", [ec.generate_private_key(ec.SECP384R1()),
                                 ed25519.Ed25519PrivateKey.generate()],
                         ids=["P-384", "Ed25519"])
def test_sr3_only_a_p256_key_is_accepted(key) -> None:
    assert refusal(check_certificate, organisation(key=key), SUPPLIER, at=START) == (
        "does not hold a P-256 key")
