"""Where the project's own data and the shared reference data live."""

from __future__ import annotations

import os
from pathlib import Path

from specpkg.errors import ReferenceDataMissing, ValidationError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
DATA_DIR = REPO_DIR / "data"
NOTEBOOK_DIR = REPO_DIR / "notebooks"
BUILD_DIR = REPO_DIR / "build"
#: The project's TEST-ONLY PKI: keys and certificates of every test identity.
PKI_DIR = DATA_DIR / "pki"


def reference_dir() -> Path:
    """The shared reference folder: $SPECPKG_REFERENCE, else ../shared/reference."""
    env = os.environ.get("SPECPKG_REFERENCE")
    return Path(env) if env else REPO_DIR.parent / "shared" / "reference"


def require_reference() -> Path:
    """The reference folder, or ReferenceDataMissing naming where it was looked for."""
    path = reference_dir()
    if not path.is_dir():
        raise ReferenceDataMissing(f"reference data not found at {path}")
    return path


def output_folder(out: Path | str, force: bool = False) -> Path:
    """A folder to write into, made if need be: a file, or a folder that is not empty
    unless ``force``, is refused (nothing already there is overwritten by accident)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValidationError("out", f"{out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ValidationError("out", f"{out} is not empty (use --force to overwrite)")
    out.mkdir(parents=True, exist_ok=True)
    return out
