"""``specpkg request``: print or write a signed Reset Debt Register DUIS request (SR-9)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from specpkg.commands._options import add_force_option, output_target
from specpkg.errors import SpecError, ValidationError
from specpkg.meter.registers import DebtRegister, Device, parse_device, parse_register

NAME = "request"
HELP = "Build and sign a DUIS Reset Debt Register request (SR 2.4) for one Debt Register."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from specpkg.duis.reset_request import (
        DEFAULT_COMMAND_VARIANT,
        DEFAULT_KEYS_DIR,
        DEFAULT_USER_ID,
    )

    parser.add_argument("--device", required=True, choices=[d.value for d in Device])
    parser.add_argument("--register", required=True, choices=[r.value for r in DebtRegister])
    parser.add_argument("--counter", required=True, type=int, help="RequestID counter")
    parser.add_argument("--user-id", default=DEFAULT_USER_ID, help="User ID (16 hex digits)")
    parser.add_argument(
        "--device-id", default=None, help="Device ID (default: the test ESME or GSME)"
    )
    parser.add_argument("--command-variant", type=int, default=DEFAULT_COMMAND_VARIANT)
    parser.add_argument(
        "--keys", type=Path, default=DEFAULT_KEYS_DIR,
        help="folder with <user id>-ds.key/.pem (default: the project's test PKI)",
    )
    parser.add_argument("--out", type=Path, default=None, help="write here instead of stdout")
    add_force_option(parser)


def check_keys(keys_dir: Path, user_id: str) -> None:
    """The User's ds key and certificate in ``keys_dir`` are readable PEM, or a
    ValidationError naming the file that is not (a missing one is the signer's to
    report)."""
    from specpkg.duis.xmldsig import key_files, load_certificate, load_private_key

    if not keys_dir.is_dir():
        raise ValidationError("keys", f"no such folder: {keys_dir}")
    key_path, cert_path = key_files(keys_dir, user_id)
    for path, load, what in ((key_path, load_private_key, "an EC private key"),
                             (cert_path, load_certificate, "an X.509 certificate")):
        if not path.is_file():
            continue
        try:
            load(keys_dir, user_id)
        except (ValueError, TypeError) as exc:
            if isinstance(exc, SpecError):
                raise
            raise ValidationError("keys", f"{path} is not {what} in PEM: "
                                          f"{str(exc).split('. ')[0]}") from None


def run(args: argparse.Namespace) -> int:
    from specpkg.duis.reset_request import make_request, request_xml

    if args.out is not None:
        output_target(args.out, args.force, folder=False)
    request = make_request(
        parse_device(args.device),
        parse_register(args.register),
        args.counter,
        user_id=args.user_id,
        device_id=args.device_id,
        command_variant=args.command_variant,
    )
    check_keys(args.keys, request.user_id)
    xml = request_xml(request, keys_dir=args.keys)
    if args.out is None:
        sys.stdout.write(xml.decode("utf-8") + "\n")
    else:
        args.out.write_bytes(xml)
        print(f"wrote {request.request_id} to {args.out}", file=sys.stderr)
    return 0
