"""``specpkg test-plan --start DATE --out DIR``: write the TR-1..TR-3 test analysis."""

from __future__ import annotations

import argparse
from pathlib import Path

from specpkg.paths import BUILD_DIR

NAME = "test-plan"
HELP = "Write the SECMP0002 test matrix, timetable and report as CSV and Markdown (TR-1..TR-3)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", required=True, help="start date of test preparation, YYYY-MM-DD")
    parser.add_argument("--out", type=Path, default=BUILD_DIR / "testing",
                        help="output directory (default: build/testing)")


def run(args: argparse.Namespace) -> int:
    from specpkg.testing.implementation import parse_date
    from specpkg.testing.testplan import export_analysis

    for path in export_analysis(args.out, parse_date("start", args.start)):
        print(path)
    return 0
