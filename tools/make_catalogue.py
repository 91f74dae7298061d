"""Write the Message Mapping Catalogue under data/catalogue from ../shared/reference (SR-3).

    python tools/make_catalogue.py [--reference DIR] [--check]

The message category and the eligible User Roles are derived from the existing
adjust-debt use cases (ECS07, GCS04) and Service Request 2.3; see
:func:`specpkg.catalogue.derive_catalogue`. ``--check`` writes nothing and exits
1 when the committed files differ from a fresh derivation.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from specpkg.gbcs.catalogue import (
    CATALOGUE_CSV_NAME,
    CATALOGUE_DIR,
    CATALOGUE_META_NAME,
    catalogue_csv_text,
    catalogue_meta_text,
    derive_catalogue,
    write_catalogue,
)
from specpkg.paths import require_reference


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=None)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    reference = args.reference or require_reference()
    catalogue = derive_catalogue(reference)
    if args.check:
        same = (CATALOGUE_DIR / CATALOGUE_CSV_NAME).read_text(encoding="utf-8") == (
            catalogue_csv_text(catalogue)
        ) and (CATALOGUE_DIR / CATALOGUE_META_NAME).read_text(encoding="utf-8") == (
            catalogue_meta_text(catalogue)
        )
        print("catalogue up to date" if same else "catalogue differs from the reference")
        return 0 if same else 1
    for path in write_catalogue(catalogue):
        print(f"wrote {path.relative_to(CATALOGUE_DIR.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
