"""Certificates checked for key usage, issuer, validity, role and identity (issue 18 item 6).

Each attack is a certificate a reviewer could register for the Supplier, or install in a
meter's trust anchor cell: the DCC refuses the request with CERTIFICATE_REFUSED (E1) and
commissioning refuses the anchor, each naming what was wrong. Source: GBCS v1.0 section 12
(a critical keyUsage; a Device Certificate of one key usage, with one hwModuleName as RFC
4108 defines it), as cited in :mod:`specpkg.gbcs.credentials`.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from specpkg.duis.codes import DuisError, ResponseCode
from specpkg.duis.intake import validate_request
from specpkg.duis.reset_request import DEFAULT_CLOCK, hyphenated, make_request, request_xml
from specpkg.duis.xmldsig import load_certificate, load_private_key
from specpkg.errors import ValidationError
from specpkg.gbcs.credentials import (
    HARDWARE_MODULE_NAME,
    RemotePartyRole,
    ca_certificate,
    check_certificate,
    encode_hardware_module_name,
    holder,
)
from specpkg.gbcs.security import Keys
from specpkg.meter.registers import DebtRegister, Device
from specpkg.paths import PKI_DIR
from specpkg.system.trust import anchor_from

SUPPLIER = "90B3D51F30010000"
ESME = "00DB1234567890A0"
HW_TYPE = "1.2.826.0.1.8641679.1.2.2.1"
CA_KEY = serialization.load_pem_private_key((PKI_DIR / "test-ca.key").read_bytes(), None)
REGISTERED = load_certificate(PKI_DIR, SUPPLIER)
SIGNED = request_xml(make_request(Device.ESME, DebtRegister.TIME_DEBT_1, 1000))
USES = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
        "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")


def key_usage(*uses: str) -> x509.KeyUsage:
    return x509.KeyUsage(**{u: u in uses for u in USES})


SIGNING = key_usage("digital_signature")


def unique(entity: str = SUPPLIER) -> x509.NameAttribute:
    return x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x00" + bytes.fromhex(entity),
                              _type=_ASN1Type.BitString)


def role(text: str) -> x509.NameAttribute:
    return x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, text)


def supplier_certificate(*, subject: list[x509.NameAttribute] | None = None,
                         usage: x509.KeyUsage | None = SIGNING,
                         signer=CA_KEY, issuer: x509.Name | None = None,
                         names: list[x509.GeneralName] | None = None) -> x509.Certificate:
    """The Supplier's registered certificate (its key, issuer and serial, so the request's
    KeyInfo still matches) with one thing changed."""
    key = load_private_key(PKI_DIR, SUPPLIER)
    name = x509.Name(subject if subject is not None else [unique(), role("02")])
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer if issuer is not None else REGISTERED.issuer)
               .public_key(key.public_key()).serial_number(REGISTERED.serial_number)
               .not_valid_before(DEFAULT_CLOCK - dt.timedelta(days=1))
               .not_valid_after(DEFAULT_CLOCK + dt.timedelta(days=1)))
    if usage is not None:
        builder = builder.add_extension(usage, critical=True)
    if names is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=True)
    return builder.sign(signer, hashes.SHA256())


def refused_by_the_dcc(cert: x509.Certificate) -> str:
    """Why the DCC refuses ``cert``: the typed error of the certificate check, naming the
    certificate as the field, carried whole into the DUIS refusal."""
    with pytest.raises(ValidationError) as checked:
        check_certificate(cert, SUPPLIER, at=DEFAULT_CLOCK, role=RemotePartyRole.SUPPLIER,
                          ca=ca_certificate(PKI_DIR))
    assert checked.value.field == "certificate"
    with pytest.raises(DuisError) as err:
        validate_request(SIGNED, certificate=cert)
    assert err.value.code is ResponseCode.CERTIFICATE_REFUSED
    assert err.value.reason == f"the certificate of {hyphenated(SUPPLIER)} {checked.value.reason}"
    return err.value.reason


def test_the_registered_certificate_is_accepted_and_a_rebuilt_one_too() -> None:
    """The checks refuse only what is wrong: the registered certificate, and the same
    certificate rebuilt by the test CA, pass."""
    for cert in (REGISTERED, supplier_certificate()):
        assert validate_request(SIGNED, certificate=cert).request.register is (
            DebtRegister.TIME_DEBT_1)


@pytest.mark.parametrize(("usage", "why"), [
    (key_usage("key_agreement"), "is not for digitalSignature alone (key usage: key_agreement)"),
    (key_usage("key_cert_sign"), "is not for digitalSignature alone (key usage: key_cert_sign)"),
    (key_usage("digital_signature", "key_agreement"), "is not for digitalSignature alone"),
    (None, "has no key usage extension"),
])
def test_a_certificate_not_for_signing_alone_is_refused(usage, why) -> None:
    assert why in refused_by_the_dcc(supplier_certificate(usage=usage))


def test_the_suppliers_key_agreement_certificate_registered_for_signing_is_refused(
        tmp_path) -> None:
    """The Supplier's own -ka certificate in place of its -ds one: same holder, wrong use."""
    keys = tmp_path / "keys"
    shutil.copytree(PKI_DIR, keys)
    (keys / "90b3d51f30010000-ds.pem").write_bytes((keys / "90b3d51f30010000-ka.pem")
                                                   .read_bytes())
    with pytest.raises(DuisError) as err:
        validate_request(SIGNED, keys_dir=keys)
    assert err.value.code is ResponseCode.CERTIFICATE_REFUSED
    assert "is not for digitalSignature alone" in err.value.reason


