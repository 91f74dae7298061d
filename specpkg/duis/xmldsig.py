"""XML-DSig for DUIS messages, as in the real Service Requests (SR-9 requests are signed).

An enveloped signature over the whole document (``Reference URI=""``, one
``enveloped-signature`` transform), exclusive canonicalisation, SHA-256
digest, ECDSA P-256 with SHA-256, and a ``KeyInfo`` naming the certificate by
issuer and serial number: the structure of the reference requests behind
ECS07/GCS04.

Signing is deterministic (RFC 6979 ECDSA nonces) where OpenSSL supports it
(:data:`DETERMINISTIC_SIGNING`), so the same request and key give the same
bytes; :func:`redact_signature_value` shows a document without the signature
bytes, for outputs that must not depend on that.

Every signed document is written **compact**: no whitespace-only text between
elements (:func:`compact`), as the DCC's own signing tool (npm
``@smartdcc/duis-sign-wrap``, which wraps the DCC Boxed signing tool) writes and
validates them; that tool's validator fails a document whose signature covers
indentation. :func:`pretty_view` is the readable, *unsigned* view of a signed
document for notebooks and reviewers; it is never sent.

Verification uses the sender's certificate given by the caller, never one
carried in the message, and accepts nothing but the algorithms above. It
verifies the document as it came, compact or not (the DCC's tool signs compact
documents; a document signed indented verifies too).
"""

from __future__ import annotations

import base64
import copy
import re
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.backends.openssl.backend import backend
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
)
from signxml.exceptions import InvalidInput, SignXMLException
from signxml.verifier import SignatureConfiguration

from specpkg.errors import SpecError

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"


class SignatureInvalid(SpecError, ValueError):
    """A signature that is missing, malformed, or does not verify with the sender's key."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"signature: {reason}")


class KeyMissing(SpecError, FileNotFoundError):
    """No key or certificate for an entity in the keys folder."""


def key_files(keys_dir: Path, entity_id: str) -> tuple[Path, Path]:
    """The ds private key and certificate of ``entity_id`` (16 hex digits) in ``keys_dir``."""
    stem = entity_id.replace("-", "").lower()
    return keys_dir / f"{stem}-ds.key", keys_dir / f"{stem}-ds.pem"


def load_certificate(keys_dir: Path, entity_id: str) -> x509.Certificate:
    path = key_files(keys_dir, entity_id)[1]
    if not path.is_file():
        raise KeyMissing(f"no ds certificate for {entity_id} in {keys_dir.name}/")
    return x509.load_pem_x509_certificate(path.read_bytes())


def load_private_key(keys_dir: Path, entity_id: str) -> ec.EllipticCurvePrivateKey:
    path = key_files(keys_dir, entity_id)[0]
    if not path.is_file():
        raise KeyMissing(f"no ds private key for {entity_id} in {keys_dir.name}/")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyMissing(f"the ds key of {entity_id} is not an EC key")
    return key


#: RFC 6979 needs OpenSSL 3.2 or later; elsewhere signatures fall back to random nonces
#: (still valid, only not byte-for-byte reproducible).
DETERMINISTIC_SIGNING = bool(backend.ecdsa_deterministic_supported())


class _DeterministicKey:
    """Wraps an EC key so that signxml's ECDSA signatures use RFC 6979 nonces."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self._key = key
        self.key_size = key.key_size

    def sign(self, data: bytes, signature_algorithm: ec.ECDSA) -> bytes:
        algorithm = ec.ECDSA(
            signature_algorithm.algorithm, deterministic_signing=DETERMINISTIC_SIGNING
        )
        return self._key.sign(data, algorithm)


def _key_info(cert: x509.Certificate) -> etree._Element:
    ds = f"{{{DS_NS}}}"
    key_info = etree.Element(ds + "KeyInfo", nsmap={"ds": DS_NS})
    serial = etree.SubElement(etree.SubElement(key_info, ds + "X509Data"), ds + "X509IssuerSerial")
    etree.SubElement(serial, ds + "X509IssuerName").text = cert.issuer.rfc4514_string()
    etree.SubElement(serial, ds + "X509SerialNumber").text = str(cert.serial_number)
    return key_info


def compact(root: etree._Element) -> etree._Element:
    """``root`` (changed in place) without whitespace-only text between elements.

    Text that is only whitespace, in an element that has child elements, is
    indentation: it goes. Every other text (a value, even one of spaces, in an
    element without children) is kept.
    """
    for element in root.iter():
        if len(element) and element.text is not None and not element.text.strip():
            element.text = None
        if element.tail is not None and not element.tail.strip():
            element.tail = None
    return root


def pretty_view(data: bytes, *, signature: bool = False) -> str:
    """A signed document as readable, indented text, for notebooks: *not* the bytes
    that were signed or sent. Without ``signature`` the ds:Signature is left out (a
    comment says so); with it, only its value is redacted."""
    from specpkg.duis.xmlsafe import parse_xml

    root = parse_xml(data, max_bytes=max(len(data), 1))
    for sig in root.findall(f"{{{DS_NS}}}Signature"):
        if signature:
            value = sig.find(f"{{{DS_NS}}}SignatureValue")
            if value is not None:
                value.text = "[signature value: 64 bytes, base64]"
        else:
            sig.addprevious(etree.Comment(" ds:Signature left out of this view "))
            root.remove(sig)
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="unicode")


