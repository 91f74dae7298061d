"""The published book: Sphinx + MyST-NB + sphinx-book-theme over the executed notebooks.

``render`` stages a copy of each notebook (prepared by :mod:`specpkg.workbook.cells`)
with two generated pages, the executive summary (first: ``index.html``) and the
requirement-status page, and builds static HTML that needs no server and no
network: sidebar and previous/next navigation, in-page contents, search.
Notebooks executed with papermill parameters other than their defaults make a
book of their own (``build/variants/...``) with a banner naming them on every
page; they never replace the default book.
"""

from __future__ import annotations

import html
import io
import json
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import nbformat

from specpkg.errors import SpecError
from specpkg.paths import BUILD_DIR, NOTEBOOK_DIR
from specpkg.workbook import cells, glossary, status, summary

SITE = BUILD_DIR / "site"
VARIANTS = BUILD_DIR / "variants"
TITLE = "SECMP0002: reset Debt Registers"


class BookError(SpecError):
    """The book could not be built; names what was wrong."""


def book_notebooks(executed: Path = BUILD_DIR / "notebooks",
                   committed: Path = NOTEBOOK_DIR) -> list[Path]:
    """Each workbook notebook once, in order: the executed copy when it is newer
    than the committed notebook, else the committed one (it carries outputs)."""
    chosen = []
    for source in sorted(committed.glob("[0-9][0-9]_*.ipynb")):
        run = executed / source.name
        newer = run.is_file() and run.stat().st_mtime >= source.stat().st_mtime
        chosen.append(run if newer else source)
    return chosen


def parameters_of(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """The papermill parameters a notebook was executed with (none for the defaults)."""
    return dict(nb.metadata.get("papermill", {}).get("parameters") or {})


def banner_text(parameters: Mapping[str, Mapping[str, Any]]) -> str:
    """``{notebook: {name: value}}`` -> one sentence naming every non-default parameter."""
    parts = [f"{notebook}: " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in sorted(p.items()))
             for notebook, p in sorted(parameters.items()) if p]
    if not parts:
        return ""
    return "Built with non-default parameters (" + "; ".join(parts) + "). " \
        "These pages are not the workbook's default results."


@dataclass
class Staged:
    """What was staged for Sphinx: the document names in order, titles, banner."""

    docs: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def banner(self) -> str:
        return banner_text(self.parameters)


def _write(path: Path, text: str) -> None:
    """Write only when the content changes (keeps Sphinx's incremental build)."""
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _toctree(docs: Iterable[str]) -> str:
    return "```{toctree}\n:hidden:\n:maxdepth: 1\n\n" + "\n".join(docs) + "\n```\n"


def stage(notebooks: Sequence[Path], src: Path) -> Staged:
    """Copy and prepare the notebooks into ``src`` and write the generated pages."""
    src.mkdir(parents=True, exist_ok=True)
    staged = Staged()
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        staged.parameters[path.stem] = parameters_of(nb)
        staged.titles[path.stem] = cells.prepare(nb, path.name[:2])
        _write(src / path.name, nbformat.writes(nb))
        staged.docs.append(path.stem)
    if staged.banner:
        pages = {"index": "# Workbook run with other parameters\n\n"
                 + "```{parameter-banner}\n```\n\n" + _toctree(staged.docs)}
    else:
        pages = {
            "index": summary.page_text() + "\n"
            + _toctree(["requirements", *staged.docs, glossary.PAGE]),
            "requirements": "# Requirement status\n\n```{requirement-status}\n```\n",
            glossary.PAGE: glossary.PAGE_TEXT,
        }
    for name, text in pages.items():
        _write(src / f"{name}.md", text)
    keep = {f"{d}.ipynb" for d in staged.docs} | {f"{p}.md" for p in pages}
    for old in [*src.glob("*.ipynb"), *src.glob("*.md")]:
        if old.name not in keep:
            old.unlink()
    return staged


