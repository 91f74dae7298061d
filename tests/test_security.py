"""Signatures and MACs of the RTDS vectors; deterministic signing (SR-1, SR-2, BR-5)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specpkg.errors import DecodeError
from specpkg.gbcs import messages, security
from specpkg.gbcs.envelope import MacHeader
from specpkg.gbcs.messages import Check, Verification
from specpkg.gbcs.security import Keys
from specpkg.gbcs.usecases import REGISTRY
from specpkg.gbcs.vectors import load_vectors
from specpkg.paths import PKI_DIR

SUPPLIER = "90b3d51f30010000"
ACB = "90b3d51f30000002"
PROJECT_PKI = PKI_DIR


@pytest.fixture(scope="module")
def vectors(reference: Path) -> dict[str, bytes]:
    return load_vectors(reference)


@pytest.fixture(scope="module")
def keys(reference: Path) -> Keys:
    return Keys(reference / "keys")


def test_commands_signed_by_supplier_and_maced_by_acb(
    vectors: dict[str, bytes], keys: Keys
) -> None:
    """Every command: Supplier ds signature and ACB/device ka MAC are valid."""
    supplier = keys.public_key(SUPPLIER, "ds")
    acb = keys.private_key(ACB, "ka")
    for name, data in vectors.items():
        if not name.endswith("_COMMAND"):
            continue
        message = messages.decode(data)
        assert isinstance(message, MacHeader)
        apdu = message.apdu
        assert messages.check_signature(apdu, supplier) is Check.VALID, name
        device_cert = keys.public_key(apdu.recipient, "ka")
        key = messages.mac_key(apdu, acb, device_cert)
        assert messages.check_mac(message, key) is Check.VALID, name
        assert messages.verify(message, keys) == Verification(Check.VALID, Check.VALID)


def test_device_side_derives_the_same_mac_key(vectors: dict[str, bytes], keys: Keys) -> None:
    """ECDH is symmetric: the device ka key with the ACB certificate gives the same key."""
    apdu = messages.decode(vectors["GCS04_SUCCESS_COMMAND"]).apdu
    acb_side = messages.mac_key(
        apdu, keys.private_key(ACB, "ka"), keys.public_key(apdu.recipient, "ka")
    )
    # the reference set has no device private keys; check symmetry with the project PKI
    pki = Keys(PROJECT_PKI)
    ours = messages.mac_key(apdu, pki.private_key(ACB, "ka"), pki.public_key(apdu.recipient, "ka"))
    theirs = messages.mac_key(
        apdu, pki.private_key(apdu.recipient, "ka"), pki.public_key(ACB, "ka")
    )
    assert ours == theirs and len(acb_side) == 16


def test_responses_signed_by_device(vectors: dict[str, bytes], keys: Keys) -> None:
    for name, data in vectors.items():
        if name.endswith("_RESPONSE"):
            apdu = messages.decode(data)
            device = keys.public_key(apdu.originator, "ds")
            assert messages.check_signature(apdu, device) is Check.VALID, name
            assert messages.verify(apdu, keys) == Verification(Check.VALID, Check.ABSENT)
            supplier = keys.public_key(SUPPLIER, "ds")
            assert messages.check_signature(apdu, supplier) is Check.INVALID


def test_checks_without_keys(vectors: dict[str, bytes], tmp_path: Path) -> None:
    command = messages.decode(vectors["ECS07_SUCCESS_COMMAND"])
    assert messages.verify(command, None) == Verification(Check.NO_KEY, Check.NO_KEY)
    assert messages.verify(command, Keys(tmp_path)) == Verification(Check.NO_KEY, Check.NO_KEY)
    pre = messages.decode(vectors["ECS07_SUCCESS_PRECOMMAND"])
    assert messages.verify(pre, None) == Verification(Check.ABSENT, Check.ABSENT)


def test_every_bit_flip_of_a_command_fails(vectors: dict[str, bytes], keys: Keys) -> None:
    """Flip each of the 1,792 bits of GCS04's command: it no longer decodes, or
    its MAC fails (and its signature, for bits the signature covers).

    The MAC key is derived once from the original header: any flip changes the
    AAD, IV or tag, so the tag fails whatever key a receiver would derive.
    """
    data = vectors["GCS04_SUCCESS_COMMAND"]
    original = messages.decode(data)
    key = messages.mac_key(
        original.apdu, keys.private_key(ACB, "ka"), keys.public_key(original.apdu.recipient, "ka")
    )
    supplier = keys.public_key(SUPPLIER, "ds")
    signed = range(15 + 1, 15 + len(messages.encode_apdu(original.apdu)) - 65)
    outcomes = {"decode": 0, "mac": 0}
    for bit in range(8 * len(data)):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        try:
            message = messages.decode(bytes(flipped))
        except DecodeError:
            outcomes["decode"] += 1
            continue
        assert isinstance(message, MacHeader)
        assert messages.check_mac(message, key) is Check.INVALID, bit
        outcomes["mac"] += 1
        if bit // 8 in signed:
            assert messages.check_signature(message.apdu, supplier) is Check.INVALID, bit
    assert sum(outcomes.values()) == 8 * len(data) == 1792
    assert outcomes["mac"] > 1000


def test_deterministic_signing() -> None:
    """RFC 6979: same key and bytes, same signature; it verifies with the public key."""
    pki = Keys(PROJECT_PKI)
    private = pki.private_key(SUPPLIER, "ds")
    first = security.sign(private, b"SECMP0002")
    assert first == security.sign(private, b"SECMP0002") and len(first) == 64
    assert security.verify(pki.public_key(SUPPLIER, "ds"), b"SECMP0002", first)
    assert not security.verify(pki.public_key(SUPPLIER, "ds"), b"SECMP0003", first)
    assert security.sign(private, b"SECMP0003") != first


def test_package_built_command_verifies(vectors: dict[str, bytes], keys: Keys) -> None:
    """Re-sign and re-MAC GCS04 with the project's test PKI: valid there, invalid
    against the reference keys, identical when built twice."""
    pki = Keys(PROJECT_PKI)
    apdu = replace(messages.decode(vectors["GCS04_SUCCESS_COMMAND"]).apdu, signature=None)

    def build() -> bytes:
        signed = messages.sign_apdu(apdu, pki.private_key(SUPPLIER, "ds"))
        mac = messages.add_mac(
            signed, pki.private_key(ACB, "ka"), pki.public_key(apdu.recipient, "ka")
        )
        return messages.encode(mac)

    data = build()
    assert data == build()
    message = messages.decode(data)
    assert messages.verify(message, pki) == Verification(Check.VALID, Check.VALID)
    assert messages.verify(message, keys) == Verification(Check.INVALID, Check.INVALID)


def test_reference_signature_recomputed_with_rfc6979(vectors: dict[str, bytes], keys: Keys) -> None:
    """Signing a pre-command with the Supplier key gives a valid (deterministic) signature."""
    pre = messages.decode(vectors["GCS04_SUCCESS_PRECOMMAND"])
    signed = messages.sign_apdu(pre, keys.private_key(SUPPLIER, "ds"))
    assert messages.check_signature(signed, keys.public_key(SUPPLIER, "ds")) is Check.VALID
    assert signed == messages.sign_apdu(pre, keys.private_key(SUPPLIER, "ds"))


def test_keys_store() -> None:
    pki = Keys(PROJECT_PKI)
    assert pki.private_key("90-B3-D5-1F-30-01-00-00", "ds") is pki.private_key(SUPPLIER, "ds")
    assert pki.public_key(bytes.fromhex(SUPPLIER), "ds") is not None
    assert Keys(PROJECT_PKI / "absent").public_key(SUPPLIER, "ds") is None
    with pytest.raises(security.ValidationError):
        pki.public_key("not-an-id", "ds")


@settings(max_examples=30, deadline=None)
@given(
    counter=st.integers(0, 2**64 - 1),
    invocation=st.integers(0, 2**32 - 1),
    payload=st.binary(max_size=300),
    code=st.integers(0, 0xFFFF),
)
def test_property_any_command_signs_macs_and_verifies(
    counter: int, invocation: int, payload: bytes, code: int
) -> None:
    """Any command the package builds decodes back equal and verifies (project PKI)."""
    pki = Keys(PROJECT_PKI)
    gsme = bytes.fromhex("00DB1234567890A1")
    apdu = messages.command(
        0x0FFF if code in REGISTRY else code,
        bytes.fromhex(SUPPLIER),
        gsme,
        counter,
        payload,
    )
    signed = messages.sign_apdu(apdu, pki.private_key(SUPPLIER, "ds"))
    command = messages.add_mac(
        signed, pki.private_key(ACB, "ka"), pki.public_key(gsme, "ka"), invocation
    )
    data = messages.encode(command)
    assert messages.decode(data) == command
    assert messages.verify(messages.decode(data), pki) == Verification(Check.VALID, Check.VALID)


def _unsigned_response(pki: Keys, recipient: str = SUPPLIER) -> messages.MacHeader:
    """An ESME response (of a use case whose payload is not modelled) sent without
    signature, MAC'd by the device for ``recipient``."""
    esme = bytes.fromhex("00DB1234567890A0")
    apdu = replace(messages.response(0x0001, esme, bytes.fromhex(recipient), 42, bytes(range(8))),
                   signature=b"")
    return messages.add_mac(apdu, pki.private_key(esme, "ka"), pki.public_key(recipient, "ka"),
                            invocation_counter=9)


