"""The book's Sphinx extension: requirement anchors, unbreakable IDs, generated pages.

* A section whose title starts with a requirement ID gets that ID as its anchor
  (``04_reset_use_cases.html#SR-1``), first, so the in-page contents use it too.
* Every requirement ID in the text is kept on one line (``<span class="rid">``).
* ``{requirement-status}`` renders the requirement-status page and
  the summary's parts (:mod:`specpkg.workbook.summary`), both as docutils nodes: every text from
  the CSV files is a text node, so HTML escaping is the writer's, never ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util.docutils import SphinxDirective
from sphinx.util.osutil import relative_uri

from specpkg.workbook import requirements, status
from specpkg.workbook.cells import BOOK_ID, REQUIREMENT_ID

STATIC = Path(__file__).resolve().parent / "static"
Cell = str | nodes.Node | Sequence[nodes.Node]


class RequirementAnchors(SphinxTransform):
    """Section anchors named by requirement ID; IDs in text never wrap (e.g. "SR-/11")."""

    default_priority = 500

    def apply(self, **kwargs: Any) -> None:
        for section in self.document.findall(nodes.section):
            match = REQUIREMENT_ID.match(section[0].astext()) if section.children else None
            if match and match.group(0) not in self.document.ids:
                section["ids"].insert(0, match.group(0))
                self.document.ids[match.group(0)] = section
                section.insert(1, index_entry(match.group(0), match.group(0)))
        skip = (nodes.FixedTextElement, nodes.literal, nodes.raw, nodes.comment)
        for text in list(self.document.findall(nodes.Text)):
            parent = text.parent
            if parent is None or isinstance(parent, skip) or "rid" in parent.get("classes", []):
                continue
            value = str(text)
            if BOOK_ID.search(value):
                parent.replace(text, _split_ids(value))


def index_entry(term: str, target: str) -> nodes.Node:
    """A main index entry: the search ranks the page that defines ``term`` first."""
    from sphinx import addnodes

    return addnodes.index(entries=[("single", term, target, "main", None)], inline=False)


def _split_ids(value: str) -> list[nodes.Node]:
    parts: list[nodes.Node] = []
    position = 0
    for match in BOOK_ID.finditer(value):
        if match.start() > position:
            parts.append(nodes.Text(value[position:match.start()]))
        parts.append(nodes.inline(match.group(0), match.group(0), classes=["rid"]))
        position = match.end()
    if position < len(value):
        parts.append(nodes.Text(value[position:]))
    return parts


# ----------------------------------------------------------------- node helpers


def para(*parts: str | nodes.Node, classes: Iterable[str] = ()) -> nodes.paragraph:
    """A paragraph of text pieces and nodes (strings become text nodes)."""
    node = nodes.paragraph(classes=list(classes))
    for part in parts:
        node += nodes.Text(part) if isinstance(part, str) else part
    return node


def badge(text: str) -> nodes.inline:
    """A status word styled by its class (``status-passed``, ``status-not-run`` ...)."""
    return nodes.inline(text, text, classes=["status", "status-" + text.replace(" ", "-")])


def link(text: str, uri: str) -> nodes.reference:
    return nodes.reference(text, text, refuri=uri, internal=True)


def table(headers: Sequence[str], rows: Iterable[Sequence[Cell]], *, ids: Iterable[str] = (),
          classes: Iterable[str] = ()) -> nodes.table:
    """A docutils table; a cell is text, a node or a list of nodes; row ``ids`` are anchors."""
    result = nodes.table(classes=["specpkg-table", *classes])
    group = nodes.tgroup(cols=len(headers))
    result += group
    group.extend(nodes.colspec(colwidth=1) for _ in headers)
    head = nodes.thead()
    head += _row(headers)
    body = nodes.tbody()
    anchors = list(ids)
    for i, cells in enumerate(rows):
        row = _row(cells)
        if i < len(anchors) and anchors[i]:
            row["ids"].append(anchors[i])
        body += row
    group += [head, body]
    return result


#: Words a test's name spells in lower case, as a reader writes them.
_ACRONYMS = {w: w.upper() for w in (
    "esme", "gsme", "chf", "gpf", "dcc", "duis", "gbcs", "han", "wan", "mac", "mmc", "zse",
    "dlms", "cosem", "gcs04", "ppmid", "ihd", "cad", "hcalcs", "tom", "xml", "http",
    "ecdsa", "ecdh", "aes", "gcm", "pdf", "csv", "api", "id", "ids", "cra", "tdr", "pdr",
    "ch", "sms", "ecs07")} | {"sr23": "SR 2.3", "dccs": "DCC's", "sundays": "Sundays",
                              "gurux": "Gurux", "precommand": "Pre-Command"}
_TEST_ID = re.compile(r"^(?:br|sr|tr|imp|f|ma|r|i)(\d+)$")


def words_for_test(name: str) -> str:
    """A catalogue test name as words: ``tests/test_flow.py::test_sr4_a_pre_release_meter``
    reads "A pre-Release meter (SR-4)"; its ID tokens go to the end, a case's parameters
    stay in brackets."""
    function = name.split("::")[-1].removeprefix("test_")
    function, _, case = function.partition("[")
    ids, words = [], []
    for token in function.split("_"):
        match = None if token in _ACRONYMS else _TEST_ID.match(token)
        if match is None:
            words.append(_ACRONYMS.get(token, token))
            continue
        # an ID opening the name goes to the end; one inside it stays in its place
        (words if words else ids).append(f"{token[:match.start(1)].upper()}-{match.group(1)}")
    text = (" ".join(words).replace("pre release", "pre-Release").replace("non zero", "non-zero")
            .replace("pre command", "Pre-Command"))
    text = text[:1].upper() + text[1:]
    if case:
        text += f" [{case}"
    return text + (f" ({', '.join(ids)})" if ids else "")


def node_for_test(name: str) -> nodes.Node:
    """A test as its words, with its full name (file and function) when the pointer rests
    on it: analysts read the words, developers find the test."""
    return nodes.abbreviation(text=words_for_test(name), explanation=name)


def _row(cells: Sequence[Cell]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        if isinstance(cell, str | nodes.Inline | nodes.Text):
            entry += para(cell)
        elif isinstance(cell, nodes.Node):
            entry += cell
        else:
            entry.extend(cell)
        row += entry
    return row


class BookDirective(SphinxDirective):
    """Shared: links from the page being read to another page's anchor."""

    def page_link(self, pointer: str, text: str | None = None) -> nodes.Node:
        """``notebooks/NN_x.ipynb#ID`` -> a link to that section, or plain text
        when the notebook is not in this book."""
        if not pointer:
            return nodes.Text("")
        path, _, anchor = pointer.partition("#")
        docname = Path(path).stem
        label = text or (f"{docname[:2]} § {anchor}" if anchor else docname)
        if docname not in self.env.found_docs:
            return nodes.Text(label)
        suffix = self.config.html_file_suffix or ".html"
        uri = relative_uri(self.env.docname + suffix, docname + suffix)
        # an ID ("SR-1", "F-5") or a slug is the anchor itself; a section title (it has
        # spaces) becomes docutils' id of that title
        fragment = nodes.make_id(anchor) if " " in anchor else anchor
        return link(label, uri + (f"#{fragment}" if anchor else ""))


