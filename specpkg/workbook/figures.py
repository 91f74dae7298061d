"""Every plot of the executed notebooks as SVG and as PNG at 200 dpi, for slides.

While ``make workbook`` executes the notebooks, the kernel loads this module as
an IPython extension (``--IPKernelApp.extensions=specpkg.workbook.figures``):
each matplotlib figure a cell shows is then also saved, as SVG and 200-dpi PNG,
into its output under :data:`FIGURE_MIME`. :func:`export` writes those into
``build/figures/`` named after the notebook and the section the plot is in
(``01_debt_registers_and_reset__BR-3_1.svg``); the book drops them from the pages.
The extension also shows every pandas cell whole (never cut off with "...").
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nbformat

from specpkg.paths import BUILD_DIR
from specpkg.workbook.cells import FIGURE_MIME, REQUIREMENT_ID

FIGURES = BUILD_DIR / "figures"
DPI = 200
KERNEL_ARGUMENTS = ("--IPKernelApp.extensions=specpkg.workbook.figures",)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)


def figure_files(figure: Any) -> dict[str, str]:
    """A matplotlib figure as ``{"svg": text, "png": base64 of a 200-dpi PNG}``."""
    from matplotlib import rc_context

    svg, png = io.StringIO(), io.BytesIO()
    with rc_context({"svg.hashsalt": "specpkg"}):
        figure.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
    figure.savefig(png, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return {"svg": svg.getvalue(), "png": base64.b64encode(png.getvalue()).decode("ascii")}


def load_ipython_extension(ipython: Any) -> None:
    """Add a display format that carries each shown figure's SVG and PNG (kernel side)."""
    from IPython.core.formatters import BaseFormatter
    from matplotlib.figure import Figure
    from traitlets import Unicode

    class FigureFiles(BaseFormatter):
        # Decides by type itself: ``%matplotlib inline`` removes Figure from the
        # type registry of every formatter.
        format_type = Unicode(FIGURE_MIME)
        _return_type = dict

        def __call__(self, obj: Any) -> dict[str, str] | None:
            return figure_files(obj) if isinstance(obj, Figure) else None

    ipython.display_formatter.formatters[FIGURE_MIME] = FigureFiles(
        parent=ipython.display_formatter)
    _whole_cells(ipython)


def _whole_cells(ipython: Any) -> None:
    """pandas tables shown with every cell whole: a reader's table never cuts a value
    off with "..." (``display.max_colwidth``, whatever the notebook sets)."""
    import pandas as pd

    def whole(frame: pd.DataFrame) -> str | None:
        with pd.option_context("display.max_colwidth", None):
            return frame._repr_html_()

    ipython.display_formatter.formatters["text/html"].for_type(pd.DataFrame, whole)


def slug(heading: str) -> str:
    """A section's file-name part: its requirement ID, else its first words."""
    match = REQUIREMENT_ID.match(heading)
    if match:
        return match.group(0)
    words = re.findall(r"[a-z0-9]+", re.sub(r"\([^)]*\)", "", heading).lower())
    return "-".join(words)[:40].rstrip("-") or "section"


def notebook_figures(nb: nbformat.NotebookNode) -> list[tuple[str, dict[str, str]]]:
    """``(section slug, files)`` for each figure of an executed notebook, in order."""
    section, found = "top", []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            headings = _HEADING.findall(cell.source)
            if headings:
                section = slug(headings[-1])
            continue
        for output in cell.get("outputs", []):
            files = output.get("data", {}).get(FIGURE_MIME)
            if files:
                found.append((section, dict(files)))
    return found


def export(notebooks: Iterable[Path], out: Path = FIGURES) -> list[Path]:
    """Write every figure of the notebooks as SVG and PNG into ``out``; return the files.

    A notebook's earlier files are removed first, so the folder never holds a
    figure the notebook no longer draws."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for path in notebooks:
        for old in out.glob(f"{path.stem}__*"):
            old.unlink()
        counts: dict[str, int] = {}
        for section, files in notebook_figures(nbformat.read(path, as_version=4)):
            counts[section] = counts.get(section, 0) + 1
            stem = out / f"{path.stem}__{section}_{counts[section]}"
            stem.with_suffix(".svg").write_text(files["svg"], encoding="utf-8")
            stem.with_suffix(".png").write_bytes(base64.b64decode(files["png"]))
            written += [stem.with_suffix(".svg"), stem.with_suffix(".png")]
    return written