@pytest.mark.parametrize("recipient", [SUPPLIER, ACB])
def test_unsigned_response_mac_is_checked_with_the_device_and_recipient_keys(
    keys: Keys, recipient: str
) -> None:
    """GBCS-NOTES "MAC on other messages": Z of the device's ka key and the
    recipient's; the signature check says absent, not invalid."""
    pki = Keys(PROJECT_PKI)
    message = _unsigned_response(pki, recipient)
    data = messages.encode(message)
    assert messages.mac_parties(message.apdu) == ("00db1234567890a0", recipient)
    assert messages.verify(messages.decode(data), pki, data=data) == Verification(
        Check.ABSENT, Check.VALID)
    assert messages.verify(message, pki) == Verification(Check.ABSENT, Check.VALID)
    # the reference store derives another key for the same pair (its own Supplier/ACB key)
    assert messages.verify(message, keys, data=data) == Verification(Check.ABSENT, Check.INVALID)
    assert messages.verify(message, Keys(PROJECT_PKI / "absent")) == Verification(
        Check.ABSENT, Check.NO_KEY)


def test_every_bit_flip_of_an_unsigned_response_fails() -> None:
    """No signature to lean on: the MAC alone must catch every flipped bit."""
    pki = Keys(PROJECT_PKI)
    data = messages.encode(_unsigned_response(pki))
    macs = 0
    for bit in range(8 * len(data)):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        try:
            message = messages.decode(bytes(flipped))
        except DecodeError:
            continue
        verdict = messages.verify(message, pki, data=bytes(flipped))
        assert verdict.mac in (Check.INVALID, Check.NO_KEY), bit
        assert verdict.signature is Check.ABSENT, bit
        macs += 1
    assert macs > 300


