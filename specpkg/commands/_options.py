"""Options several sub-commands share (not a sub-command itself)."""

from __future__ import annotations

import argparse


def add_meter_options(parser: argparse.ArgumentParser) -> None:
    """--device, --register and --mode, with the workbook's running example as defaults."""
    parser.add_argument("--device", default="ESME", help="ESME or GSME (default ESME)")
    parser.add_argument("--register", default="TimeDebtRegister1",
                        help="TimeDebtRegister1, TimeDebtRegister2 or PaymentDebtRegister")
    parser.add_argument("--mode", default="prepayment", help="prepayment or credit")
