"""``specpkg run``: one reset request through the whole flow, step by step."""

from __future__ import annotations

import argparse

from specpkg.commands._options import add_meter_options
from specpkg.meter.registers import parse_device, parse_mode, parse_register

NAME = "run"
HELP = "send one Reset Debt Register request through User, DCC, CH and meter, printing each step"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_meter_options(parser)
    parser.add_argument("--meter-version", choices=["release", "pre-release"], default="release",
                        help="the SMETS/GBCS version the meter stub emulates")
    parser.add_argument("--fault", action="store_true",
                        help="the meter fails to write the register (shows BR-4)")
    parser.add_argument("--assume", default="", metavar="NAME=VALUE,...",
                        help="model assumptions other than the defaults, e.g. "
                             "compare_with_issued=false (see data/model_assumptions.csv)")
    parser.add_argument("--hex", action="store_true", help="also print each message in hex")


def run(args: argparse.Namespace) -> int:
    from specpkg.system.assumptions import Assumptions
    from specpkg.system.flow import make_testbed
    from specpkg.system.variants import PRE_RELEASE, RELEASE

    device, register, mode = (parse_device(args.device), parse_register(args.register),
                              parse_mode(args.mode))
    version = RELEASE if args.meter_version == "release" else PRE_RELEASE
    assumptions = Assumptions.parse(args.assume)
    bed = make_testbed(mode, version, assumptions=assumptions)
    bed.stub(device).fault = args.fault
    result = bed.run(device, register)
    print(f"Reset {register.label} on the {device} ({mode} mode, {version.stage.value} meter; "
          f"model assumptions: {assumptions.describe()})")
    for number, step in enumerate(result.steps, 1):
        size = f" [{len(step.data)} bytes]" if step.data else ""
        print(f"{number:2d}. {step.actor:20s} {step.action:35s} {step.result}{size}")
        if args.hex and step.data and not step.data.lstrip().startswith(b"<"):
            print(f"    {step.data.hex().upper()}")
    if result.before is not None and result.after is not None:
        print(f"    meter register: {result.before.register(register)}p -> "
              f"{result.after.register(register)}p")
    print(f"outcome: {result.outcome.value} (DUIS response code {result.response_code})")
    return 0 if result.response_code == "I0" else 1
