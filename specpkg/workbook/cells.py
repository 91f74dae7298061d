"""How an executed notebook is prepared for the book (a copy; never the committed file).

* The title gets its number: ``# 01 · The three Debt Registers ...``.
* Every code input is hidden behind a toggle (MyST-NB's ``hide-input`` tag); a cell
  tagged ``dump`` (a byte-by-byte dump) is collapsed whole, output too (``hide-cell``).
* A cell that only checks (asserts, no output) becomes one line, "checked: ...",
  in plain English, that the reader can expand to the code. The line is the cell's
  ``# checked: ...`` comment; else its assert messages or its leading comment when
  they read as English; else the section it checks, never the Python itself.
* A cell that draws a figure gets a numbered caption ("Figure 3. ..."): its
  ``# caption: ...`` comment, else the title of the section it is in.
* pandas tables lose a plain 0, 1, 2 ... row index, and requirement IDs in them
  never wrap.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import lxml.html
import nbformat
from lxml import etree

#: A requirement ID of the specification (BR-1..5, SR-1..12, TR-1..10, IMP-1).
REQUIREMENT_ID = re.compile(r"\b(?:BR|SR|TR|IMP)-\d+\b")
#: Any ID the book uses: requirements, findings (F-n), model assumptions (MA-n), risks (R-n).
BOOK_ID = re.compile(r"\b(?:BR|SR|TR|IMP|F|MA|R)-\d+\b")
_TITLE = re.compile(r"^#\s+(?:\d{2}\b\s*[·:.\-–—]?\s*)?(.*)$")
_CAPTION = re.compile(r"^\s*#\s*caption:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_CHECKED = re.compile(r"^\s*#\s*checked:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_LEADING_COMMENT = re.compile(r"^\s*#\s*(?:checks?\s*:\s*)?(.+?)\s*$", re.IGNORECASE)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)
HIDE_INPUT = "hide-input"
HIDE_CELL = "hide-cell"
CHECKED_TAG = "checked"
#: A cell tagged ``dump`` (a byte-by-byte dump) is shown collapsed, code and output,
#: behind one line: the walkthrough keeps the meaning, the bytes are a click away.
DUMP_TAG = "dump"
DUMP_PROMPT = "byte-by-byte detail (show)"
FIGURE_MIME = "application/vnd.specpkg.figure+json"


def number_title(nb: nbformat.NotebookNode, number: str) -> str:
    """Give the notebook's ``#`` title its number ("01 · ..."); return the title."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        for i, line in enumerate(lines):
            match = _TITLE.match(line)
            if match:
                lines[i] = f"# {number} · {match.group(1).strip()}"
                cell.source = "\n".join(lines)
                return lines[i][2:]
        break
    raise ValueError("the notebook does not open with a '# ' title")


def _python(source: str) -> ast.Module | None:
    """The cell as Python (IPython magics turned into calls), or None if it is not."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None


def _one_line(text: str) -> str:
    """The text on one line, whole: a reader's summary is never cut off with "..."."""
    return " ".join(text.split())


#: What a Python condition looks like: a checked: line holding one is not plain English.
PYTHON_OPERATOR = re.compile(r"==|!=|<=|>=|\w\(|\w\[|[A-Za-z_]\w+\.[a-z_]\w+|\b\w+_\w+\b"
                             r"|\blen\b|\bisinstance\b")


def plain(text: str) -> bool:
    """True when a line reads as English, not as Python (no operator, call, attribute,
    index or snake_case name)."""
    return not PYTHON_OPERATOR.search(text)