class _CountingKeys(Keys):
    loads = 0

    def private_key(self, entity: str | bytes, usage: str):  # type: ignore[no-untyped-def]
        self.loads += 1
        return super().private_key(entity, usage)


def test_shared_secret_is_cached_per_pair_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    pki = _CountingKeys(PROJECT_PKI)
    esme, gsme = "00db1234567890a0", "00db1234567890a1"
    first = pki.shared_secret(ACB, esme)
    loads = pki.loads
    assert pki.shared_secret(esme.upper(), bytes.fromhex(ACB)) is first and pki.loads == loads
    monkeypatch.setattr(security, "SHARED_SECRETS_KEPT", 1)
    other = pki.shared_secret(ACB, gsme)
    assert other != first
    assert pki.shared_secret(ACB, esme) == first and pki.loads > loads  # derived again


def test_mac_key_is_derived_per_message(vectors: dict[str, bytes], keys: Keys) -> None:
    """One ECDH secret per pair, but each counter gives its own MAC key."""
    apdu = messages.decode(vectors["GCS04_SUCCESS_COMMAND"]).apdu
    first = messages.mac_key_from(keys, apdu)
    assert messages.mac_key_from(keys, replace(apdu, originator_counter=1001)) != first
    assert messages.mac_key_from(keys, apdu) == first == messages.mac_key(
        apdu, keys.private_key(ACB, "ka"), keys.public_key(apdu.recipient, "ka"))
