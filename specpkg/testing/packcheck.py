"""What ``testpack --check`` verifies beyond the file hashes (TR-6, issue 18 item 4).

A SHA-256 list proves nothing once anyone can recompute it, so the pack is
trusted only through the DCC's signature and what the files themselves say:

* :func:`sign_manifest` / :func:`verify_manifest`: the DCC signs the SHA-256 of
  ``manifest.json`` with its XML signing key (enveloped XML-DSig, as it signs
  Service Responses) into ``manifest.sig.xml``; the checker verifies it with the
  DCC's certificate from *its own* key store, never from the pack;
* :func:`check_samples`: every sample's XML signatures (the User's on the
  request, the DCC's on the Service Response) and GBCS signatures and MACs verify
  with the checker's keys; the sample's message codes, use case and Service
  Request variant are the ones the pack's catalogue gives its device and
  register; the pack's Parse and Correlate correlates its Pre-Command and parses
  its response into the MMC output the pack holds; and catalogue and samples
  cover the same devices and registers;
* :func:`read_json`, :func:`read_text`: the pack's JSON and text files read
  without a traceback whatever they hold (size, depth, encoding, type).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from lxml import etree

from specpkg.duis import responses
from specpkg.duis.codes import DuisError
from specpkg.duis.intake import validate_request
from specpkg.duis.mmc import MmcMismatch, ParseAndCorrelate
from specpkg.duis.reset_request import DEFAULT_CLOCK, SCHEMA_VERSION, SR_NS
from specpkg.duis.xmldsig import (
    KeyMissing,
    SignatureInvalid,
    load_certificate,
    load_private_key,
    sign_enveloped,
    verify_enveloped,
)
from specpkg.duis.xmlsafe import XmlRefused, parse_xml
from specpkg.errors import DecodeError, ValidationError
from specpkg.gbcs import messages
from specpkg.gbcs.catalogue import Catalogue
from specpkg.gbcs.credentials import ca_certificate, check_certificate
from specpkg.gbcs.security import Keys
from specpkg.meter.registers import DebtRegister, Device

SIGNATURE = "manifest.sig.xml"
#: The DCC's XML signing identity (the one that signs Service Responses).
DCC_SIGNER_ID = responses.DCC_SIGNER_ID
#: The largest JSON or text file of a pack read (a manifest is about 10 KiB).
MAX_FILE_BYTES = 1024 * 1024
_TAG = "TestPackManifest"

#: The GBCS messages of one sample, and what each must carry: (signature, MAC).
GBCS_CHECKS = {
    "pre_command.hex": ("absent", "absent"),
    "signed_pre_command.hex": ("valid", "absent"),
    "command.hex": ("valid", "valid"),
    "response.hex": ("valid", "absent"),
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_text(path: Path, field: str) -> str:
    """A pack file as UTF-8 text; ValidationError naming the file otherwise."""
    if not path.is_file():
        raise ValidationError(field, f"no file {path.name}")
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(field, f"{path.name} is {len(data)} bytes, over "
                                     f"{MAX_FILE_BYTES}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(field, f"{path.name} is not UTF-8 (byte {exc.start})") from None


def read_json(path: Path, field: str, kind: type = dict) -> Any:
    """A pack file as JSON of ``kind``; ValidationError naming the fault otherwise
    (not UTF-8, not JSON, nested too deep to read, or of another type)."""
    text = read_text(path, field)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(field, f"{path.name} is not JSON: {exc}") from None
    except RecursionError:
        raise ValidationError(field, f"{path.name} is nested too deep to be a "
                                     "test pack file") from None
    if not isinstance(value, kind):
        raise ValidationError(field, f"{path.name} holds a JSON {type(value).__name__}, "
                                     f"not a JSON {'object' if kind is dict else kind.__name__}")
    return value


# --------------------------------------------------------------------------- the DCC's signature

def sign_manifest(manifest: bytes, keys_dir: Path, signer_id: str = DCC_SIGNER_ID) -> bytes:
    """``manifest.sig.xml``: the manifest's SHA-256, signed by the DCC."""
    root = etree.Element(_TAG, file="manifest.json")
    etree.SubElement(root, "SHA256").text = sha256(manifest)
    try:
        key, cert = load_private_key(keys_dir, signer_id), load_certificate(keys_dir, signer_id)
    except KeyMissing as exc:
        raise ValidationError("keys", str(exc)) from None
    return sign_enveloped(root, key, cert)


def verify_manifest(manifest: bytes, signature_path: Path, keys_dir: Path,
                    signer_id: str = DCC_SIGNER_ID) -> None:
    """The manifest is the one the DCC signed: ``manifest.sig.xml`` verifies with the
    DCC's certificate in ``keys_dir`` and names the manifest's SHA-256."""
    if not signature_path.is_file():
        raise ValidationError("signature", f"no {SIGNATURE}: the manifest is not signed by "
                                           "the DCC")
    try:
        cert = load_certificate(keys_dir, signer_id)
        check_certificate(cert, signer_id, at=DEFAULT_CLOCK, ca=ca_certificate(keys_dir))
    except KeyMissing as exc:
        raise ValidationError("keys", f"the DCC's certificate: {exc}") from None
    except ValueError as exc:
        raise ValidationError("keys", f"the DCC's certificate {signer_id} cannot be used: "
                                      f"{getattr(exc, 'reason', exc)}") from None
    data = signature_path.read_bytes()
    try:
        signed = verify_enveloped(data, cert, at=DEFAULT_CLOCK)
    except (SignatureInvalid, XmlRefused) as exc:
        raise ValidationError("signature", f"{SIGNATURE} is not the DCC's signature: "
                                           f"{exc.reason}") from None
    if signed.tag != _TAG or signed.findtext("SHA256") != sha256(manifest):
        raise ValidationError("signature", "the DCC signed another manifest: manifest.json "
                                           "was changed after signing")


