"""The book's glossary page, and each term linked where a page first uses it.

The terms are ``data/glossary.csv``: the specification's own Appendix 1 (its
mistyped entries corrected, each correction noted, F-19) and the terms the book
adds, each with its source. The page also lists the model assumptions
(``data/model_assumptions.csv``, MA-n), each the search's index entry for its ID.
On every other page the first use of a term (its name or its abbreviation, whole
words, in running text) links to its entry.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.osutil import relative_uri

from specpkg.paths import DATA_DIR
from specpkg.workbook.bookext import BookDirective, index_entry, para

GLOSSARY = DATA_DIR / "glossary.csv"
ASSUMPTIONS = DATA_DIR / "model_assumptions.csv"
PAGE = "glossary"


@dataclass(frozen=True)
class Term:
    term: str
    abbreviation: str
    definition: str
    source: str
    note: str

    @property
    def anchor(self) -> str:
        return "term-" + "-".join(re.findall(r"[a-z0-9]+", self.term.lower()))

    @property
    def names(self) -> tuple[str, ...]:
        """How a page may write it: the term, and its abbreviation if it has one."""
        return tuple(n for n in (self.term, self.abbreviation) if n)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load(path: Path = GLOSSARY) -> list[Term]:
    """The glossary, in alphabetical order of the term."""
    terms = [Term(r["term"], r["abbreviation"], r["definition"], r["source"], r["note"])
             for r in _rows(path)]
    return sorted(terms, key=lambda t: t.term.lower())


@cache
def _pattern(path: Path = GLOSSARY) -> tuple[re.Pattern[str], dict[str, Term]]:
    by_name = {name: t for t in load(path) for name in t.names}
    names = sorted(by_name, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, names)) + r")s?(?![\w-])"), by_name


def first_uses(text: str, seen: set[str], path: Path = GLOSSARY) -> list[tuple[int, int, Term]]:
    """``(start, end, term)`` of each term used in ``text`` for the first time (not in
    ``seen``, which is updated)."""
    pattern, by_name = _pattern(path)
    found = []
    for match in pattern.finditer(text):
        term = by_name[match.group(1)]
        if term.anchor not in seen:
            seen.add(term.anchor)
            found.append((match.start(), match.end(), term))
    return found


class GlossaryLinks(SphinxPostTransform):
    """Link the first use of each term on a page (running text only) to its entry."""

    default_priority = 900
    formats = ("html",)
    _SKIP = (nodes.title, nodes.rubric, nodes.reference, nodes.literal, nodes.FixedTextElement,
             nodes.raw, nodes.table, nodes.caption, nodes.comment, nodes.target)

    def run(self, **kwargs: Any) -> None:
        docname = self.env.docname
        if docname == PAGE or PAGE not in self.env.found_docs:
            return
        suffix = self.config.html_file_suffix or ".html"
        uri = relative_uri(docname + suffix, PAGE + suffix)
        seen: set[str] = set()
        for text in list(self.document.findall(nodes.Text)):
            if not self._prose(text):
                continue
            uses = first_uses(str(text), seen)
            if uses:
                text.parent.replace(text, _linked(str(text), uses, uri))

    def _prose(self, node: nodes.Node) -> bool:
        parent = node.parent
        inside_paragraph = False
        while parent is not None:
            if isinstance(parent, self._SKIP) or "rid" in parent.get("classes", []) \
                    or "cell_output" in parent.get("classes", []):
                return False
            inside_paragraph = inside_paragraph or isinstance(parent, nodes.paragraph)
            parent = parent.parent
        return inside_paragraph


def _linked(text: str, uses: Sequence[tuple[int, int, Term]], uri: str) -> list[nodes.Node]:
    parts: list[nodes.Node] = []
    position = 0
    for start, end, term in uses:
        if start > position:
            parts.append(nodes.Text(text[position:start]))
        parts.append(nodes.reference(text[start:end], text[start:end], internal=True,
                                     refuri=f"{uri}#{term.anchor}", reftitle=term.definition,
                                     classes=["glossary-term"]))
        position = end
    if position < len(text):
        parts.append(nodes.Text(text[position:]))
    return parts


class GlossaryDirective(BookDirective):
    """``{glossary-terms}``: every term, and ``{glossary-assumptions}``: every MA-n."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(GLOSSARY))
        items = nodes.definition_list(classes=["book-glossary"])
        for term in load():
            item = nodes.definition_list_item()
            label = term.term + (f" ({term.abbreviation})" if term.abbreviation else "")
            item += nodes.term(label, label, ids=[term.anchor])
            item += index_entry(term.abbreviation or term.term, term.anchor)
            body = nodes.definition()
            body += para(term.definition)
            note = f" {term.note}" if term.note else ""
            body += para(f"Source: {term.source}.{note}", classes=["glossary-source"])
            item += body
            items += item
        return [items]


class AssumptionsDirective(BookDirective):
    """Every model assumption: its question and what either setting means."""

    def run(self) -> list[nodes.Node]:
        from specpkg.system.assumptions import Assumptions

        self.env.note_dependency(str(ASSUMPTIONS))
        defaults = Assumptions()
        out: list[nodes.Node] = []
        for row in _rows(ASSUMPTIONS):
            default = bool(getattr(defaults, row["name"]))
            box = nodes.container(classes=["decision-card", "assumption"], ids=[row["id"]])
            box += para(nodes.inline(row["id"], row["id"], classes=["rid", "card-id"]),
                        " · model assumption · finding ",
                        self.page_link(f"requirements#{row['finding']}", row["finding"]),
                        classes=["card-head"])
            box += para(nodes.strong(text=row["question"]))
            for answer, text in ((True, row["if_true"]), (False, row["if_false"])):
                label = ("Yes" if answer else "No") + (" (the default)" if answer is default
                                                       else "")
                box += para(nodes.strong(text=label + ": "), text)
            out += [index_entry(row["id"], row["id"]), box]
        from specpkg.system.assumptions import DATA_ASSUMPTIONS_CSV, data_assumptions

        self.env.note_dependency(str(DATA_ASSUMPTIONS_CSV))
        for kept in data_assumptions():
            box = nodes.container(classes=["decision-card", "assumption"], ids=[kept.id])
            box += para(nodes.inline(kept.id, kept.id, classes=["rid", "card-id"]),
                        " · model assumption kept with its data · finding ",
                        self.page_link(f"requirements#{kept.finding}", kept.finding),
                        classes=["card-head"])
            box += para(nodes.strong(text=kept.question))
            box += para(nodes.strong(text="The model's answer: "), kept.default)
            box += para(nodes.strong(text="Kept in: "), kept.kept_in, "; source: ", kept.source)
            out += [index_entry(kept.id, kept.id), box]
        return out


PAGE_TEXT = """# Glossary and model assumptions

The terms of the specification's own glossary (its Appendix 1, with its mistyped
entries corrected: each correction is noted, and finding F-19 asks for it) and
the terms this book adds, each with its source. Every page links the first use
of a term here.

```{glossary-terms}
```

## Model assumptions

Where the specification leaves a behaviour of the DCC or of a meter open, the
workbook makes a named assumption with one default; each names the finding that
asks the working group to decide.

```{glossary-assumptions}
```
"""


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("glossary-terms", GlossaryDirective)
    app.add_directive("glossary-assumptions", AssumptionsDirective)
    app.add_post_transform(GlossaryLinks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
