"""``specpkg implementation-date APPROVAL``: the IMP-1 recommended implementation date."""

from __future__ import annotations

import argparse
import json

NAME = "implementation-date"
HELP = "Recommended implementation date for a date of decision to approve (IMP-1)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("approval", help="date of the decision to approve, YYYY-MM-DD")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    from specpkg.testing.implementation import implementation_date

    result = implementation_date(args.approval)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        shown = result.date.isoformat() if result.date else "not specified"
        print(f"{result.approval.isoformat()} -> {shown}: {result.reason}")
    return 0