def test_a_self_signed_certificate_is_refused() -> None:
    key = load_private_key(PKI_DIR, SUPPLIER)
    name = x509.Name([unique(), role("02")])
    cert = supplier_certificate(signer=key, issuer=name)
    assert "is self-signed" in refused_by_the_dcc(cert)


def test_a_certificate_another_ca_signed_under_the_test_cas_name_is_refused() -> None:
    impostor = ec.generate_private_key(ec.SECP256R1())
    assert "is not signed by the CA it names" in refused_by_the_dcc(
        supplier_certificate(signer=impostor))


def test_a_certificate_issued_by_another_name_is_refused() -> None:
    other = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Another CA")])
    assert "is issued by 'CN=Another CA'" in refused_by_the_dcc(
        supplier_certificate(issuer=other))


@pytest.mark.parametrize("text", ["0x02", " 2", "2", "02 ", "002"])
def test_a_role_that_is_not_two_hex_digits_is_refused(text) -> None:
    assert f"unknown Remote Party Role {text!r}" in refused_by_the_dcc(
        supplier_certificate(subject=[unique(), role(text)]))


def test_two_identities_or_two_roles_are_refused() -> None:
    two_ids = supplier_certificate(subject=[unique(), unique("90B3D51F30020000"), role("02")])
    assert "names 2 x500UniqueIdentifiers, not one" in refused_by_the_dcc(two_ids)
    two_roles = supplier_certificate(subject=[unique(), role("02"), role("04")])
    assert "names 2 roles ['02', '04']" in refused_by_the_dcc(two_roles)


def _device(*names: x509.GeneralName) -> x509.Certificate:
    return supplier_certificate(subject=[], names=list(names))


def test_a_device_certificate_names_its_device_by_rfc_4108s_hardware_module_name() -> None:
    good = x509.OtherName(HARDWARE_MODULE_NAME, encode_hardware_module_name(HW_TYPE, ESME))
    assert holder(_device(good)).entity_id == ESME
    bare = x509.OtherName(HARDWARE_MODULE_NAME, bytes.fromhex("0408" + ESME))
    short = x509.OtherName(HARDWARE_MODULE_NAME, encode_hardware_module_name(HW_TYPE, "00DB12"))
    for cert, why in ((_device(bare), "is not an RFC 4108 HardwareModuleName"),
                      (_device(short), "serial number is not an 8-byte device id"),
                      (_device(good, good), "names 2 hardware modules, not one")):
        with pytest.raises(ValidationError) as err:
            holder(cert)
        assert why in err.value.reason and err.value.field == "certificate"