def checked_statement(source: str, section: str = "") -> str | None:
    """The one-line "checked: ..." for a cell that checks, or None if it asserts nothing.
    The line is the cell's ``# checked:`` comment, else its assert messages, else its
    leading comment, each when it reads as English; else it names the ``section`` the
    cell checks and how many conditions, never the Python itself (a notebook author
    should add a ``# checked:`` comment: :func:`needs_description` finds those cells)."""
    tree = _python(source)
    asserts = [n for n in ast.walk(tree) if isinstance(n, ast.Assert)] if tree else []
    if not asserts:
        return None
    said = _CHECKED.search(source)
    if said:
        return "checked: " + _one_line(said.group(1))
    messages = [n.msg.value for n in asserts
                if isinstance(n.msg, ast.Constant) and isinstance(n.msg.value, str)]
    if messages and all(plain(m) for m in messages):
        return "checked: " + _one_line("; ".join(messages))
    first = source.lstrip().splitlines()[0]
    comment = _LEADING_COMMENT.match(first) if first.lstrip().startswith("#") else None
    if comment and plain(comment.group(1)):
        return "checked: " + _one_line(comment.group(1))
    where = f"what “{_one_line(section)}” says" if section else "what the text above says"
    count = f"{len(asserts)} condition{'s' * (len(asserts) != 1)}"
    return f"checked: {where} ({count} in the code)"


def needs_description(source: str) -> bool:
    """True for a checking cell whose line the book has to make up: it has no
    ``# checked:`` comment and no assert message or leading comment in English."""
    statement = checked_statement(source, "§")
    return statement is not None and statement.startswith("checked: what “§” says")


def _has_output(cell: nbformat.NotebookNode) -> bool:
    return any(o.get("output_type") != "stream" or o.get("text", "").strip()
               for o in cell.get("outputs", []))


def _tag(cell: nbformat.NotebookNode, tag: str) -> None:
    tags = cell.metadata.setdefault("tags", [])
    if tag not in tags:
        tags.append(tag)


def prepare_code_cell(cell: nbformat.NotebookNode, section: str = "") -> None:
    """Hide the input; a checking cell without output shows its "checked:" line."""
    _tag(cell, HIDE_INPUT)
    shown = cell.metadata.setdefault("mystnb", {})
    if DUMP_TAG in cell.metadata.get("tags", []):
        _tag(cell, HIDE_CELL)
        shown.update(code_prompt_show=DUMP_PROMPT, code_prompt_hide="byte-by-byte detail (hide)")
    statement = None if _has_output(cell) else checked_statement(cell.source, section)
    if statement:
        _tag(cell, CHECKED_TAG)
        shown.update(code_prompt_show=statement, code_prompt_hide=statement + " (hide the code)")
    if any("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
           for o in cell.get("outputs", [])):
        said = _CAPTION.search(cell.source)
        caption = _one_line(said.group(1) if said else section)
        shown["figure"] = {"caption": caption}
        shown["image"] = {"alt": caption}  # a screen reader says what the figure is
    if not shown:
        del cell.metadata["mystnb"]
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        data.pop(FIGURE_MIME, None)
        if "text/html" in data:
            data["text/html"] = tidy_table_html(_text(data["text/html"]))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "".join(value)


def _plain_index(table: etree._Element) -> bool:
    """True when the row labels are 0, 1, 2 ... (a RangeIndex) and the header has no name."""
    labels = [row.find("th") for row in table.iterfind("tbody/tr")]
    if not labels or any(th is None for th in labels):
        return False
    if [(th.text or "").strip() for th in labels] != [str(i) for i in range(len(labels))]:
        return False
    head = table.findall("thead/tr")
    return all((row[0].text or "").strip() == "" and row[0].tag == "th" for row in head if len(row))


def _wrap_ids(cell: etree._Element) -> None:
    """Put each requirement ID of a table cell in ``<span class="rid">`` (never wraps)."""
    if len(cell) or not cell.text or not BOOK_ID.search(cell.text):
        return
    text, cell.text = cell.text, None
    last: etree._Element | None = None
    position = 0
    for match in BOOK_ID.finditer(text):
        before = text[position:match.start()]
        if last is None:
            cell.text = before
        else:
            last.tail = before
        last = etree.SubElement(cell, "span", {"class": "rid"})
        last.text = match.group(0)
        position = match.end()
    if last is not None:
        last.tail = text[position:]


