"""The test pack the DCC gives Users for SECMP0002 testing (TR-6).

:func:`export_test_pack` writes a folder:

* ``manifest.json``: the :class:`~specpkg.testenv.TestPack` (release, Parse and
  Correlate version, Message Mapping Catalogue version: they must correspond)
  and every other file of the pack with its SHA-256;
* ``catalogue/``: the Message Mapping Catalogue files (``data/catalogue``);
* ``duis/``: the DUIS XSD of the Service Request and the response codes;
* ``samples/<device>/<register>/``: for each device and Debt Register, the
  messages of one successful reset made with the project's TEST-ONLY PKI:
  ``request.xml``, ``pre_command.hex``, ``signed_pre_command.hex``,
  ``command.hex``, ``response.hex`` (the device's), ``service_response.xml``;
  ``parsed_response.xml`` (the response as Parse and Correlate gives it to the
  User: the Message Mapping Catalogue's output, :mod:`specpkg.duis.mmc`);
* ``parse_and_correlate/parse_and_correlate.json``: the Parse and Correlate the
  pack ships, with its version and the catalogue it was built against;
* ``pki/``: the test-only certificates (no private keys) that verify them;
* ``manifest.sig.xml``: the DCC's XML signature over the manifest's SHA-256.

:func:`read_test_pack` reads one back and refuses a pack the DCC did not sign
(verified with the DCC's certificate from the checker's own key store), whose
versions do not correspond, whose files are missing or altered, whose catalogue
is empty or of another version than its manifest or its Parse and Correlate says,
or whose samples do not verify or do not say what the catalogue says
(:mod:`specpkg.testing.packcheck`). :func:`correlate_under` shows why they
must correspond: the User's Parse and Correlate refuses to sign the Pre-Commands
of a DCC that works from a catalogue mapping the reset otherwise.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specpkg.duis import codes, reset_request, schema
from specpkg.duis.mmc import MmcMismatch, ParseAndCorrelate
from specpkg.duis.reset_request import PARSE_AND_CORRELATE_VERSION, make_request
from specpkg.errors import ValidationError
from specpkg.gbcs import messages, reset_messages
from specpkg.gbcs.catalogue import (
    CATALOGUE_CSV_NAME,
    CATALOGUE_DIR,
    CATALOGUE_META_NAME,
    RESET_DEBT_REGISTER,
    Catalogue,
)
from specpkg.gbcs.catalogue import load_catalogue as _load_catalogue
from specpkg.gbcs.security import ACB_ENTITY_ID
from specpkg.meter.registers import DebtRegister, Device
from specpkg.paths import PKI_DIR, output_folder
from specpkg.system.flow import DEVICE_IDS, SUPPLIER_ID, make_testbed
from specpkg.system.user import CorrelationError, User
from specpkg.testing import packcheck

# --------------------------------------------------------------------------- test pack (TR-6)


@dataclass(frozen=True)
class TestPack:
    """Manifest of the software the DCC gives Users for the test (TR-6).

    Parse and Correlate and the Message Mapping Catalogue must be the
    corresponding (same) version; a mismatch is refused.
    """

    __test__ = False

    release: str
    parse_and_correlate_version: str
    message_mapping_catalogue_version: str

    def __post_init__(self) -> None:
        for name in ("release", "parse_and_correlate_version",
                     "message_mapping_catalogue_version"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValidationError(name, "must be a non-empty version label")
            object.__setattr__(self, name, value.strip())
        if self.parse_and_correlate_version != self.message_mapping_catalogue_version:
            raise ValidationError(
                "message_mapping_catalogue_version",
                f"Message Mapping Catalogue {self.message_mapping_catalogue_version} does not "
                f"correspond to Parse and Correlate {self.parse_and_correlate_version} (TR-6)",
            )

    def as_dict(self) -> dict[str, str]:
        return {
            "release": self.release,
            "parse_and_correlate_version": self.parse_and_correlate_version,
            "message_mapping_catalogue_version": self.message_mapping_catalogue_version,
        }

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> TestPack:
        missing = [k for k in ("release", "parse_and_correlate_version",
                               "message_mapping_catalogue_version") if k not in manifest]
        if missing:
            raise ValidationError(missing[0], "missing from the test pack manifest")
        return cls(manifest["release"], manifest["parse_and_correlate_version"],
                   manifest["message_mapping_catalogue_version"])

DEFAULT_RELEASE = "SECMP0002 Release"
MANIFEST = "manifest.json"
FORMAT = "specpkg-test-pack/2"
PARSE_AND_CORRELATE_FILE = "parse_and_correlate/parse_and_correlate.json"
KEYS_DIR = PKI_DIR

#: The sample files of one device x register, and what each holds.
SAMPLE_FILES = {
    "request.xml": "the User's signed DUIS request",
    "pre_command.hex": "the Pre-Command the DCC returns (GBCS, hex)",
    "signed_pre_command.hex": "the Pre-Command signed by the User (GBCS, hex)",
    "command.hex": "the Command with the ACB's MAC header as the meter receives it (GBCS, hex)",
    "response.hex": "the meter's signed response (GBCS, hex)",
    "service_response.xml": "the DUIS Service Response the User receives",
    "parsed_response.xml": "response.hex as Parse and Correlate gives it to the User (MMC output)",
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_catalogue(directory: Path = CATALOGUE_DIR) -> Catalogue:
    """A catalogue folder; ValidationError (not a traceback) when unreadable: a file
    missing, not UTF-8, not JSON, catalogue.json not an object."""
    directory = Path(directory)
    if (directory / CATALOGUE_META_NAME).is_file():
        packcheck.read_json(directory / CATALOGUE_META_NAME, "catalogue")
    if (directory / CATALOGUE_CSV_NAME).is_file():
        packcheck.read_text(directory / CATALOGUE_CSV_NAME, "catalogue")
    try:
        return _load_catalogue(directory)
    except FileNotFoundError as exc:
        raise ValidationError("catalogue", f"no catalogue file {Path(exc.filename).name} in "
                              f"{directory}") from None
    except (json.JSONDecodeError, KeyError) as exc:
        raise ValidationError("catalogue", f"unreadable catalogue in {directory}: {exc}") from None


def parse_and_correlate() -> ParseAndCorrelate:
    """This package's Parse and Correlate: :data:`PARSE_AND_CORRELATE_VERSION`, built
    against the committed catalogue as it is now."""
    return ParseAndCorrelate.built_against(load_catalogue(), PARSE_AND_CORRELATE_VERSION)


def pack_for(catalogue: Catalogue, release: str = DEFAULT_RELEASE,
             pnc: ParseAndCorrelate | None = None) -> TestPack:
    """The manifest core: Parse and Correlate ``pnc`` (this package's) with ``catalogue``.

    Refused (ValidationError) when they do not correspond: the catalogue is of another
    version, or maps a use case otherwise than the one Parse and Correlate was built
    against (TR-6).
    """
    pnc = pnc or parse_and_correlate()
    pack = TestPack(release, pnc.version, catalogue.version)
    try:
        pnc.check_catalogue(catalogue)
    except MmcMismatch as exc:
        raise ValidationError("message_mapping_catalogue_version", str(exc)) from None
    return pack


@dataclass(frozen=True)
class Correlation:
    """One Pre-Command of a DCC working from some catalogue, as the User's Parse and
    Correlate took it (TR-6): ``refusal`` is empty when it correlated."""

    device: Device
    register: DebtRegister
    catalogue_version: str
    message_code: int
    refusal: str = ""

    @property
    def correlated(self) -> bool:
        return not self.refusal


def correlate_under(catalogue: Catalogue, user: User | None = None) -> list[Correlation]:
    """Why the versions must correspond (TR-6): for each entry of ``catalogue``, the
    Pre-Command a DCC working from it issues for the User's request, correlated by
    the User's Parse and Correlate (this package's, of :data:`PARSE_AND_CORRELATE_VERSION`).
    Where the catalogue maps a reset otherwise, the User refuses to sign."""
    user = user or User()
    found = []
    for counter, item in enumerate(catalogue, start=user.next_counter):
        request = make_request(item.device, item.register, counter, user_id=user.user_id)
        payload = reset_messages.reset_payload(item, counter, reset_request.DEFAULT_CLOCK)
        apdu = messages.command(item.message_code, bytes.fromhex(request.user_id),
                                bytes.fromhex(request.device_id), counter, payload)
        refusal = ""
        try:
            user.correlate(request, messages.encode_apdu(apdu))
        except CorrelationError as exc:
            refusal = str(exc)
        found.append(Correlation(item.device, item.register, catalogue.version,
                                 item.message_code, refusal))
    return found


def revised_catalogue(catalogue: Catalogue, version: str,
                      message_codes: Mapping[Device, int]) -> Catalogue:
    """``catalogue`` as a later version could have it: the reset use cases under other
    message codes (the provisional ones replaced, say). For showing TR-6 at work."""
    entries = tuple(dataclasses.replace(e, message_code=message_codes.get(e.device,
                                                                          e.message_code))
                    for e in catalogue)
    return dataclasses.replace(catalogue, version=version, entries=entries)


def _hex(data: bytes) -> str:
    return data.hex().upper() + "\n"


def write_samples(directory: Path, keys_dir: Path = KEYS_DIR,
                  pnc: ParseAndCorrelate | None = None) -> list[Path]:
    """One successful reset per device x register, every message as a file (TR-6)."""
    pnc = pnc or parse_and_correlate()
    written = []
    for device in Device:
        for register in DebtRegister:
            result = make_testbed(keys_dir=keys_dir).run(device, register)
            if result.response_code != codes.ResponseCode.SUCCESS.value:
                raise ValidationError("samples", f"{device.value} {register.value} sample did "
                                      f"not succeed: {result.outcome.value}")
            contents = {
                "request.xml": result.request_xml,
                "pre_command.hex": _hex(result.pre_command).encode(),
                "signed_pre_command.hex": _hex(result.signed_pre_command).encode(),
                "command.hex": _hex(result.command).encode(),
                "response.hex": _hex(result.device_response).encode(),
                "service_response.xml": result.service_response or b"",
                "parsed_response.xml": pnc.parse(result.device_response,
                                                 request_id=result.request.request_id),
            }
            folder = directory / device.value / register.value
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in contents.items():
                path = folder / name
                path.write_bytes(data)
                written.append(path)
    return written


def _certificates(directory: Path, keys_dir: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for entity in (SUPPLIER_ID, ACB_ENTITY_ID, packcheck.DCC_SIGNER_ID, *DEVICE_IDS.values()):
        for use in ("ds", "ka"):
            source = keys_dir / f"{entity.lower()}-{use}.pem"
            if not source.is_file():
                raise ValidationError("keys", f"missing test certificate {source.name}")
            written.append(Path(shutil.copyfile(source, directory / source.name)))
    readme = directory / "README.md"
    readme.write_text("# TEST-ONLY certificates\n\nThe samples are signed with the workbook's "
                      "test-only PKI. Never trust these certificates outside testing.\n")
    written.append(readme)
    return written


def export_test_pack(out: Path, *, release: str = DEFAULT_RELEASE,
                     catalogue_dir: Path = CATALOGUE_DIR, keys_dir: Path = KEYS_DIR,
                     force: bool = False) -> list[Path]:
    """Write the test pack into ``out``; return the paths written, manifest last (TR-6).

    Refused: a catalogue that does not correspond to this Parse and Correlate; an
    ``out`` that is a file, or a non-empty folder unless ``force``. The DCC (the
    test PKI's DUIS signer in ``keys_dir``) signs the manifest.
    """
    out = Path(out)
    catalogue = load_catalogue(catalogue_dir)
    pnc = parse_and_correlate()
    pack = pack_for(catalogue, release, pnc)
    if not Path(keys_dir).is_dir():
        raise ValidationError("keys", f"no such folder: {keys_dir}")
    output_folder(out, force)
    written = []
    (out / "catalogue").mkdir(exist_ok=True)
    for name in (CATALOGUE_CSV_NAME, CATALOGUE_META_NAME):
        written.append(Path(shutil.copyfile(Path(catalogue_dir) / name,
                                            out / "catalogue" / name)))
    (out / "duis").mkdir(exist_ok=True)
    for source in (schema.SCHEMA_PATH, codes.RESPONSE_CODES_PATH):
        written.append(Path(shutil.copyfile(source, out / "duis" / source.name)))
    written += write_samples(out / "samples", keys_dir, pnc)
    written += _certificates(out / "pki", keys_dir)
    (out / PARSE_AND_CORRELATE_FILE).parent.mkdir(exist_ok=True)
    (out / PARSE_AND_CORRELATE_FILE).write_text(pnc.to_json(), encoding="utf-8")
    written.append(out / PARSE_AND_CORRELATE_FILE)
    manifest = {
        "format": FORMAT,
        **pack.as_dict(),
        "service_reference": RESET_DEBT_REGISTER,
        "duis_schema_version": reset_request.SCHEMA_VERSION,
        "test_only_pki": True,
        "sample_files": SAMPLE_FILES,
        "files": {path.relative_to(out).as_posix(): _sha256(path) for path in sorted(written)},
    }
    path = out / MANIFEST
    data = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
    signature = out / packcheck.SIGNATURE
    signature.write_bytes(packcheck.sign_manifest(data, Path(keys_dir)))
    path.write_bytes(data)
    written += [signature, path]
    return written


@dataclass(frozen=True)
class LoadedPack:
    """A test pack read back and checked (TR-6)."""

    directory: Path
    pack: TestPack
    catalogue: Catalogue
    files: dict[str, str]
    parse_and_correlate: ParseAndCorrelate
    samples: int


def _inside(root: Path, name: object) -> Path:
    """A manifest path inside the pack folder; an absolute one, one leaving it, or one
    no file system can hold (a NUL, a control character) is refused (a manifest must
    not point a checker at other files)."""
    if not isinstance(name, str) or not name or Path(name).is_absolute():
        raise ValidationError("files", f"{name!r} is not a path inside the pack")
    if any(ord(c) < 32 for c in name):
        raise ValidationError("files", f"{name!r} holds a control character: not a file name")
    try:
        path = (root / name).resolve()
    except (OSError, ValueError) as exc:
        raise ValidationError("files", f"{name!r} is not a usable path: {exc}") from None
    if not path.is_relative_to(root):
        raise ValidationError("files", f"{name!r} leaves the pack folder")
    return path


def _check_files(directory: Path, files: object) -> dict[str, str]:
    if not isinstance(files, dict) or not files:
        raise ValidationError("files", "the manifest lists no files")
    root = directory.resolve()
    for name, digest in files.items():
        path = _inside(root, name)
        if not path.is_file():
            raise ValidationError("files", f"{name} is missing from the pack")
        if _sha256(path) != digest:
            raise ValidationError("files", f"{name} differs from the manifest's SHA-256")
    own = {(directory / n).resolve() for n in (MANIFEST, packcheck.SIGNATURE)}
    listed = {_inside(root, name) for name in files} | own
    extra = sorted(str(p.relative_to(root)) for p in root.rglob("*")
                   if p.is_file() and p.resolve() not in listed)
    if extra:
        raise ValidationError("files", f"the pack holds files the manifest does not list: "
                                       f"{', '.join(extra[:5])}{' ...' if len(extra) > 5 else ''}")
    return dict(files)


def read_test_pack(directory: Path, keys_dir: Path = KEYS_DIR) -> LoadedPack:
    """Read and check a test pack (TR-6): the manifest as the DCC signed it (its
    certificate from ``keys_dir``, the checker's own key store, never the pack's), every
    file present and unaltered, the catalogue not empty and corresponding to the
    manifest and to the pack's Parse and Correlate, and every sample verified and
    agreeing with the catalogue (:func:`specpkg.testing.packcheck.check_samples`)."""
    directory = Path(directory)
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise ValidationError("manifest", f"no {MANIFEST} in {directory}")
    try:
        manifest = packcheck.read_json(manifest_path, "manifest")
    except ValidationError as exc:
        raise ValidationError("manifest", exc.reason.replace(f"{MANIFEST} is ", "", 1)) from None
    if manifest.get("format") != FORMAT:
        raise ValidationError("manifest", f"not a {FORMAT} manifest")
    names = manifest.get("files")
    if isinstance(names, dict):  # no file is read before every name is known to be inside
        for name in names:
            _inside(directory.resolve(), name)
    packcheck.verify_manifest(manifest_path.read_bytes(), directory / packcheck.SIGNATURE,
                              Path(keys_dir))
    pack = TestPack.from_manifest(manifest)
    files = _check_files(directory, names)
    catalogue = load_catalogue(directory / "catalogue")
    if not catalogue.entries:
        raise ValidationError("catalogue", "the pack's catalogue has no entries")
    if catalogue.version != pack.message_mapping_catalogue_version:
        raise ValidationError(
            "message_mapping_catalogue_version",
            f"the pack's catalogue is {catalogue.version}, the manifest says "
            f"{pack.message_mapping_catalogue_version} (TR-6)")
    pnc = ParseAndCorrelate.from_dict(packcheck.read_json(directory / PARSE_AND_CORRELATE_FILE,
                                                          "parse_and_correlate"))
    if pnc.version != pack.parse_and_correlate_version:
        raise ValidationError("parse_and_correlate_version",
                              f"the pack's Parse and Correlate is {pnc.version}, the manifest "
                              f"says {pack.parse_and_correlate_version} (TR-6)")
    pack_for(catalogue, pack.release, pnc)
    count = packcheck.check_samples(directory / "samples", catalogue, pnc, Path(keys_dir))
    return LoadedPack(directory, pack, catalogue, files, pnc, count)
