"""``specpkg test-plan --start DATE --out DIR``: write the TR-1..TR-3 test analysis."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from specpkg.commands._options import add_force_option, output_target
from specpkg.errors import ValidationError
from specpkg.paths import BUILD_DIR

NAME = "test-plan"
HELP = ("Write the SECMP0002 test matrix, timetable, effort and minimum test set as CSV and "
        "Markdown (TR-1..TR-4).")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", required=True, help="start date of test preparation, YYYY-MM-DD")
    parser.add_argument("--out", type=Path, default=BUILD_DIR / "testing",
                        help="output directory (default: build/testing)")
    add_force_option(parser)


def run(args: argparse.Namespace) -> int:
    from specpkg.testing import effort
    from specpkg.testing.implementation import parse_date
    from specpkg.testing.report import export_analysis
    from specpkg.testing.testplan import build_test_matrix, load_phases, timetable

    start = parse_date("start", args.start)
    try:
        plan = timetable(start)
    except OverflowError:
        raise ValidationError("start", f"{start}: the timetable from this date runs past "
                                       f"{date.max}, the last date there is") from None
    output_target(args.out, args.force, folder=True)
    matrix = build_test_matrix()
    days = sum(p.working_days for p in load_phases())
    end = plan["end"].iloc[-1]
    found = effort.summarise(matrix)
    print(f"test matrix: {len(matrix)} cases, {int(matrix['positive'].sum())} positive, "
          f"{int(matrix['response_expected'].sum())} send a Service Request (TR-1, TR-5)")
    print(f"timetable: {len(plan)} phases, {days} Working Days, {start} to {end} (TR-3)")
    for row in plan.itertuples():
        print(f"  {row.order}. {row.phase}: {row.start} to {row.end} ({row.working_days} days)")
    print(found.line())
    for deadline in found.deadlines:
        verdict = "meets" if end < deadline.implementation else "MISSES"
        print(f"implementation {deadline.implementation} ({deadline.rule}): this plan {verdict} "
              f"it; the latest start is {deadline.latest_start} (IMP-1, finding F-17)")
    written = export_analysis(args.out, start)
    print("written:")
    for path in written:
        print(f"  {path}")
    return 0
