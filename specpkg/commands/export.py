"""``specpkg export``: the new use cases' messages as files for other tools."""

from __future__ import annotations

import argparse
from pathlib import Path

from specpkg.commands._options import add_force_option, output_target
from specpkg.errors import ValidationError
from specpkg.meter.registers import Device

NAME = "export"
HELP = "write request XML and pre-command/command/response hex files for every device x register"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from specpkg.system.export import DEFAULT_IDS

    parser.add_argument("--keys", required=True, type=Path,
                        help="folder of <entity id>-<ds|ka>.<key|pem> keys and certificates")
    parser.add_argument("--out", required=True, type=Path, help="folder to write into")
    parser.add_argument("--supplier", default=DEFAULT_IDS["supplier"], help="Supplier entity id")
    parser.add_argument("--acb", default=DEFAULT_IDS["acb"], help="ACB entity id")
    parser.add_argument("--esme", default=DEFAULT_IDS[Device.ESME], help="ESME entity id")
    parser.add_argument("--gsme", default=DEFAULT_IDS[Device.GSME], help="GSME entity id")
    add_force_option(parser)


def run(args: argparse.Namespace) -> int:
    from specpkg.system.export import Identities, export

    if not args.keys.is_dir():
        raise ValidationError("keys", f"no such folder: {args.keys}")
    output_target(args.out, args.force, folder=True)
    rows = export(args.keys, args.out, Identities(args.supplier, args.acb, args.esme, args.gsme),
                  force=args.force)
    written = [r for r in rows if not r["note"]]
    print(f"wrote {len(written)} files and MANIFEST.csv to {args.out}")
    for row in rows:
        if row["note"]:
            print(f"  skipped {row['file']}: {row['note']}")
    return 0
