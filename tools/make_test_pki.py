"""Make the project's own TEST-ONLY PKI under data/pki (run once; output is committed).

P-256 keys and X.509 certificates for the four identities the reference set
uses (the Supplier, the ACB, the ESME and the GSME) and seven more, each with a
digital signing (ds) and a key agreement (ka) pair, named like
../shared/reference/keys: ``<entity id>-<ds|ka>.key`` (PKCS#8 PEM) and ``.pem``
(certificate). Organisation certificates name their holder as the reference ones
do: the entity id as x500UniqueIdentifier and the Remote Party Role code as OU;
device certificates name the device in a hwModuleName. ``test-ca.key``/``.pem``
is the issuing CA. These keys are published in this repository: never use them
for anything real.

    python tools/make_test_pki.py [--force]     new keys (and certificates)
    python tools/make_test_pki.py --recertify   new certificates for the same keys
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from specpkg.gbcs.credentials import HARDWARE_MODULE_NAME, encode_hardware_module_name

HW_TYPE = "1.2.826.0.1.8641679.1.2.2.1"
"""The hwType of the reference Device Certificates (../shared/reference/keys)."""

OUT = Path(__file__).resolve().parent.parent / "data" / "pki"
ENTITIES = {
    "90b3d51f30010000": "Supplier (Import and Gas Supplier, signs commands)",
    "90b3d51f30000002": "DCC Access Control Broker (MACs commands)",
    "00db1234567890a0": "ESME (signs responses)",
    "00db1234567890a1": "GSME (signs responses)",
    "90b3d51f30020000": "a second Supplier, registered for no test device (access control)",
    "90b3d51f30000003": "the DCC's DUIS signer (signs Service Responses; provisional id)",
    "90b3d51f30030000": "an Export Supplier (a User Role not eligible for the reset, TR-4)",
    "90b3d51f30040000": "an Electricity Distributor (not eligible, TR-4)",
    "90b3d51f30050000": "a Gas Transporter (not eligible, TR-4)",
    "90b3d51f30060000": "a Registered Supplier Agent (not eligible, TR-4)",
    "90b3d51f30070000": "an Other User (not eligible, TR-4)",
}
#: The Remote Party Role code of each organisation (devices have none).
ROLES = {
    "90b3d51f30010000": 0x02,  # Supplier
    "90b3d51f30020000": 0x02,  # Supplier
    "90b3d51f30000002": 0x04,  # Access Control Broker
    "90b3d51f30000003": 0x7F,  # other: the DCC's DUIS signer (provisional)
    "90b3d51f30030000": 0x02,  # Supplier (an Export Supplier is a Supplier Party)
    "90b3d51f30040000": 0x03,  # Network Operator
    "90b3d51f30050000": 0x03,  # Network Operator
    "90b3d51f30060000": 0x7F,  # other
    "90b3d51f30070000": 0x7F,  # other
}
NOT_BEFORE = dt.datetime(2018, 1, 1, tzinfo=dt.UTC)
NOT_AFTER = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


CA_NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SECMP0002 TEST-ONLY CA")])


def _issuer() -> tuple[ec.EllipticCurvePrivateKey, x509.Name]:
    """The CA's key (kept in test-ca.key, made once) and name (unchanged, so that the
    X509IssuerSerial of every XML signature stays the same)."""
    path = OUT / "test-ca.key"
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert = (x509.CertificateBuilder().subject_name(CA_NAME).issuer_name(CA_NAME)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256()))
    (OUT / "test-ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, CA_NAME


def _certificate(
    entity: str, usage: str, key: ec.EllipticCurvePrivateKey, ca: ec.EllipticCurvePrivateKey,
    ca_name: x509.Name,
) -> x509.Certificate:
    ds = usage == "ds"
    usage_ext = x509.KeyUsage(
        digital_signature=ds, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=not ds, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )
    names = [x509.NameAttribute(NameOID.COMMON_NAME, f"TEST-ONLY {entity.upper()} {usage}")]
    if entity in ROLES:  # an organisation: entity id and Remote Party Role in the subject
        names = [
            x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x00" + bytes.fromhex(entity),
                               _type=_ASN1Type.BitString),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"{ROLES[entity]:02X}"),
            *names,
        ]
    subject = x509.Name(names)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(int(entity, 16) * 2 + (0 if ds else 1))
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(usage_ext, critical=True)
    )
    if entity not in ROLES:  # a device: one hwModuleName, as GBCS v1.0 section 12 says
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.OtherName(
                HARDWARE_MODULE_NAME, encode_hardware_module_name(HW_TYPE, entity))]),
            critical=True,
        )
    return builder.sign(ca, hashes.SHA256())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="replace every existing key")
    parser.add_argument("--recertify", action="store_true",
                        help="issue new certificates for the existing keys")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    ca, ca_name = _issuer()
    if args.recertify:
        for entity in ENTITIES:
            for usage in ("ds", "ka"):
                key = serialization.load_pem_private_key(
                    (OUT / f"{entity}-{usage}.key").read_bytes(), password=None)
                cert = _certificate(entity, usage, key, ca, ca_name)
                (OUT / f"{entity}-{usage}.pem").write_bytes(
                    cert.public_bytes(serialization.Encoding.PEM))
        print(f"re-issued {len(ENTITIES) * 2} certificates in {OUT}")
        return
    todo = [e for e in ENTITIES if args.force or not (OUT / f"{e}-ds.key").exists()]
    for entity in todo:
        for usage in ("ds", "ka"):
            key = ec.generate_private_key(ec.SECP256R1())
            (OUT / f"{entity}-{usage}.key").write_bytes(key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ))
            cert = _certificate(entity, usage, key, ca, ca_name)
            pem = cert.public_bytes(serialization.Encoding.PEM)
            (OUT / f"{entity}-{usage}.pem").write_bytes(pem)
    print(f"wrote {len(todo) * 4} files to {OUT} (existing identities kept)")


if __name__ == "__main__":
    main()