#: Cell values a reader should not meet: Python's booleans and missing values.
WORDS = {"True": "yes", "False": "no", "None": "—", "NaN": "—", "nan": "—", "<NA>": "—",
         "NaT": "—"}
#: Header words kept as their abbreviation (snake_case headers are split into words).
_ABBREVIATIONS = {w.lower(): w for w in ("ID", "ADT", "DLMS", "OBIS", "GBCS", "ZCL", "HAN",
                                          "WAN", "GSME", "ESME", "DCC", "SMS", "CH", "MAC",
                                          "SECMP0002", "UTC")}
#: A unit at the end of a snake_case header, and how it is shown.
_UNITS = {"s": "(s)", "seconds": "(s)", "ms": "(ms)", "p": "(p)", "pence": "(p)",
          "gbp": "(£)", "pounds": "(£)", "min": "(min)", "minutes": "(min)"}


def header_words(name: str) -> str:
    """A column header in words: ``role_in_testing`` -> ``role in testing``,
    ``n_tests`` -> ``number of tests``, ``fastest_s`` -> ``fastest (s)``,
    ``case_id`` -> ``case ID``; a header with a space in it is already words."""
    text = name.strip()
    if text in WORDS:
        return WORDS[text]
    if " " in text or "_" not in text:
        return text
    words = [w for w in text.split("_") if w]
    if len(words) > 1 and words[-1].lower() in _UNITS:
        words[-1] = _UNITS[words[-1].lower()]
    if len(words) > 1 and words[0] == "n":
        words[0] = "number of"
    return " ".join(_ABBREVIATIONS.get(w.lower(), w) for w in words)


def _merge_index_header(table: etree._Element) -> None:
    """pandas puts a named index on a second header row (its name, then blanks): move the
    name into the first row, so the index reads as the table's first column."""
    head = table.findall("thead/tr")
    if len(head) != 2:
        return
    first, names = head
    labels = [(c.text_content() or "").strip() for c in names]
    levels = next((i for i, label in enumerate(labels) if not label), len(labels))
    if not levels or any(labels[levels:]) or len(first) != len(names) \
            or any((first[i].text_content() or "").strip() for i in range(levels)):
        return
    for i in range(levels):
        first[i].text = labels[i]
    names.getparent().remove(names)


def _words_in_cells(table: etree._Element) -> None:
    for cell in table.iter("td", "th"):
        if len(cell):
            continue
        text = (cell.text or "").strip()
        if cell.getparent().getparent().tag == "thead":
            cell.text = header_words(text) if text else cell.text
        elif text in WORDS:
            cell.text = WORDS[text]


def tidy_table_html(markup: str) -> str:
    """A pandas HTML output as a reader's table: no plain row index, a named index as the
    first column under one header row, headers in words, yes/no for True/False and a dash
    for a missing value, IDs kept whole; other HTML as is."""
    if "<table" not in markup:
        return markup
    root = lxml.html.fragment_fromstring(markup, create_parent="div")
    tables = root.xpath(".//table[contains(concat(' ', @class, ' '), ' dataframe ')]")
    if not tables:
        return markup
    for table in tables:
        if _plain_index(table):
            for row in table.iterfind(".//tr"):
                if len(row) and row[0].tag == "th":
                    row.remove(row[0])
        _merge_index_header(table)
        _words_in_cells(table)
        for cell in table.iter("td", "th"):
            _wrap_ids(cell)
    return (root.text or "") + "".join(lxml.html.tostring(child, encoding="unicode")
                                       for child in root)


def prepare(nb: nbformat.NotebookNode, number: str) -> str:
    """Prepare a notebook for the book in place; return its numbered title."""
    title = number_title(nb, number)
    section = title
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            headings = [m.group(1) for m in _HEADING.finditer(cell.source)]
            section = headings[-1] if headings else section
        elif cell.cell_type == "code":
            prepare_code_cell(cell, section)
    return title
