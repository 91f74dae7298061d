"""``specpkg book``: publish the book from the notebooks as they are (no execution)."""

from __future__ import annotations

import argparse
from pathlib import Path

from specpkg.errors import ValidationError

NAME = "book"
HELP = ("publish build/site from the executed notebooks in build/notebooks (or the committed "
        "ones, whichever is newer) and the latest test results, without executing anything")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--junit", type=Path, default=None,
                        help="JUnit XML of the test run (default build/test-results.xml)")
    parser.add_argument("--pdf", action="store_true", help="also print the summary to PDF")


#: A JUnit file larger than this is not one of this project's test runs (about 1 MiB).
MAX_JUNIT_BYTES = 64 * 1024 * 1024


def check_junit(path: Path) -> None:
    """``path`` is a JUnit XML report (``testsuites`` or ``testsuite`` root), or a
    ValidationError saying what it is instead."""
    from specpkg.duis.xmlsafe import XmlRefused, parse_xml

    if not path.is_file():
        raise ValidationError("junit", f"no such file: {path}")
    try:
        root = parse_xml(path.read_bytes(), max_bytes=MAX_JUNIT_BYTES, allow_comments=True)
    except XmlRefused as exc:
        raise ValidationError("junit", f"{path} is not JUnit XML: {exc.reason}") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise ValidationError("junit", f"{path} is not JUnit XML: its root is <{root.tag}>, "
                                       "not <testsuites> or <testsuite>")


def run(args: argparse.Namespace) -> int:
    from specpkg.paths import BUILD_DIR, REPO_DIR
    from specpkg.workbook import book, status

    if args.junit is not None:
        check_junit(args.junit)
    junit = args.junit or status.JUNIT
    index = book.render(BUILD_DIR / "notebooks", book.SITE, junit)
    print(f"book: {index.relative_to(REPO_DIR)} (requirement status from "
          f"{junit.name if junit.is_file() else 'no test run'})")
    if args.pdf:
        book.summary_pdf(index, BUILD_DIR / "summary.pdf")
    return 0
