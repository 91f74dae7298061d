"""``specpkg workbook``: execute every notebook into build/ and render the site."""

from __future__ import annotations

import argparse
import json
import sys

from specpkg.errors import ValidationError
from specpkg.paths import BUILD_DIR

NAME = "workbook"
HELP = "execute every notebook into build/notebooks and render the site into build/site"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="*", help="only these notebooks (name or number)")
    parser.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                        help="papermill parameter for every notebook (VALUE as JSON if valid)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    parser.add_argument("--no-site", action="store_true", help="do not render build/site")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def _parameters(pairs: list[str]) -> dict[str, object]:
    params: dict[str, object] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.isidentifier():
            raise ValidationError("parameter", f"expected NAME=VALUE, got {pair!r}")
        try:
            params[name] = json.loads(value)
        except json.JSONDecodeError:
            params[name] = value
    return params


def run(args: argparse.Namespace) -> int:
    from specpkg.workbook import runner as workbook
    from specpkg.workbook import site

    runs = workbook.run(args.notebooks, parameters=_parameters(args.parameter), jobs=args.jobs,
                        progress=not args.no_progress)
    if not args.no_site:
        pages = site.render()
        print(f"site: {len(pages)} pages in {pages[0].parent.relative_to(BUILD_DIR.parent)}/")
    failed = [r for r in runs if not r.ok]
    for r in failed:
        print(f"specpkg workbook: {r.notebook} failed: {r.error}", file=sys.stderr)
    return 1 if failed else 0