# ----------------------------------------------------------------- status page


def run_sentence(run: status.RunRecord, junit: Path) -> nodes.paragraph:
    """When and on which commit the tests ran, and what they counted."""
    if not run.found:
        return para("No test run found (", nodes.literal(text=str(junit.name)),
                    "): every test is 'not run'. Run ", nodes.literal(text="make test"), ".")
    counts = dict(run.counts)
    commit = run.commit[:12] if run.commit else "an unknown commit"
    dirty = " with uncommitted changes" if run.dirty else ""
    return para(f"Tests ran {run.when or 'at an unknown time'} on ", nodes.literal(text=commit),
                f"{dirty}: {counts.get('tests', 0)} tests, {counts.get('failures', 0)} failed, "
                f"{counts.get('errors', 0)} errors, {counts.get('skipped', 0)} skipped.")


class RequirementStatusDirective(BookDirective):
    """Every requirement, its status, its tests with theirs, its findings, its section."""

    def run(self) -> list[nodes.Node]:
        junit = Path(self.config.specpkg_junit)
        self.env.note_dependency(str(junit))
        self.env.note_dependency(str(status.record_path(junit)))
        rows = status.requirement_statuses(status.junit_outcomes(junit))
        tally = {s: sum(r.status is s for r in rows) for s in status.Status}
        summary = para(", ".join(f"{n} {s.value}" for s, n in tally.items() if n) + ".")
        main = table(
            ["ID", "requirement", "status", "tests", "findings", "shown in"],
            [[r.requirement.id, r.requirement.requirement, badge(r.status.value),
              self._tests(r.tests), self._findings(r.findings),
              self.page_link(r.requirement.notebook)] for r in rows],
            ids=[r.requirement.id for r in rows], classes=["requirement-status"],
        )
        from specpkg.workbook import decisions

        self.env.note_dependency(str(requirements.FINDINGS))
        self.env.note_dependency(str(requirements.DECISIONS))
        found = decisions.cards(requirements.load_findings(), requirements.decisions(),
                                status.junit_outcomes(junit),
                                lambda pointer, text: self.page_link(pointer, text))
        title = nodes.rubric(text="Findings for reviewers: the decisions for the working group",
                             ids=["findings-for-reviewers"])
        intro = para("Each finding is a question the specification leaves open, with its "
                     "options and what each would mean, the workbook's recommendation and "
                     "why, and who decides. High severity first.")
        return [run_sentence(status.latest_run(junit), junit), summary, main, title, intro,
                *found]

    def _tests(self, tests: Sequence[tuple[str, status.TestOutcome]]) -> nodes.Node:
        items = nodes.bullet_list(classes=["test-list"])
        for name, outcome in tests:
            item = nodes.list_item()
            item += para(node_for_test(name), " ", badge(outcome.value))
            items += item
        return items if tests else para("no test named")

    def _findings(self, found: Sequence[Any]) -> nodes.Node:
        if not found:
            return para("none")
        result = para()
        for i, f in enumerate(found):
            if i:
                result += nodes.Text(", ")
            result += link(f.id, f"#{f.id}")
            result += nodes.Text(" (open)" if f.open else " (closed)")
        return result


