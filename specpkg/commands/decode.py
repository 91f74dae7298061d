"""``specpkg decode FILE_OR_HEX... [--keys DIR] [--json]``: decode GBCS messages,
show their annotated dump and check their signatures and MACs (SR-1, SR-2, BR-5).

One message (a file or a hex string) prints its header, verdicts and dump; a
folder or several messages decode in one process, one line each (one JSON object
each with ``--json``) and a summary line at the end: decoded, refused (reasons
counted), signatures and MACs valid/invalid/absent/no-key. A folder is read whole,
hidden entries below it skipped (the folder itself may be reached through ``..``);
one that cannot be read, or holds no file, is refused. ``--json`` prints every name
whole. When checks lacked keys, a note says which messages lacked which key (or,
without ``--keys``, where the keys are). Exit status 1 when a message of a batch
was refused, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import string
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from specpkg.errors import DecodeError, ValidationError

NAME = "decode"
HELP = "Decode GBCS messages (files, folders or hex strings); check signatures and MACs."
_HEX = set(string.hexdigits)
VERDICTS = ("valid", "invalid", "absent", "no-key")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("messages", nargs="+", metavar="FILE_OR_HEX",
                        help="files (hex text or binary), folders of them, or hex strings")
    parser.add_argument(
        "--keys", metavar="DIR", help="keys directory (<entity id>-<ds|ka>.<key|pem>)"
    )
    parser.add_argument("--json", action="store_true",
                        help="one JSON object per message and line (then the summary)")


def _hex(text: str) -> bytes | None:
    digits = "".join(text.split())
    if not digits or set(digits) - _HEX:
        return None
    if len(digits) % 2:
        raise ValidationError("message", f"odd number of hex digits ({len(digits)})")
    return bytes.fromhex(digits)


def read_message(argument: str | Path) -> bytes:
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
    parsed = _hex(str(argument))
    if parsed is None:
        raise ValidationError("message", f"no such file, and not a hex string: {argument!r}")
    return parsed


def _is_dir(argument: str) -> bool:
    try:
        return Path(argument).is_dir()
    except OSError:
        return False


def folder_files(folder: Path) -> list[Path]:
    """The files below ``folder``, hidden ones (a name starting with ".") skipped only
    below it: ``../shared/reference/rtds`` is read whole. A folder (or a sub-folder)
    that cannot be read, or that holds no file, is a ValidationError naming it."""
    found: list[Path] = []

    def refuse(error: OSError) -> None:
        raise ValidationError("messages", f"cannot read folder {error.filename}: "
                                          f"{error.strerror}")

    for top, dirs, names in os.walk(folder, onerror=refuse):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(top) / n for n in sorted(names) if not n.startswith(".")]
    files = [p for p in found if p.is_file()]
    if not files:
        raise ValidationError("messages", f"no files in the folder {folder}")
    return files


def _sources(arguments: list[str]) -> Iterator[tuple[str, str | Path]]:
    """(name, file or hex string) of every message: a folder gives its files."""
    for argument in arguments:
        if _is_dir(argument):
            for path in folder_files(Path(argument)):
                yield str(path), path
        else:
            yield argument, argument


def _shown(name: str) -> str:
    """A name as the text view shows it: a long hex string cut, a file's path whole;
    never cut in --json."""
    if len(name) <= 60 or not set(name) <= _HEX:
        return name
    return f"{name[:57]}..."


def summary(data: bytes, keys: Any) -> dict[str, Any]:
    """The JSON view: envelope fields, decoded payload, response results and checks."""
    from specpkg.gbcs import messages

    message = messages.decode(data)
    apdu = messages.apdu_of(message)
    use_case = messages.use_case_of(message)
    verdict = messages.verify(message, keys, data=data)
    return {
        "message_code": apdu.message_code,
        "message_code_hex": f"0x{apdu.message_code:04X}",
        "use_case": use_case.name if use_case else None,
        "use_case_title": use_case.title if use_case else None,
        "cra": apdu.cra.name.lower(),
        "originator_counter": apdu.originator_counter,
        "originator": apdu.originator_id,
        "recipient": apdu.recipient_id,
        "mac_header": isinstance(message, messages.MacHeader),
        "payload": messages.to_plain(apdu.payload),
        "results": messages.response_results(apdu),
        "signature": verdict.signature.value,
        "mac": verdict.mac.value,
        "length": len(data),
    }


def header(info: dict[str, Any]) -> str:
    """One line: use case, code, kind, counter, parties, and a response's outcome."""
    use_case = info["use_case"] or "unknown use case"
    line = (f"{use_case} ({info['message_code_hex']}) {info['cra']} "
            f"#{info['originator_counter']}: {info['originator']} -> {info['recipient']}")
    results = info["results"]
    if results:
        failed = [r for r in results if r != "success"]
        line += (f": {len(failed)} of {len(results)} failed ({', '.join(failed)})" if failed
                 else f": all {len(results)} succeeded")
    return line


WIDTH = 100
"""The dump table's width in columns (long cells wrap onto more lines)."""


