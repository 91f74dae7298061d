"""Export for other tools: golden vectors, and independent verification with the
reference identities (issue 4)."""

from __future__ import annotations

import filecmp
import hashlib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lxml import etree
from signxml import XMLVerifier
from signxml.verifier import SignatureConfiguration

from specpkg.__main__ import main
from specpkg.paths import DATA_DIR, PKI_DIR
from specpkg.system.export import GOLDEN_DIR, export


def test_golden_vectors_regenerate_byte_for_byte(tmp_path: Path) -> None:
    """data/golden is what the package makes with the test-only PKI, byte for byte."""
    export(PKI_DIR, tmp_path)
    golden = sorted(p.name for p in GOLDEN_DIR.iterdir())
    assert golden == sorted(p.name for p in tmp_path.iterdir())
    assert len(golden) == 6 * 2 * 4 + 1
    _, mismatch, errors = filecmp.cmpfiles(GOLDEN_DIR, tmp_path, golden, shallow=False)
    assert not mismatch and not errors


# --- an independent check: only `cryptography`, lxml and signxml, and GBCS-NOTES ----------

def _cert_key(path: Path) -> ec.EllipticCurvePublicKey:
    return x509.load_pem_x509_certificate(path.read_bytes()).public_key()


def _private(path: Path) -> ec.EllipticCurvePrivateKey:
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def _length(data: bytes, pos: int) -> tuple[int, int]:
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    n = first & 0x7F
    return int.from_bytes(data[pos + 1:pos + 1 + n], "big"), pos + 1 + n


def _check_signature(apdu: bytes, key: ec.EllipticCurvePublicKey) -> None:
    assert apdu[0] == 0xDF and apdu[-65] == 0x40
    raw = apdu[-64:]
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, apdu[1:-65], ec.ECDSA(hashes.SHA256()))


def _check_mac(command: bytes, acb: ec.EllipticCurvePrivateKey,
               device: ec.EllipticCurvePublicKey) -> bytes:
    assert command[:7] == bytes.fromhex("DD000000000000")
    length, pos = _length(command, 7)
    body = command[pos:pos + length]
    assert body[0] == 0x11 and len(body) == length
    invocation, apdu, tag = body[1:5], body[5:-12], body[-12:]
    cra, counter = apdu[2], apdu[3:11]
    originator, recipient = apdu[12:20], apdu[21:29]
    z = acb.exchange(ec.ECDH(), device)
    info = (bytes.fromhex("60857406080300") + originator + b"\x09" + bytes([cra]) + counter
            + recipient)
    key = hashlib.sha256(b"\x00\x00\x00\x01" + z + info).digest()[:16]
    decryptor = Cipher(algorithms.AES(key), modes.GCM(originator + invocation, tag,
                                                      min_tag_length=12)).decryptor()
    decryptor.authenticate_additional_data(bytes.fromhex("110000000000") + apdu)
    decryptor.finalize()  # raises InvalidTag if the MAC is wrong
    return apdu


def test_reference_identities_can_verify_every_exported_file(reference: Path,
                                                             tmp_path: Path) -> None:
    keys = reference / "keys"
    rows = export(keys, tmp_path)
    supplier = _cert_key(keys / "90b3d51f30010000-ds.pem")
    acb = _private(keys / "90b3d51f30000002-ka.key")
    devices = {"ESME": "00db1234567890a0", "GSME": "00db1234567890a1"}
    checked = 0
    for row in rows:
        path = tmp_path / row["file"]
        if row["file"].endswith("_COMMAND_GBCS.HEX"):
            command = bytes.fromhex(path.read_text())
            device_ka = _cert_key(keys / f"{devices[row['device']]}-ka.pem")
            apdu = _check_mac(command, acb, device_ka)
            _check_signature(apdu, supplier)
            pre = bytes.fromhex((tmp_path / row["file"].replace("_COMMAND_", "_PRECOMMAND_"))
                                .read_text())
            assert apdu.startswith(pre) and len(apdu) == len(pre) + 65
            checked += 1
        elif row["file"].endswith("_REQUEST_DUIS.XML"):
            pem = (keys / "90b3d51f30010000-ds.pem").read_bytes()
            # the reference certificates have expired: verify at a time they were valid
            when = x509.load_pem_x509_certificate(pem).not_valid_before_utc
            XMLVerifier().verify(path.read_bytes(), x509_cert=pem.decode(),
                                 expect_config=SignatureConfiguration(verification_time=when))
            checked += 1
        elif row["file"].endswith("_RESPONSE_GBCS.HEX"):
            assert "no ds private key" in row["note"] and not path.exists()
    assert checked == 6 * 2 * 2


def test_golden_requests_are_schema_valid() -> None:
    schema = etree.XMLSchema(etree.parse(str(DATA_DIR / "duis" / "ResetDebtRegister.xsd")))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for path in sorted(GOLDEN_DIR.glob("*_REQUEST_DUIS.XML")):
        assert schema.validate(etree.parse(str(path), parser)), path.name


def test_export_command_line(tmp_path: Path, capsys) -> None:
    assert main(["export", "--keys", str(PKI_DIR), "--out", str(tmp_path)]) == 0
    assert "wrote 48 files" in capsys.readouterr().out
    assert main(["export", "--keys", str(tmp_path / "none"), "--out", str(tmp_path)]) == 2
    assert "no such folder" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["export", "--keys", str(empty), "--out", str(tmp_path / "o")]) == 2
    assert "needs the Supplier ds key" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["XYZ", "00DB12"])
def test_export_refuses_bad_identities(tmp_path: Path, capsys, bad: str) -> None:
    argv = ["export", "--keys", str(PKI_DIR), "--out", str(tmp_path), "--esme", bad]
    assert main(argv) == 2
    assert "entity id" in capsys.readouterr().err
