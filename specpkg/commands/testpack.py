"""``specpkg testpack --out DIR``: export the SECMP0002 test pack for Users (TR-6).

The pack holds a manifest (the TestPack: release, Parse and Correlate version and
Message Mapping Catalogue version, which must correspond), the catalogue files,
the DUIS XSD and response codes, and sample messages for each device and Debt
Register made with the project's TEST-ONLY PKI. A catalogue of another version
than this Parse and Correlate is refused (exit 2). ``--check DIR`` reads a pack
back and verifies it instead: the DCC's signature on the manifest (with the
certificate in ``--keys``, not the pack's), every file's hash, every sample's
signatures and MACs, and that catalogue, Parse and Correlate and samples agree.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from specpkg.commands._options import add_force_option, output_target
from specpkg.paths import PKI_DIR

NAME = "testpack"
HELP = ("Export the test pack (TR-6): manifest, Message Mapping Catalogue, DUIS XSD and "
        "response codes, sample messages; or --check an exported one.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from specpkg.gbcs.catalogue import CATALOGUE_DIR

    parser.add_argument("--out", type=Path, metavar="DIR", help="folder to write the pack into")
    parser.add_argument("--check", type=Path, metavar="DIR",
                        help="read an exported pack and verify versions and files")
    parser.add_argument("--release", default=None,
                        help="release label in the manifest (default: the test pack's own)")
    parser.add_argument("--catalogue", type=Path, default=CATALOGUE_DIR, metavar="DIR",
                        help="Message Mapping Catalogue folder (default: the package's own)")
    parser.add_argument("--keys", type=Path, default=PKI_DIR, metavar="DIR",
                        help="TEST-ONLY PKI folder: signs the samples and the manifest with "
                             "--out, holds the certificates --check trusts (default: data/pki)")
    add_force_option(parser)


def run(args: argparse.Namespace) -> int:
    from specpkg.testing.testpack import DEFAULT_RELEASE, export_test_pack, read_test_pack

    if (args.out is None) == (args.check is None):
        print("specpkg testpack: error: give exactly one of --out DIR or --check DIR",
              file=sys.stderr)
        return 2
    if args.check is not None:
        loaded = read_test_pack(args.check, keys_dir=args.keys)
        pack = loaded.pack
        print(f"{args.check}: {pack.release}, signed by the DCC; Parse and Correlate "
              f"{pack.parse_and_correlate_version}, Message Mapping Catalogue "
              f"{pack.message_mapping_catalogue_version}; {len(loaded.files)} files verified, "
              f"{loaded.samples} samples' signatures, MACs and mappings checked")
        return 0
    output_target(args.out, args.force, folder=True)
    written = export_test_pack(args.out, release=args.release or DEFAULT_RELEASE,
                               catalogue_dir=args.catalogue,
                               keys_dir=args.keys, force=args.force)
    print(f"wrote {len(written)} files to {args.out} (manifest: {written[-1].name})")
    return 0