def table(rows: list[tuple[int, str, str, str, str]]) -> list[str]:
    """The dump as text lines of at most :data:`WIDTH` columns: offset, bytes (eight
    a line), field, then value and meaning sharing what is left."""
    names = max([len(r[2]) for r in rows] + [5])
    names = min(names, 36)
    rest = WIDTH - 6 - 2 - 23 - 1 - names - 2
    lines = [f"{'offset':>6}  {'bytes':<23} {'field':<{names}}  value: meaning"]
    for offset, raw, field, value, meaning in rows:
        octets = raw.split()
        cells = (
            [" ".join(octets[i : i + 8]) for i in range(0, len(octets), 8)],
            textwrap.wrap(field, names),
            textwrap.wrap(": ".join(p for p in (value, meaning) if p), rest),
        )
        for i in range(max(1, *map(len, cells))):
            octet, name, note = (c[i] if i < len(c) else "" for c in cells)
            first = str(offset) if i == 0 else ""
            lines.append(f"{first:>6}  {octet:<23} {name:<{names}}  {note}".rstrip())
    return lines


def _keys(directory: str | None) -> Any:
    from specpkg.gbcs.security import Keys

    if directory is None:
        return None
    if not Path(directory).is_dir():
        raise ValidationError("keys", f"not a directory: {directory}")
    return Keys(Path(directory))


def _no_keys_hint() -> str:
    from specpkg.paths import PKI_DIR, reference_dir

    folder = reference_dir() / "keys"
    where = folder if folder.is_dir() else PKI_DIR
    return (f"signatures and MACs not checked: add --keys DIR (e.g. --keys {where}) "
            "to get valid/invalid verdicts")


def lacking_keys(info: dict[str, Any]) -> list[str]:
    """The keys a message's checks lacked (verdict no-key): the originator's ds
    certificate for its signature; for its MAC, the ka key pair of its two parties
    (the ACB and the device for a command)."""
    from specpkg.gbcs.security import ACB_ENTITY_ID

    lacking = []
    if info["signature"] == "no-key":
        lacking.append(f"ds certificate of {info['originator']}")
    if info["mac"] == "no-key":
        first = ACB_ENTITY_ID.upper() if info["cra"] == "command" else info["originator"]
        lacking.append(f"ka key of {first} or of {info['recipient']} (a private key of one, "
                       "the certificate of the other)")
    return lacking


def _lacking_note(directory: str, lacking: list[tuple[str, list[str]]]) -> str:
    shown = [f"  {name}: {', '.join(keys)}" for name, keys in lacking[:10]]
    more = [f"  ... and {len(lacking) - 10} more"] if len(lacking) > 10 else []
    return "\n".join([f"signatures or MACs of {len(lacking)} message"
                      f"{'s' * (len(lacking) != 1)} not checked: keys missing from {directory}:",
                      *shown, *more])


def _one(source: str | Path, keys: Any, as_json: bool) -> list[str]:
    """Print one message; the keys its checks lacked."""
    from specpkg.gbcs import dump

    data = read_message(source)
    info = summary(data, keys)
    if as_json:
        print(json.dumps(info))
    else:
        print(header(info))
        print(f"signature: {info['signature']}   mac: {info['mac']}")
        print("\n".join(table(dump.rows(data))))
    return lacking_keys(info)


def _batch(sources: list[tuple[str, str | Path]], keys: Any,
           as_json: bool) -> tuple[int, list[tuple[str, list[str]]]]:
    """Print every message and the summary: (exit status, the keys each message lacked)."""
    refusals: Counter[str] = Counter()
    signatures: Counter[str] = Counter()
    macs: Counter[str] = Counter()
    lacking: list[tuple[str, list[str]]] = []
    for name, source in sources:
        try:
            info = summary(read_message(source), keys)
        except (DecodeError, ValidationError, OSError) as exc:
            refusals[getattr(exc, "reason", None) or str(exc)] += 1
            print(json.dumps({"file": name, "refused": str(exc)}) if as_json
                  else f"{_shown(name)}: refused: {exc}")
            continue
        signatures[info["signature"]] += 1
        macs[info["mac"]] += 1
        if lacking_keys(info):
            lacking.append((_shown(name), lacking_keys(info)))
        print(json.dumps({"file": name, **info}) if as_json
              else f"{_shown(name)}: {header(info)}; signature {info['signature']}, "
                   f"mac {info['mac']}")
    decoded = sum(signatures.values())
    totals = {
        "decoded": decoded, "refused": sum(refusals.values()), "refusals": dict(refusals),
        "signatures": {v: signatures[v] for v in VERDICTS}, "macs": {v: macs[v] for v in VERDICTS},
    }
    if as_json:
        print(json.dumps({"summary": totals}))
    else:
        reasons = "; ".join(f"{n} x {r}" for r, n in refusals.most_common())
        counts = [", ".join(f"{v} {totals[kind][v]}" for v in VERDICTS)
                  for kind in ("signatures", "macs")]
        print(f"decoded {decoded}, refused {totals['refused']}"
              + (f" ({reasons})" if reasons else "")
              + f"; signatures: {counts[0]}; MACs: {counts[1]}")
    return (1 if refusals else 0), lacking


def run(args: argparse.Namespace) -> int:
    keys = _keys(args.keys)
    sources = list(_sources(args.messages))
    if len(sources) == 1 and not any(_is_dir(a) for a in args.messages):
        name, source = sources[0]
        lacks = _one(source, keys, args.json)
        status, lacking = 0, ([(_shown(name), lacks)] if lacks else [])
    else:
        status, lacking = _batch(sources, keys, args.json)
    if lacking:
        print(_no_keys_hint() if args.keys is None else _lacking_note(args.keys, lacking),
              file=sys.stderr)
    return status