def sign_enveloped(
    root: etree._Element, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate
) -> bytes:
    """The document ``root`` with an enveloped ds:Signature appended, as compact UTF-8
    bytes (:func:`compact`; ``root`` itself is not changed)."""
    signer = XMLSigner(
        signature_algorithm=SignatureMethod.ECDSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signed = signer.sign(
        compact(copy.deepcopy(root)),
        key=_DeterministicKey(key),  # type: ignore[arg-type]
        key_info=_key_info(cert),
        # Name exclusive c14n as a Transform too: without it, XML-DSig's default for
        # the reference is inclusive c14n, and standard verifiers would disagree.
        exclude_c14n_transform_element=False,
    )
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def _config(at: datetime) -> SignatureConfiguration:
    return SignatureConfiguration(
        location="./",
        expect_references=1,
        signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
        verification_time=at,
    )


def check_structure(root: etree._Element) -> etree._Element:
    """The single ds:Signature, last child of the root, with the expected algorithms."""
    signatures = root.findall(f".//{{{DS_NS}}}Signature")
    if not signatures:
        raise SignatureInvalid("no ds:Signature element")
    if len(signatures) > 1:
        raise SignatureInvalid(f"{len(signatures)} ds:Signature elements; exactly one expected")
    signature = signatures[0]
    if signature.getparent() is not root or root[-1] is not signature:
        raise SignatureInvalid("ds:Signature must be the last child of the root element")
    ns = {"ds": DS_NS}
    c14n = signature.xpath("ds:SignedInfo/ds:CanonicalizationMethod/@Algorithm", namespaces=ns)
    if c14n != [EXC_C14N]:
        raise SignatureInvalid("canonicalisation must be exclusive c14n")
    references = signature.findall("ds:SignedInfo/ds:Reference", ns)
    if len(references) != 1 or references[0].get("URI") != "":
        raise SignatureInvalid('exactly one Reference with URI="" (the whole document) expected')
    transforms = references[0].xpath("ds:Transforms/ds:Transform/@Algorithm", namespaces=ns)
    if transforms not in ([ENVELOPED], [ENVELOPED, EXC_C14N]):
        raise SignatureInvalid(
            "transforms must be enveloped-signature, optionally then exclusive c14n"
        )
    return signature


def verify_enveloped(data: bytes, cert: x509.Certificate, *, at: datetime) -> etree._Element:
    """The signed document as verified, or :class:`SignatureInvalid`.

    Returns the element the signature covers, canonicalised (exclusive c14n, the
    enveloped signature removed): read every value the receiver acts on from it,
    never from a second parse of the raw text. ``data`` must hold no comment or
    processing instruction (:func:`specpkg.duis.xmlsafe.parse_xml` refuses them);
    a ``KeyInfo`` naming another certificate than ``cert`` is refused; ``at`` is
    the time the certificate must be valid at.
    """
    from specpkg.duis.xmlsafe import parse_xml

    signature = check_structure(parse_xml(data, max_bytes=max(len(data), 1)))
    check_key_info(signature, cert)
    try:
        result = XMLVerifier().verify(data, x509_cert=cert, expect_config=_config(at))
    except (SignXMLException, InvalidInput) as exc:
        raise SignatureInvalid(f"does not verify with the sender's certificate ({exc})") from None
    except (ValueError, TypeError, etree.LxmlError) as exc:
        # signxml checks the Signature element against the XML-DSig schema too
        raise SignatureInvalid(f"unreadable signature ({exc})") from None
    return result.signed_xml


def check_key_info(signature: etree._Element, cert: x509.Certificate) -> None:
    """A ``KeyInfo`` may only name ``cert``: by issuer and serial number, or the
    certificate itself; anything else is refused (the receiver never trusts a
    certificate a message carries)."""
    ns = {"ds": DS_NS}
    key_info = signature.find("ds:KeyInfo", ns)
    if key_info is None:
        return
    for serial in key_info.iterfind("ds:X509Data/ds:X509IssuerSerial", ns):
        issuer = serial.findtext("ds:X509IssuerName", default="", namespaces=ns).strip()
        number = serial.findtext("ds:X509SerialNumber", default="", namespaces=ns).strip()
        if issuer != cert.issuer.rfc4514_string() or number != str(cert.serial_number):
            raise SignatureInvalid(f"KeyInfo names certificate {issuer} #{number}, not the "
                                   "sender's registered certificate")
    for carried in key_info.iterfind("ds:X509Data/ds:X509Certificate", ns):
        der = "".join((carried.text or "").split())
        if der != base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode():
            raise SignatureInvalid("KeyInfo carries a certificate that is not the sender's "
                                   "registered one")
    unknown = [etree.QName(c).localname for c in key_info.iter()
               if isinstance(c.tag, str) and etree.QName(c).localname not in _KEY_INFO_PARTS]
    if unknown:
        raise SignatureInvalid(f"KeyInfo holds {', '.join(unknown)}: only the registered "
                               "certificate may be named")


_KEY_INFO_PARTS = {"KeyInfo", "X509Data", "X509IssuerSerial", "X509IssuerName",
                   "X509SerialNumber", "X509Certificate"}


def redact_signature_value(data: bytes) -> str:
    """The document as text with the ds:SignatureValue content replaced by a placeholder."""
    return re.sub(
        r"(<ds:SignatureValue>)[^<]*(</ds:SignatureValue>)",
        r"\1[signature value: 64 bytes, base64]\2",
        data.decode("utf-8"),
    )
