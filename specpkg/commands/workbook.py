"""``specpkg workbook``: execute the notebooks into build/, export their plots, publish the book."""

from __future__ import annotations

import argparse
import json
import sys

from specpkg.errors import ValidationError

NAME = "workbook"
HELP = ("execute every notebook into build/notebooks, export the plots to build/figures and "
        "publish the book in build/site")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="*", help="only these notebooks (name or number)")
    parser.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                        help="papermill parameter for every notebook (VALUE as JSON if valid); "
                             "the results go to build/variants/NAME/, never over the default ones")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    parser.add_argument("--no-site", action="store_true", help="do not publish the book")
    parser.add_argument("--progress", action="store_true", help="a progress bar per notebook")
    parser.add_argument("--no-tests", action="store_true",
                        help="do not run the catalogue's requirement tests before publishing "
                             "(the book then shows the latest test run, or none)")


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
    from specpkg.paths import REPO_DIR
    from specpkg.workbook import book, figures, requirement_tests, runner, status

    params = _parameters(args.parameter)
    runner.notebooks(args.notebooks)  # an unknown name fails before anything runs
    out = runner.output_dir(params)
    runs = runner.run(args.notebooks, out=out, parameters=params, jobs=args.jobs,
                      progress=args.progress, figures=True)
    done = [r.output for r in runs if r.ok]
    files = figures.export(done, out / "figures")
    print(f"figures: {len(files)} files (SVG and 200-dpi PNG) in "
          f"{(out / 'figures').relative_to(REPO_DIR)}/")
    if not args.no_site and done:
        if not params and not args.no_tests:
            requirement_tests.run(status.JUNIT, workers=args.jobs)
        chosen = book.book_notebooks(out / "notebooks") if not params else done
        index = book.render(out / "notebooks", out / "site", notebooks=chosen)
        print(f"book: {index.relative_to(REPO_DIR)}")
        if not params:
            book.summary_pdf(index, out / "summary.pdf")
    for r in runs:
        if not r.ok:
            print(f"specpkg workbook: {r.notebook} failed: {r.error}", file=sys.stderr)
    return 0 if len(done) == len(runs) else 1
