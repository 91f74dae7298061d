"""``python -m specpkg`` (also ``specpkg``): the workbook's command line.

Sub-commands live one per module in :mod:`specpkg.commands`; each imports the
heavy parts it needs (pandas, notebooks, the flow) in its own ``run``, and only
the chosen command's arguments are set up, so that ``--help`` and small commands
start at once. Errors the package raises on purpose print as one clear line and
exit 2, never as a traceback; a closed output pipe (``| head``) ends quietly.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Collection, Sequence
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


def build_parser(chosen: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the ``chosen`` commands get their arguments (None: every
    command), as a command's options may need its heavier modules."""
    parser = argparse.ArgumentParser(
        prog="specpkg",
        description="SECMP0002 executable specification: reset Debt Registers on ESME and GSME.",
    )
    parser.add_argument("--version", action="version", version=f"specpkg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        child = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        if chosen is None or module.NAME in chosen:
            module.add_arguments(child)
        child.set_defaults(_run=module.run)
    return parser


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that nothing more fails on the closed pipe."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a real file
        pass


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in arguments if not a.startswith("-")), None)
    parser = build_parser({command} if command else set())
    args = parser.parse_args(arguments)
    if not hasattr(args, "_run"):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args._run(args))
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except SpecError as exc:
        print(f"specpkg {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"specpkg {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
