"""Whole GBCS messages: decode, encode, sign, MAC and verify (SR-1, SR-2, BR-5).

:func:`decode` turns bytes into a typed message (a :class:`MacHeader` around a
general-signing APDU, or a bare :class:`GeneralSigning` pre-command, response
or alert) whose payload is decoded by the codec of its use case in
:data:`specpkg.gbcs.usecases.REGISTRY`, or left as bytes. :func:`encode` gives
the identical bytes back. :func:`verify` checks the signature and the MAC of
any message whose keys are at hand.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass, replace
from enum import Enum, IntEnum, StrEnum
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from specpkg.errors import DecodeError, ValidationError
from specpkg.gbcs import axdr, dlms, envelope, gbz, security
from specpkg.gbcs.envelope import Cra, GeneralSigning, MacHeader, Message
from specpkg.gbcs.usecases import REGISTRY, UseCase

__all__ = ["Cra", "GeneralSigning", "MacHeader", "Message"]


def use_case_of(message: Message) -> UseCase | None:
    """The use case of a message (modelled, or named from the GBCS table), if known."""
    return REGISTRY.get(apdu_of(message).message_code)


def apdu_of(message: Message) -> GeneralSigning:
    """The general-signing APDU of a message (inside the MAC header, if any)."""
    return message.apdu if isinstance(message, MacHeader) else message


def decode(data: bytes, payloads: bool = True, fast: bool = True) -> Message:
    """Decode a whole GBCS message; malformed input raises only DecodeError.

    With ``payloads=False`` every payload stays bytes. ``fast=False`` uses only
    the construct definitions (no hand-rolled fast paths).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DecodeError(0, f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise DecodeError(0, "empty message")
    return envelope.decode(data, REGISTRY if payloads else envelope.OPAQUE, fast)


def content_bytes(apdu: GeneralSigning, fast: bool = True) -> bytes:
    """The content bytes of an APDU (its payload encoded)."""
    return REGISTRY.encode(apdu.message_code, apdu.payload, fast)


def encode_apdu(apdu: GeneralSigning, fast: bool = True) -> bytes:
    """Encode a general-signing APDU (with its signature field, if any)."""
    return envelope.encode(apdu, REGISTRY, fast)


def encode(message: Message, fast: bool = True) -> bytes:
    """Encode a message: the exact inverse of :func:`decode`. ``fast=False``
    builds with the construct definitions only (no hand-rolled fast paths)."""
    return envelope.encode(message, REGISTRY, fast)


def signed_data(apdu: GeneralSigning, apdu_bytes: bytes | None = None) -> bytes:
    """The bytes the signature covers: after ``DF`` to the end of the content
    (cut from ``apdu_bytes`` when the APDU's own bytes are at hand)."""
    return envelope.signed_bytes(apdu_bytes or encode_apdu(apdu), apdu)


def sign_apdu(apdu: GeneralSigning, private_key: ec.EllipticCurvePrivateKey) -> GeneralSigning:
    """The APDU with a deterministic signature by ``private_key``."""
    unsigned = replace(apdu, signature=None)
    return replace(unsigned, signature=security.sign(private_key, signed_data(unsigned)))


def mac_inputs(
    apdu_bytes: bytes, apdu: GeneralSigning, invocation_counter: int
) -> tuple[bytes, bytes]:
    """(IV, AAD) of the MAC.

    IV = originator title || invocation counter. AAD = ``11 00 00 00 00 00``
    || the general-signing APDU, literally as GBCS-NOTES gives it (all reference
    vectors have invocation counter zero, so how a non-zero counter would enter
    the AAD is not pinned down by them).
    """
    iv = apdu.originator + invocation_counter.to_bytes(4, "big")
    return iv, security.AAD_PREFIX + apdu_bytes


def _other_info(apdu: GeneralSigning) -> bytes:
    return security.other_info(apdu.originator, int(apdu.cra), apdu.originator_counter,
                               apdu.recipient)


def mac_key(
    apdu: GeneralSigning,
    private_key: ec.EllipticCurvePrivateKey,
    peer_public_key: ec.EllipticCurvePublicKey,
) -> bytes:
    """The derived AES key of this message from one side's ka private key and
    the other side's ka public key."""
    return security.derive_mac_key(private_key, peer_public_key, _other_info(apdu))


def add_mac(
    apdu: GeneralSigning,
    private_key: ec.EllipticCurvePrivateKey,
    peer_public_key: ec.EllipticCurvePublicKey,
    invocation_counter: int = 0,
) -> MacHeader:
    """Wrap a signed command, or any response or alert, in a MAC header (one
    party's ka private key, the other's ka public key)."""
    if apdu.cra is Cra.COMMAND and not apdu.signed:
        raise ValidationError("signature", "sign the command before adding the MAC")
    apdu_bytes = encode_apdu(apdu)
    iv, aad = mac_inputs(apdu_bytes, apdu, invocation_counter)
    tag = security.gcm_tag(mac_key(apdu, private_key, peer_public_key), iv, aad)
    return MacHeader(apdu, tag, invocation_counter)


def protect(
    apdu: GeneralSigning, keys: security.Keys, signer: str | bytes,
    acb: str = security.ACB_ENTITY_ID, invocation_counter: int = 0,
) -> MacHeader:
    """A command as it leaves the DCC: signed by ``signer`` (the Remote Party's ds
    key), then MAC'd by the ACB for the recipient (ACB ka key, device ka certificate)."""
    signer_key = keys.private_key(signer, "ds")
    acb_key = keys.private_key(acb, "ka")
    device_ka = keys.public_key(apdu.recipient, "ka")
    if signer_key is None or acb_key is None or device_ka is None:
        raise ValidationError("keys", "protect needs the signer's ds key, the ACB's ka key "
                                      "and the recipient's ka certificate")
    return add_mac(sign_apdu(apdu, signer_key), acb_key, device_ka, invocation_counter)


class Check(StrEnum):
    """Outcome of a signature or MAC check."""

    VALID = "valid"
    INVALID = "invalid"
    ABSENT = "absent"
    NO_KEY = "no-key"


@dataclass(frozen=True)
class Verification:
    """What the signature and MAC checks of one message found."""

    signature: Check
    mac: Check


def check_signature(
    apdu: GeneralSigning, public_key: ec.EllipticCurvePublicKey | None,
    apdu_bytes: bytes | None = None,
) -> Check:
    """Check the originator's signature of an APDU (``apdu_bytes``: its own
    bytes, when at hand, so that nothing is re-encoded)."""
    if not apdu.signature:
        return Check.ABSENT
    if public_key is None:
        return Check.NO_KEY
    ok = security.verify(public_key, signed_data(apdu, apdu_bytes), apdu.signature)
    return Check.VALID if ok else Check.INVALID


def check_mac(message: Message, key: bytes | None, apdu_bytes: bytes | None = None) -> Check:
    """Check the MAC of a message with an already derived key."""
    if not isinstance(message, MacHeader):
        return Check.ABSENT
    if key is None:
        return Check.NO_KEY
    iv, aad = mac_inputs(apdu_bytes or encode_apdu(message.apdu), message.apdu,
                         message.invocation_counter)
    return Check.VALID if security.check_tag(key, iv, aad, message.mac) else Check.INVALID


def mac_parties(apdu: GeneralSigning, acb: str = security.ACB_ENTITY_ID) -> tuple[str, str]:
    """The two entities whose ka keys MAC a message: the ACB and the device for
    a command; the originator and the recipient for a response or an alert."""
    if apdu.cra is Cra.COMMAND:
        return security.entity_id(acb), security.entity_id(apdu.recipient)
    return security.entity_id(apdu.originator), security.entity_id(apdu.recipient)


def mac_key_from(
    keys: security.Keys, apdu: GeneralSigning, acb: str = security.ACB_ENTITY_ID
) -> bytes | None:
    """The MAC key of this message from whichever party's ka private key is in
    ``keys`` (the ECDH secret is cached per pair; the key is derived each time)."""
    secret = keys.shared_secret(*mac_parties(apdu, acb))
    return None if secret is None else security.kdf(secret, _other_info(apdu))


def verify(
    message: Message, keys: security.Keys | None, acb: str = security.ACB_ENTITY_ID,
    data: bytes | None = None,
) -> Verification:
    """Check the signature (the originator's ds key) and the MAC (see
    :func:`mac_parties`) of a message. ``data``: the bytes it was decoded from,
    when at hand, so that nothing is re-encoded."""
    apdu = apdu_of(message)
    apdu_bytes = envelope.apdu_bytes_of(data) if data is not None else None
    public = keys.public_key(apdu.originator, "ds") if keys is not None else None
    signature = check_signature(apdu, public, apdu_bytes)
    if not isinstance(message, MacHeader):
        return Verification(signature, Check.ABSENT)
    key = mac_key_from(keys, apdu, acb) if keys is not None else None
    return Verification(signature, check_mac(message, key, apdu_bytes))


def command(
    message_code: int,
    originator: bytes,
    recipient: bytes,
    originator_counter: int,
    payload: Any,
    date_time: bytes = b"",
) -> GeneralSigning:
    """An unsigned command APDU (a pre-command before signing)."""
    return GeneralSigning(
        Cra.COMMAND, originator_counter, originator, recipient, message_code, payload, date_time
    )


def response(
    message_code: int, originator: bytes, recipient: bytes, originator_counter: int,
    payload: Any, date_time: bytes = b"",
) -> GeneralSigning:
    """An unsigned response APDU (the device is the originator)."""
    return replace(command(message_code, originator, recipient, originator_counter, payload,
                           date_time), cra=Cra.RESPONSE)


def response_results(apdu: GeneralSigning) -> list[str] | None:
    """The outcome of each command a response answers (ZCL status or ACCESS result,
    by name, hex when unnamed), or None when the payload reports no outcomes."""
    payload = apdu.payload
    found: list[IntEnum | int]
    if isinstance(payload, gbz.Gbz):
        found = [c.frame.payload.status for c in payload.components
                 if isinstance(c.frame, gbz.ZclFrame)
                 and isinstance(c.frame.payload, gbz.DefaultResponse)]
    elif isinstance(payload, dlms.AccessResponse):
        found = [spec.result for spec in payload.specs]
    else:
        return None
    return [r.name.lower() if isinstance(r, IntEnum) else f"0x{r:02X}" for r in found] or None


def to_plain(value: Any) -> Any:
    """JSON-ready view of a decoded message or payload: enums by name, bytes as
    upper-case hex, OBIS codes as text, dataclasses as dicts."""
    if isinstance(value, axdr.Data):
        return {"type": value.type.name.lower(), "value": value.plain()}
    if isinstance(value, dlms.Obis):
        return str(value)
    if isinstance(value, Enum):
        return value.name.lower()
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex().upper()
    if is_dataclass(value) and not isinstance(value, type):
        out = {"kind": type(value).__name__}
        out.update({f.name: to_plain(getattr(value, f.name)) for f in fields(value)})
        return out
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    return value
