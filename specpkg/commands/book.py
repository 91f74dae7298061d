"""``specpkg book``: publish the book from the notebooks as they are (no execution)."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "book"
HELP = ("publish build/site from the executed notebooks in build/notebooks (or the committed "
        "ones, whichever is newer) and the latest test results, without executing anything")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--junit", type=Path, default=None,
                        help="JUnit XML of the test run (default build/test-results.xml)")
    parser.add_argument("--pdf", action="store_true", help="also print the summary to PDF")


def run(args: argparse.Namespace) -> int:
    from specpkg.paths import BUILD_DIR, REPO_DIR
    from specpkg.workbook import book, status

    junit = args.junit or status.JUNIT
    index = book.render(BUILD_DIR / "notebooks", book.SITE, junit)
    print(f"book: {index.relative_to(REPO_DIR)} (requirement status from "
          f"{junit.name if junit.is_file() else 'no test run'})")
    if args.pdf:
        book.summary_pdf(index, BUILD_DIR / "summary.pdf")
    return 0