def test_every_device_certificate_of_the_test_pki_names_its_device() -> None:
    keys = Keys(PKI_DIR)
    ca = ca_certificate(PKI_DIR)
    for device in ("00DB1234567890A0", "00DB1234567890A1"):
        for usage in ("ds", "ka"):
            check_certificate(keys.certificate(device, usage), device, at=DEFAULT_CLOCK,
                              usage=usage, ca=ca)


def test_commissioning_refuses_a_suppliers_certificate_of_the_wrong_use(tmp_path) -> None:
    """The GBCS side: a meter never installs a Supplier key whose certificate is not for
    that use, not the Supplier's, or not from the key store's CA."""
    keys = tmp_path / "keys"
    shutil.copytree(PKI_DIR, keys)
    assert anchor_from(Keys(keys), RemotePartyRole.SUPPLIER, SUPPLIER).signing_key
    (keys / "90b3d51f30010000-ds.pem").write_bytes((keys / "90b3d51f30010000-ka.pem")
                                                   .read_bytes())
    with pytest.raises(ValidationError) as err:
        anchor_from(Keys(keys), RemotePartyRole.SUPPLIER, SUPPLIER)
    assert err.value.field == "party"
    assert err.value.reason.startswith("the ds certificate of 90B3D51F30010000 is not for "
                                       "digitalSignature alone")
    (keys / "90b3d51f30010000-ds.pem").write_bytes(
        supplier_certificate(signer=ec.generate_private_key(ec.SECP256R1()))
        .public_bytes(serialization.Encoding.PEM))
    with pytest.raises(ValidationError) as err:
        anchor_from(Keys(keys), RemotePartyRole.SUPPLIER, SUPPLIER)
    assert (err.value.field, err.value.reason) == (
        "party", "the ds certificate of 90B3D51F30010000 is not signed by the CA it names")
    with pytest.raises(ValidationError) as err:
        anchor_from(Keys(PKI_DIR), RemotePartyRole.ACCESS_CONTROL_BROKER, SUPPLIER)
    assert "is issued for SUPPLIER, not ACCESS_CONTROL_BROKER" in err.value.reason


def test_the_reference_identities_pass_every_check(reference) -> None:
    """The reference certificates (no CA certificate beside them: issuer by name only)."""
    keys_dir = reference / "keys"
    assert ca_certificate(keys_dir) is None
    keys = Keys(keys_dir)
    for entity, role_, usages in ((SUPPLIER, RemotePartyRole.SUPPLIER, ("ds", "ka")),
                                  ("90B3D51F30000002", RemotePartyRole.ACCESS_CONTROL_BROKER,
                                   ("ka",)),
                                  (ESME, None, ("ds", "ka")),
                                  ("00DB1234567890A1", None, ("ds", "ka"))):
        for usage in usages:
            check_certificate(keys.certificate(entity, usage), entity, role=role_, usage=usage,
                              at=DEFAULT_CLOCK)


def test_a_key_store_whose_ca_certificate_is_not_pem_is_refused_naming_it(tmp_path) -> None:
    from specpkg.gbcs.credentials import CA_CERTIFICATE

    (tmp_path / CA_CERTIFICATE).write_text("not a certificate")
    with pytest.raises(ValidationError) as err:
        ca_certificate(tmp_path)
    assert (err.value.field, err.value.reason) == ("keys",
                                                   f"{CA_CERTIFICATE} is not a PEM certificate")
    assert ca_certificate(tmp_path / "empty") is None  # a store without one: no CA check
