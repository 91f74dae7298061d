"""``specpkg run``: one reset request through the whole flow, step by step.

Either a fresh request for ``--device`` and ``--register``, or ``--request FILE``: a
signed DUIS request from a file (hand-edit one and see what the DCC says). ``--json``
prints one object (``outcome``, ``response_code``, ``meaning``, ``steps``, the meter's
registers before and after).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from specpkg.commands._options import add_meter_options
from specpkg.duis.codes import ResponseCode
from specpkg.errors import ValidationError
from specpkg.meter.registers import parse_device, parse_mode, parse_register

NAME = "run"
HELP = "send one Reset Debt Register request through User, DCC, CH and meter, printing each step"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_meter_options(parser)
    parser.add_argument("--request", type=Path, metavar="FILE",
                        help="a signed DUIS request to send instead of a fresh one")
    parser.add_argument("--meter-version", choices=["release", "pre-release"], default="release",
                        help="the SMETS/GBCS version the meter stub emulates")
    parser.add_argument("--fault", action="store_true",
                        help="the meter fails to write the register (shows BR-4)")
    parser.add_argument("--assume", default="", metavar="NAME=VALUE,...",
                        help="model assumptions other than the defaults, e.g. "
                             "compare_with_issued=false (see data/model_assumptions.csv)")
    parser.add_argument("--hex", action="store_true", help="also print each message in hex")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise ValidationError("request", f"no such file: {path}")
    return path.read_bytes()


def run(args: argparse.Namespace) -> int:
    from specpkg.duis.codes import response_code_meaning
    from specpkg.system.assumptions import Assumptions
    from specpkg.system.flow import make_testbed
    from specpkg.system.variants import PRE_RELEASE, RELEASE

    mode = parse_mode(args.mode)
    version = RELEASE if args.meter_version == "release" else PRE_RELEASE
    assumptions = Assumptions.parse(args.assume)
    bed = make_testbed(mode, version, assumptions=assumptions)
    if args.request is not None:
        result = bed.run_xml(_read(args.request))
        register = result.request.register if result.request else None
        device = (parse_device(bed.dcc.inventory[result.request.device_id])
                  if result.request else None)
        title = f"the request in {args.request}"
    else:
        device, register = parse_device(args.device), parse_register(args.register)
        bed.stub(device).fault = args.fault
        result = bed.run(device, register)
        title = f"Reset {register.label} on the {device}"
    meaning = response_code_meaning(result.response_code) if result.response_code else ""
    registers = {}
    if result.before is not None and result.after is not None and register is not None:
        registers = {"register": register.value, "before": result.before.register(register),
                     "after": result.after.register(register)}
    if args.json:
        print(json.dumps({
            "outcome": result.outcome.value, "response_code": result.response_code,
            "meaning": meaning, "device": device.value if device else None,
            "assumptions": assumptions.describe(), **registers,
            "steps": [{"actor": s.actor, "action": s.action, "result": s.result,
                       "bytes": len(s.data)} for s in result.steps],
        }, indent=2))
        return 0 if result.response_code is ResponseCode.SUCCESS else 1
    print(f"{title} ({mode} mode, {version.stage.value} meter; "
          f"model assumptions: {assumptions.describe()})")
    for number, step in enumerate(result.steps, 1):
        size = f" [{len(step.data)} bytes]" if step.data else ""
        print(f"{number:2d}. {step.actor:20s} {step.action:35s} {step.result}{size}")
        if args.hex and step.data and not step.data.lstrip().startswith(b"<"):
            print(f"    {step.data.hex().upper()}")
    if registers:
        print(f"    meter register: {registers['before']}p -> {registers['after']}p")
    print(f"outcome: {result.outcome.value} (DUIS response code {result.response_code}"
          f"{': ' + meaning if meaning else ''})")
    return 0 if result.response_code is ResponseCode.SUCCESS else 1
