"""Where the project's own data and the shared reference data live."""

from __future__ import annotations

import os
from pathlib import Path

from specpkg.errors import ReferenceDataMissing

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