class ParameterBannerDirective(BookDirective):
    """The banner of a book whose notebooks ran with non-default parameters."""

    def run(self) -> list[nodes.Node]:
        note = nodes.warning()
        note += para(self.config.specpkg_banner)
        return [note]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("specpkg_junit", str(status.JUNIT), "env", [str])
    app.add_config_value("specpkg_banner", "", "env", [str])
    app.add_transform(RequirementAnchors)
    app.add_directive("requirement-status", RequirementStatusDirective)
    app.add_directive("parameter-banner", ParameterBannerDirective)
    app.connect("builder-inited", _static)
    # After Sphinx's own numbering (its toctree collector runs at the default 500).
    app.connect("env-get-updated", per_notebook_numbers, priority=900)
    app.add_css_file("specpkg.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}


def per_notebook_numbers(app: Sphinx, env: Any) -> list[str]:
    """Figures and tables are numbered within their notebook ("Figure 8.2."), so an
    analyst presenting notebook 08 starts at its Figure 8.1, not the book's eleventh;
    pages without a notebook number (the summary) keep the book's own numbers."""
    renumbered = []
    for docname, kinds in env.toc_fignumbers.items():
        prefix = docname.split("_", 1)[0]
        if not prefix.isdigit():
            continue
        for numbers in kinds.values():
            for position, key in enumerate(numbers, start=1):
                numbers[key] = (int(prefix), position)
        renumbered.append(docname)
    return renumbered


def _static(app: Sphinx) -> None:
    app.config.html_static_path.append(str(STATIC))


def _joined(parts) -> list[nodes.Node]:
    """Inline nodes separated by commas."""
    out: list[nodes.Node] = []
    for i, part in enumerate(parts):
        if i:
            out.append(nodes.Text(", "))
        out.append(part)
    return out
