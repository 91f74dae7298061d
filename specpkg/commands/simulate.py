"""``specpkg simulate``: one meter over a period with a reset part-way (BR-1..BR-4)."""

from __future__ import annotations

import argparse
import sys

from specpkg.commands._options import add_force_option, add_meter_options, output_target
from specpkg.meter.registers import (
    PaymentMode,
    check_int,
    parse_device,
    parse_mode,
    parse_register,
)

NAME = "simulate"
HELP = "simulate the example meter hour by hour with a reset of one Debt Register"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_meter_options(parser)
    parser.add_argument("--days", type=int, default=30, help="length of the run in days")
    parser.add_argument("--reset-day", type=int, default=15, help="day the reset is sent")
    parser.add_argument("--top-up", type=int, default=2_000,
                        help="weekly top-up in pence (prepayment only)")
    parser.add_argument("--csv", metavar="FILE", help="write the hourly table as CSV")
    add_force_option(parser)


def run(args: argparse.Namespace) -> int:
    from specpkg.meter.simulation import Reset, example_meter, simulate, weekly_top_ups

    device, register, mode = (parse_device(args.device), parse_register(args.register),
                              parse_mode(args.mode))
    days = check_int("days", args.days, 1, 366)
    reset_day = check_int("reset-day", args.reset_day, 0, days - 1)
    hours = days * 24
    if args.csv:
        output_target(args.csv, args.force, folder=False, option="csv")
    events = weekly_top_ups(hours, args.top_up) if mode is PaymentMode.PREPAYMENT else []
    plain = simulate(example_meter(device, mode), hours, events=events)
    frame = simulate(example_meter(device, mode), hours,
                     events=[*events, Reset(reset_day * 24, register)])
    if args.csv:
        frame.to_csv(args.csv, index=False)
    out = sys.stdout
    print(f"{device} in {mode} mode, {days} days, reset of {register.label} on day {reset_day}",
          file=out)
    print(f"  {'':28s} {'without reset':>14s} {'with reset':>12s}", file=out)
    for label, column in [("debt recovered (p)", "recovered")]:
        print(f"  {label:28s} {plain[column].sum():14d} {frame[column].sum():12d}", file=out)
    for column in ("balance", "TimeDebtRegister1", "TimeDebtRegister2", "PaymentDebtRegister"):
        print(f"  {'end ' + column + ' (p)':28s} {plain[column].iloc[-1]:14d}"
              f" {frame[column].iloc[-1]:12d}", file=out)
    event = frame.loc[reset_day * 24, "events"].split("; ")[-1]
    print(f"  reset outcome: {event}", file=out)
    return 0
