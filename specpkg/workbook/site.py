"""Render the executed workbook as a static site under ``build/site``.

``index.html`` lists the requirement catalogue with each requirement's status
from the latest test run (pytest's JUnit XML: passed, failed or not run) and
links to the notebook section that walks through it; each notebook becomes one
page with its plots and tables. Headings that start with a requirement ID get
that ID as their anchor (``01_debt_registers_and_reset.html#BR-1``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

import nbformat
from lxml import etree
from nbconvert import HTMLExporter

from specpkg.paths import BUILD_DIR
from specpkg.workbook import requirements

JUNIT = BUILD_DIR / "test-results.xml"
_REMOTE_SCRIPT = re.compile(r'<script[^>]*\ssrc="https?://[^"]*"[^>]*>\s*</script>\s*')
_ID_HEADING = re.compile(r"^(#{1,6})\s+((?:BR|SR|TR|IMP)-\d+)(?![\w-])(.*)$", re.MULTILINE)


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not run"


_RANK = {Status.NOT_RUN: 0, Status.PASSED: 1, Status.FAILED: 2}


def junit_outcomes(junit: Path = JUNIT) -> dict[str, Status]:
    """pytest node id (without parameters) -> worst outcome in the JUnit XML."""
    if not junit.is_file():
        return {}
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(junit), parser).getroot()
    outcomes: dict[str, Status] = {}
    for case in root.iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        module_parts = classname.split(".")
        # classname is "tests.test_x" or "tests.test_x.TestClass"
        path_parts = [p for p in module_parts if not p[:1].isupper()]
        node = "/".join(path_parts) + ".py::" + name.split("[", 1)[0]
        if case.find("failure") is not None or case.find("error") is not None:
            status = Status.FAILED
        elif case.find("skipped") is not None:
            status = Status.NOT_RUN
        else:
            status = Status.PASSED
        previous = outcomes.get(node, Status.NOT_RUN)
        outcomes[node] = max(previous, status, key=_RANK.__getitem__)
    return outcomes


def requirement_status(req: requirements.Requirement, outcomes: dict[str, Status]) -> Status:
    """Passed only when every named test ran and passed; failed if any failed."""
    found = [outcomes.get(t.split("[", 1)[0], Status.NOT_RUN) for t in req.tests]
    if Status.FAILED in found:
        return Status.FAILED
    if found and all(s is Status.PASSED for s in found):
        return Status.PASSED
    return Status.NOT_RUN


def _anchor_headings(nb: nbformat.NotebookNode) -> None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _ID_HEADING.sub(
                lambda m: f'<a id="{m.group(2)}"></a>\n\n{m.group(1)} {m.group(2)}{m.group(3)}',
                cell.source,
            )


def render_notebook(source: Path, target: Path) -> None:
    nb = nbformat.read(source, as_version=4)
    _anchor_headings(nb)
    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(nb)
    # The site must work offline: no script is fetched from elsewhere.
    body = _REMOTE_SCRIPT.sub("", body).replace("<head>", f"<head>{_ICON_LINK}", 1)
    target.write_text(body, encoding="utf-8")


_ICON_LINK = '<link rel="icon" href="favicon.svg" type="image/svg+xml">'
_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#0a5c8a"/>'
    '<text x="8" y="12" font-size="10" text-anchor="middle" fill="white">0</text></svg>\n'
)

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222; }
table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.4rem; text-align: left; vertical-align: top; }
td:first-child, td:nth-child(4) { white-space: nowrap; }
.passed { color: #0a7a27; font-weight: 600; } .failed { color: #b00020; font-weight: 600; }
.not-run { color: #777; }
"""


def _section_link(pointer: str) -> str:
    """``notebooks/NN_x.ipynb#ID`` as a link to that section of the rendered page."""
    if not pointer:
        return ""
    path, _, section = pointer.partition("#")
    page = Path(path).with_suffix(".html").name
    return (f'<a href="{page}#{html.escape(section)}">'
            f"{html.escape(Path(path).stem)} § {html.escape(section)}</a>")


def render_index(pages: Iterable[str], target: Path, junit: Path = JUNIT) -> None:
    outcomes = junit_outcomes(junit)
    rows = []
    for req in requirements.load():
        status = requirement_status(req, outcomes)
        link = _section_link(req.notebook)
        rows.append(
            f'<tr id="{req.id}"><td>{req.id}</td><td>{html.escape(req.requirement)}</td>'
            f"<td>{link}</td>"
            f'<td class="{status.value.replace(" ", "-")}">{status.value}</td>'
            f"<td>{len(req.tests)}</td></tr>"
        )
    source = ("Status of each requirement's tests in the latest test run (build/test-results.xml)."
              if outcomes else
              "No test run found: run the test command first (make test) for each status.")
    finding_rows = "".join(
        f'<tr><td>{f["id"]}</td><td><a href="#{f["requirement"]}">{f["requirement"]}</a></td>'
        f'<td>{html.escape(f["finding"])}</td><td>{_section_link(f["notebook"])}</td></tr>'
        for f in requirements.findings().to_dict("records")
    )
    notebook_links = "".join(f'<li><a href="{p}">{html.escape(Path(p).stem)}</a></li>'
                             for p in pages)
    target.write_text(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>SECMP0002 executable specification</title>"
        f"{_ICON_LINK}"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>SECMP0002: reset Debt Registers: executable specification</h1>"
        f"<p>{source}</p>"
        "<table><thead><tr><th>ID</th><th>requirement</th><th>where it is shown</th>"
        "<th>status</th><th>tests</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table><h2>Findings for reviewers</h2>"
        "<p>Points the specification leaves open, found while making it executable "
        "(data/findings.csv); each is shown by a test and a notebook section.</p>"
        "<table><thead><tr><th>ID</th><th>requirement</th><th>finding</th>"
        "<th>where it is shown</th></tr></thead><tbody>"
        + finding_rows
        + f"</tbody></table><h2>Notebooks</h2><ul>{notebook_links}</ul></body></html>\n",
        encoding="utf-8",
    )


def render(executed: Path = BUILD_DIR / "notebooks", out: Path = BUILD_DIR / "site",
           junit: Path = JUNIT) -> list[Path]:
    """Render every executed notebook and the index; returns the pages written."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "favicon.svg").write_text(_ICON, encoding="utf-8")
    pages = []
    for source in sorted(executed.glob("*.ipynb")):
        target = out / source.with_suffix(".html").name
        render_notebook(source, target)
        pages.append(target)
    render_index([p.name for p in pages], out / "index.html", junit)
    return [out / "index.html", *pages]
