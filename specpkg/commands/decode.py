"""``specpkg decode FILE_OR_HEX [--keys DIR] [--json]``: decode a GBCS message,
show its annotated dump and check its signature and MAC (SR-1, SR-2, BR-5)."""

from __future__ import annotations

import argparse
import json
import string
from pathlib import Path
from typing import Any

from specpkg.errors import ValidationError
from specpkg.gbcs import dump, messages
from specpkg.gbcs.envelope import MacHeader
from specpkg.gbcs.security import Keys

NAME = "decode"
HELP = "Decode a GBCS message (file or hex string); check its signature and MAC."
_HEX = set(string.hexdigits)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("message", metavar="FILE_OR_HEX", help="a file (hex text or binary) or hex")
    parser.add_argument(
        "--keys", metavar="DIR", help="keys directory (<entity id>-<ds|ka>.<key|pem>)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _hex(text: str) -> bytes | None:
    digits = "".join(text.split())
    if not digits or set(digits) - _HEX:
        return None
    if len(digits) % 2:
        raise ValidationError("message", f"odd number of hex digits ({len(digits)})")
    return bytes.fromhex(digits)


def read_message(argument: str) -> bytes:
    """The message bytes from a file (hex text or binary) or a hex string."""
    path = Path(argument)
    try:
        is_file, exists = path.is_file(), path.exists()
    except OSError:  # e.g. a long hex string is too long for a file name
        is_file = exists = False
    if is_file:
        raw = path.read_bytes()
        try:
            parsed = _hex(raw.decode("ascii"))
        except UnicodeDecodeError:
            parsed = None
        return parsed if parsed is not None else raw
    if exists:
        raise ValidationError("message", f"{argument} is not a file")
    parsed = _hex(argument)
    if parsed is None:
        raise ValidationError("message", f"no such file, and not a hex string: {argument!r}")
    return parsed


def summary(data: bytes, keys: Keys | None) -> dict[str, Any]:
    """The JSON view: envelope fields, decoded payload and check outcomes."""
    message = messages.decode(data)
    apdu = messages.apdu_of(message)
    use_case = messages.use_case_of(message)
    verdict = messages.verify(message, keys)
    return {
        "message_code": apdu.message_code,
        "message_code_hex": f"0x{apdu.message_code:04X}",
        "use_case": use_case.name if use_case else None,
        "use_case_title": use_case.title if use_case else None,
        "cra": apdu.cra.name.lower(),
        "originator_counter": apdu.originator_counter,
        "originator": apdu.originator_id,
        "recipient": apdu.recipient_id,
        "mac_header": isinstance(message, MacHeader),
        "payload": messages.to_plain(apdu.payload),
        "signature": verdict.signature.value,
        "mac": verdict.mac.value,
        "length": len(data),
    }


def run(args: argparse.Namespace) -> int:
    data = read_message(args.message)
    keys = None
    if args.keys:
        if not Path(args.keys).is_dir():
            raise ValidationError("keys", f"not a directory: {args.keys}")
        keys = Keys(Path(args.keys))
    info = summary(data, keys)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    use_case = info["use_case"] or "unknown use case"
    print(
        f"{use_case} ({info['message_code_hex']}) {info['cra']} #{info['originator_counter']}: "
        f"{info['originator']} -> {info['recipient']}"
    )
    print(f"signature: {info['signature']}   mac: {info['mac']}")
    print(dump.dump(data).to_string(index=False))
    return 0
