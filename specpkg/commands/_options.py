"""Options several sub-commands share (not a sub-command itself)."""

from __future__ import annotations

import argparse
from pathlib import Path

from specpkg.errors import ValidationError
from specpkg.paths import output_folder


def add_meter_options(parser: argparse.ArgumentParser) -> None:
    """--device, --register and --mode, with the workbook's running example as defaults."""
    parser.add_argument("--device", default="ESME", help="ESME or GSME (default ESME)")
    parser.add_argument("--register", default="TimeDebtRegister1",
                        help="TimeDebtRegister1, TimeDebtRegister2 or PaymentDebtRegister")
    parser.add_argument("--mode", default="prepayment", help="prepayment or credit")


# --------------------------------------------------------------------------- the overwrite rule

FORCE_HELP = "overwrite an existing file, or write into a non-empty folder"


def add_force_option(parser: argparse.ArgumentParser) -> None:
    """``--force``, the one way past :func:`output_target`'s refusal."""
    parser.add_argument("--force", action="store_true", help=FORCE_HELP)


def output_target(target: Path | str, force: bool, *, folder: bool, option: str = "out") -> Path:
    """The one overwrite rule of every command that writes: an existing non-empty
    target (a file with bytes in it, a folder with anything in it) is refused
    without ``--force``; a target of the other kind (a folder where a file is
    written, or a file where a folder is) is refused always. A folder is made if
    need be by its writer (:func:`specpkg.paths.output_folder`, the same rule for the package's
    own writers, applied here to an existing folder); a file's folder must exist."""
    target = Path(target)
    if folder:
        if target.exists():  # a new folder is the writer's to make, once its inputs are good
            try:
                output_folder(target, force)
            except ValidationError as exc:
                raise ValidationError(option, exc.reason) from None
        return target
    if target.is_dir():
        raise ValidationError(option, f"{target} is a folder, not a file")
    if target.exists() and target.stat().st_size and not force:
        raise ValidationError(option, f"{target} exists and is not empty "
                                      "(use --force to overwrite)")
    if not target.parent.is_dir():
        raise ValidationError(option, f"no such folder: {target.parent}")
    return target
