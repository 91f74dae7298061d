"""GBCS signatures and command MACs with ``cryptography`` (SR-1, SR-2, BR-5).

* Signature: ECDSA P-256 / SHA-256 over the general-signing APDU from the byte
  after ``DF`` to the end of the content, carried as raw r||s (64 bytes).
  Signing is deterministic (RFC 6979), so a message built twice is identical.
* Command MAC: AES-128-GCM with no plaintext and a 12-byte tag.
  IV = originator system title || invocation counter; AAD = ``11 00 00 00 00
  00`` || the signed APDU; key = first 16 bytes of SHA-256(``00000001`` || Z ||
  OtherInfo), Z the P-256 ECDH secret of the ACB and device ka keys.

Certificates are used for their public keys only: validity dates are never
checked (the reference certificates expired in 2025).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from specpkg.errors import ValidationError

ACB_ENTITY_ID = "90b3d51f30000002"
"""The DCC Access Control Broker that MACs commands (the test identities' ACB)."""

KDF_ALGORITHM_ID = bytes.fromhex("60857406080300")
COUNTER_ONE = bytes.fromhex("00000001")
TAG_LENGTH = 12
AAD_PREFIX = bytes.fromhex("110000000000")
_ORDER_BYTES = 32
_SIGNATURE = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
_VERIFY = ec.ECDSA(hashes.SHA256())


_ENTITY_ID = re.compile("[0-9a-f]{16}")


def entity_id(value: str | bytes) -> str:
    """A canonical entity id: 16 lower-case hex digits (from text or 8 bytes)."""
    if isinstance(value, bytes):
        if len(value) != 8:
            raise ValidationError("entity id", "a system title is 8 bytes")
        return value.hex()
    return _text_entity_id(value)


@lru_cache(maxsize=4096)
def _text_entity_id(value: str) -> str:
    text = value.replace("-", "").replace(":", "").strip().lower()
    if _ENTITY_ID.fullmatch(text) is None:
        raise ValidationError("entity id", f"not 16 hex digits: {value!r}")
    return text


SHARED_SECRETS_KEPT = 1024
"""How many ECDH shared secrets a key store keeps (one per pair of entities)."""


@dataclass
class Keys:
    """Keys and certificates in a directory named ``<entity id>-<ds|ka>.<key|pem>``.

    ``.key`` is a PKCS#8 PEM private key, ``.pem`` an X.509 certificate.
    Missing files simply mean "no key" (``None``); loaded keys are cached, and
    so are the ECDH shared secrets of the last :data:`SHARED_SECRETS_KEPT` pairs.
    """

    directory: Path
    _cache: dict[tuple[str, str, str], object] = field(default_factory=dict, repr=False)
    _secrets: OrderedDict[tuple[str, str], bytes] = field(default_factory=OrderedDict,
                                                          repr=False)

    def __post_init__(self) -> None:
        self.directory = Path(self.directory)

    def _path(self, entity: str | bytes, usage: str, suffix: str) -> Path:
        if usage not in ("ds", "ka"):
            raise ValidationError("usage", f"must be ds or ka, got {usage!r}")
        return self.directory / f"{entity_id(entity)}-{usage}.{suffix}"

    def private_key(self, entity: str | bytes, usage: str) -> ec.EllipticCurvePrivateKey | None:
        """The private key of ``entity`` for ``usage`` (ds/ka), or None."""
        key = ("private", entity_id(entity), usage)
        if key not in self._cache:
            path = self._path(entity, usage, "key")
            self._cache[key] = _load(load_private_key, path) if path.is_file() else None
        return self._cache[key]  # type: ignore[return-value]

    def public_key(self, entity: str | bytes, usage: str) -> ec.EllipticCurvePublicKey | None:
        """The public key from the certificate (else from the private key), or None."""
        key = ("public", entity_id(entity), usage)
        if key not in self._cache:
            path = self._path(entity, usage, "pem")
            if path.is_file():
                self._cache[key] = _load(load_certificate_key, path)
            else:
                private = self.private_key(entity, usage)
                self._cache[key] = None if private is None else private.public_key()
        return self._cache[key]  # type: ignore[return-value]


    def certificate(self, entity: str | bytes, usage: str) -> x509.Certificate | None:
        """The certificate of ``entity`` for ``usage`` (ds/ka) as issued, or None."""
        key = ("certificate", entity_id(entity), usage)
        if key not in self._cache:
            path = self._path(entity, usage, "pem")
            self._cache[key] = _load(load_certificate, path) if path.is_file() else None
        return self._cache[key]  # type: ignore[return-value]

    def shared_secret(self, one: str | bytes, other: str | bytes) -> bytes | None:
        """The P-256 ECDH shared secret Z of the ka keys of two entities, from
        whichever side's private key is here (None if neither is).

        Cached per pair of entities (bounded, least recently used goes first);
        the MAC key derived from it depends on each message and is never kept.
        """
        pair = (entity_id(one), entity_id(other))
        pair = (pair[0], pair[1]) if pair[0] <= pair[1] else (pair[1], pair[0])
        secret = self._secrets.get(pair)
        if secret is not None:
            self._secrets.move_to_end(pair)
            return secret
        for own, peer in (pair, pair[::-1]):
            private, public = self.private_key(own, "ka"), self.public_key(peer, "ka")
            if private is not None and public is not None:
                secret = private.exchange(ec.ECDH(), public)
                break
        else:
            return None
        self._secrets[pair] = secret
        if len(self._secrets) > SHARED_SECRETS_KEPT:
            self._secrets.popitem(last=False)
        return secret


def _load(reader, path: Path):
    """A key read with ``reader``; a bad file is a ValidationError naming it."""
    try:
        return reader(path.read_bytes())
    except ValidationError as exc:
        raise ValidationError("keys", f"{path.name}: {exc.reason}") from None


def load_private_key(pem: bytes) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PKCS#8 PEM; ValidationError for anything else."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValidationError("key", f"not a PEM private key ({_first_line(exc)})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValidationError("key", "not a P-256 private key")
    return key


def load_certificate(pem: bytes) -> x509.Certificate:
    """An X.509 certificate from PEM; ValidationError for anything that is not one."""
    try:
        return x509.load_pem_x509_certificate(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValidationError("certificate", f"not a PEM certificate ({_first_line(exc)})") \
            from None


def load_certificate_key(pem: bytes) -> ec.EllipticCurvePublicKey:
    """The P-256 public key of an X.509 certificate (validity dates not checked);
    ValidationError for anything that is not one."""
    try:
        key = x509.load_pem_x509_certificate(pem).public_key()
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValidationError("certificate", f"not a PEM certificate ({_first_line(exc)})") \
            from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ValidationError("certificate", "not a P-256 certificate")
    return key


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def sign(private_key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """Deterministic (RFC 6979) ECDSA P-256/SHA-256 signature as raw r||s."""
    r, s = decode_dss_signature(private_key.sign(data, _SIGNATURE))
    return r.to_bytes(_ORDER_BYTES, "big") + s.to_bytes(_ORDER_BYTES, "big")


def verify(public_key: ec.EllipticCurvePublicKey, data: bytes, signature: bytes) -> bool:
    """True iff ``signature`` (raw r||s) is valid for ``data``."""
    if len(signature) != 2 * _ORDER_BYTES:
        return False
    r = int.from_bytes(signature[:_ORDER_BYTES], "big")
    s = int.from_bytes(signature[_ORDER_BYTES:], "big")
    if r == 0 or s == 0:
        return False
    try:
        public_key.verify(encode_dss_signature(r, s), data, _VERIFY)
    except (InvalidSignature, ValueError):
        return False
    return True


def other_info(originator: bytes, cra: int, counter: int, recipient: bytes) -> bytes:
    """KDF OtherInfo: algorithm id || originator || 09 || CRA || counter || recipient."""
    return (
        KDF_ALGORITHM_ID
        + originator
        + b"\x09"
        + bytes([cra])
        + counter.to_bytes(8, "big")
        + recipient
    )


def derive_mac_key(
    private_key: ec.EllipticCurvePrivateKey,
    peer_public_key: ec.EllipticCurvePublicKey,
    info: bytes,
) -> bytes:
    """First 16 bytes of SHA-256(00000001 || Z || OtherInfo), Z = ECDH secret."""
    return kdf(private_key.exchange(ec.ECDH(), peer_public_key), info)


def kdf(shared_secret: bytes, info: bytes) -> bytes:
    """The MAC key: first 16 bytes of SHA-256(00000001 || Z || OtherInfo)."""
    return hashlib.sha256(COUNTER_ONE + shared_secret + info).digest()[:16]


def gcm_tag(key: bytes, iv: bytes, aad: bytes) -> bytes:
    """AES-128-GCM tag over ``aad`` with no plaintext, truncated to 12 bytes."""
    return AESGCM(key).encrypt(iv, b"", aad)[:TAG_LENGTH]


def check_tag(key: bytes, iv: bytes, aad: bytes, tag: bytes) -> bool:
    """Constant-time comparison of a received 12-byte tag."""
    return len(tag) == TAG_LENGTH and hmac.compare_digest(gcm_tag(key, iv, aad), tag)