def sphinx_config(junit: Path, banner: str) -> dict[str, Any]:
    """Everything Sphinx is told (there is no conf.py)."""
    options: dict[str, Any] = {
        "home_page_in_toc": True,
        "show_toc_level": 2,
        "use_download_button": True,
        "use_fullscreen_button": False,
        "use_repository_button": False,
        "navigation_with_keys": False,
        "show_navbar_depth": 1,
        # The page's own contents on the right at desktop widths (every page).
        "secondary_sidebar_items": ["page-toc"],
    }
    if banner:
        options["announcement"] = html.escape(banner)
    return {
        "project": TITLE,
        "author": "SECMP0002 workbook",
        "copyright": "SECMP0002 workbook",
        "language": "en",
        "smartquotes": False,
        "numfig": True,
        "numfig_format": {"figure": "Figure %s.", "table": "Table %s.", "code-block": "Listing %s.",
                          "section": "Section %s"},
        "root_doc": "index",
        "extensions": ["myst_nb", "specpkg.workbook.bookext", "specpkg.workbook.summary",
                       "specpkg.workbook.glossary"],
        "html_theme": "sphinx_book_theme",
        "html_title": TITLE,
        "html_theme_options": options,
        "html_context": {"default_mode": "light"},
        "html_show_sourcelink": False,
        # Each page offers its source for download (a notebook's .ipynb, as published).
        "html_copy_source": True,
        "html_sourcelink_suffix": "",
        "html_show_sphinx": False,
        "html_last_updated_fmt": None,
        "html_favicon": str(Path(__file__).resolve().parent / "static" / "favicon.svg"),
        "nb_execution_mode": "off",
        "nb_ipywidgets_js": {},
        "nb_merge_streams": True,
        "nb_output_stderr": "remove",
        "exclude_patterns": ["_build", "**.ipynb_checkpoints", "jupyter_execute"],
        "specpkg_junit": str(junit),
        "specpkg_banner": banner,
    }


def build(src: Path, out: Path, doctrees: Path, config: Mapping[str, Any],
          log: TextIO | None = None) -> list[str]:
    """Run Sphinx's HTML builder; return its warnings (the log gets them too)."""
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    warnings = io.StringIO()
    with patch_docutils(None), docutils_namespace():
        app = Sphinx(str(src), None, str(out), str(doctrees), "html",
                     confoverrides=dict(config), status=None, warning=warnings,
                     freshenv=True, parallel=1)
        app.build(force_all=True)
    found = [line for line in warnings.getvalue().splitlines() if line.strip()]
    for line in found:
        print(f"book: {line}", file=log or sys.stderr)
    if app.statuscode:
        raise BookError(f"Sphinx failed building {src}: see the warnings above")
    return found


def render(
    executed: Path = BUILD_DIR / "notebooks",
    out: Path = SITE,
    junit: Path = status.JUNIT,
    *,
    notebooks: Sequence[Path] | None = None,
    work: Path | None = None,
    log: TextIO | None = None,
) -> Path:
    """Build the book of ``notebooks`` (default: :func:`book_notebooks` of
    ``executed``) into ``out``; return its first page (``index.html``)."""
    chosen = list(notebooks) if notebooks is not None else book_notebooks(executed)
    if not chosen:
        raise BookError(f"no notebooks to publish in {executed}")
    work = work or out.parent / f"{out.name}-source"
    staged = stage(chosen, work / "src")
    if staged.banner and out.resolve() == SITE.resolve():
        raise BookError("notebooks run with non-default parameters never replace the default "
                        f"book in {SITE}: build them into {VARIANTS}/NAME/site")
    if out.is_dir():
        shutil.rmtree(out)
    build(work / "src", out, work / "doctrees", sphinx_config(junit, staged.banner), log)
    return out / "index.html"


def summary_pdf(index: Path, pdf: Path, log: TextIO | None = None) -> Path | None:
    """Print the executive summary (the book's first page) to ``pdf`` with Debian's
    headless Chromium; say why and return None when Chromium cannot be had."""
    from specpkg.workbook import browser

    reason = browser.ensure_chromium()
    if reason:
        print(f"summary PDF skipped: {reason}", file=log or sys.stdout)
        return None
    browser.print_pdf(index, pdf)
    print(f"summary PDF: {pdf.relative_to(pdf.parents[1]) if len(pdf.parents) > 1 else pdf}",
          file=log or sys.stdout)
    return pdf