# --------------------------------------------------------------------------- the samples

def _hex_message(path: Path) -> tuple[bytes, messages.Message]:
    text = read_text(path, "samples")
    try:
        data = bytes.fromhex("".join(text.split()))
        return data, messages.decode(data)
    except (ValueError, DecodeError) as exc:
        raise ValidationError("samples", f"{path}: not a GBCS message: {exc}") from None


def check_sample(folder: Path, device: Device, register: DebtRegister, catalogue: Catalogue,
                 pnc: ParseAndCorrelate, keys_dir: Path) -> None:
    """One sample folder agrees with the pack's catalogue and Parse and Correlate, and
    every signature and MAC in it verifies with the checker's keys."""
    where = f"samples/{device.value}/{register.value}"
    entry = catalogue.entry(device, register)
    keys = Keys(keys_dir)
    decoded = {}
    for name, (signature, mac) in GBCS_CHECKS.items():
        data, message = _hex_message(folder / name)
        verdict = messages.verify(message, keys, data=data)
        found = (verdict.signature.value, verdict.mac.value)
        if found != (signature, mac):
            raise ValidationError("samples", f"{where}/{name}: signature {found[0]}, MAC "
                                             f"{found[1]}; expected {signature}, {mac}")
        apdu = messages.apdu_of(message)
        if apdu.message_code != entry.message_code:
            raise ValidationError("samples", f"{where}/{name} has message code "
                                             f"0x{apdu.message_code:04X}; the catalogue maps "
                                             f"it to {entry.message_code_hex}")
        use_case = messages.use_case_of(message)
        if use_case is None or use_case.name != entry.use_case:
            raise ValidationError("samples", f"{where}/{name} is use case "
                                             f"{use_case.name if use_case else 'unknown'}; the "
                                             f"catalogue says {entry.use_case}")
        decoded[name] = data
    request_xml = (folder / "request.xml").read_bytes()
    try:
        accepted = validate_request(request_xml, keys_dir=keys_dir, at=DEFAULT_CLOCK)
    except DuisError as exc:
        raise ValidationError("samples", f"{where}/request.xml is refused: {exc}") from None
    request = accepted.request
    root = parse_xml(request_xml)
    if request.register is not register or accepted.device is not device:
        raise ValidationError("samples", f"{where}/request.xml is for {accepted.device.value} "
                                         f"{request.register.value}")
    if root.get("schemaVersion") != SCHEMA_VERSION:
        raise ValidationError("samples", f"{where}/request.xml is DUIS schema "
                                         f"{root.get('schemaVersion')}, not {SCHEMA_VERSION}")
    variant = root.findtext(f"{{{SR_NS}}}Header/{{{SR_NS}}}ServiceReferenceVariant")
    if variant != entry.service_reference_variant:
        raise ValidationError("samples", f"{where}/request.xml is Service Request {variant}; "
                                         f"the catalogue says {entry.service_reference_variant}")
    try:
        answer = responses.read_signed_response((folder / "service_response.xml").read_bytes(),
                                                keys_dir=keys_dir, at=DEFAULT_CLOCK)
    except ValidationError as exc:
        raise ValidationError("samples", f"{where}/service_response.xml: {exc.reason}") from None
    if answer.gbcs_payload != decoded["response.hex"]:
        raise ValidationError("samples", f"{where}/service_response.xml carries another GBCS "
                                         "payload than response.hex")
    try:
        pnc.correlate(request, decoded["pre_command.hex"])
        parsed = pnc.parse(decoded["response.hex"], request_id=request.request_id)
    except MmcMismatch as exc:
        raise ValidationError("samples", f"{where}: Parse and Correlate "
                                         f"{pnc.version}: {exc}") from None
    if (folder / "parsed_response.xml").read_bytes() != parsed:
        raise ValidationError("samples", f"{where}/parsed_response.xml is not what Parse and "
                                         f"Correlate {pnc.version} makes of response.hex")


def check_samples(samples: Path, catalogue: Catalogue, pnc: ParseAndCorrelate,
                  keys_dir: Path) -> int:
    """Every catalogue entry has its sample and every sample its entry; each sample
    checked (:func:`check_sample`). Returns how many were checked."""
    wanted = {(e.device.value, e.register.value) for e in catalogue}
    found = {(p.parent.name, p.name) for p in samples.glob("*/*") if p.is_dir()}
    for device, register in sorted(found - wanted):
        raise ValidationError("samples", f"samples/{device}/{register} has no catalogue entry")
    for device, register in sorted(wanted - found):
        raise ValidationError("samples", f"the catalogue maps {device} {register}, the pack "
                                         "holds no sample of it")
    for entry in catalogue:
        check_sample(samples / entry.device.value / entry.register.value, entry.device,
                     entry.register, catalogue, pnc, keys_dir)
    return len(wanted)
