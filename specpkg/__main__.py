"""``python -m specpkg`` (also ``specpkg``): the workbook's command line.

Sub-commands live one per module in :mod:`specpkg.commands`. Errors the package
raises on purpose print as one clear line and exit 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from specpkg import __version__, commands
from specpkg.errors import SpecError


def _command_modules() -> list[ModuleType]:
    found = []
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(module, "NAME") and hasattr(module, "run"):
            found.append(module)
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="specpkg",
        description="SECMP0002 executable specification: reset Debt Registers on ESME and GSME.",
    )
    parser.add_argument("--version", action="version", version=f"specpkg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        child = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(child)
        child.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "_run"):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args._run(args))
    except SpecError as exc:
        print(f"specpkg {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"specpkg {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
