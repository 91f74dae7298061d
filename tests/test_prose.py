"""The workbook's prose and data text say what the model does and what the specification
says, never a second version of it (issue 19, "Where the workbook disagrees with itself").

Each test reads every data file's text and every notebook's markdown, and fails on a
sentence that restates a fact of the model or of the specification differently.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from specpkg.anomaly.inspection import SUPPLY_AFFECTING
from specpkg.paths import DATA_DIR, REPO_DIR
from specpkg.testing.testplan import participants

_SENTENCE = re.compile(r"(?<=[.;:!?])\s+|\n\s*\n")


def _texts() -> list[tuple[str, str]]:
    """(where, text) for every cell of every data CSV file and every notebook's markdown."""
    found = []
    for path in sorted(DATA_DIR.rglob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            found += [(f"{path.relative_to(REPO_DIR)}:{n}", cell)
                      for n, row in enumerate(csv.reader(handle), 1) for cell in row]
    for path in sorted((REPO_DIR / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        found += [(f"{path.name}[{i}]", "".join(c["source"]))
                  for i, c in enumerate(cells) if c["cell_type"] == "markdown"]
    return found


def _sentences(pattern: str) -> list[tuple[str, str]]:
    wanted = re.compile(pattern, re.IGNORECASE)
    return [(where, " ".join(s.split())) for where, text in _texts()
            for s in _SENTENCE.split(text) if wanted.search(s)]


def _field_words(name: str) -> str:
    return name.replace("_", " ")


def test_sentences_on_packet_inspection_name_all_inspected_fields_or_none() -> None:
    """Disagreement 3: inspection checks every field of SUPPLY_AFFECTING; a sentence on
    packet inspection that names some of them ("debt amount is zero") names them all."""
    fields = [_field_words(f) for f in SUPPLY_AFFECTING]
    wrong = []
    for where, sentence in _sentences(r"packet[- ]inspect"):
        named = [f for f in fields if f in sentence.lower()]
        if named and len(named) < len(fields):
            wrong.append((where, sentence))
    assert not wrong, wrong


def test_the_check_of_packet_inspection_sentences_can_fail() -> None:
    sentence = "packet inspection that the debt amount is zero"
    assert [f for f in map(_field_words, SUPPLY_AFFECTING) if f in sentence] == ["debt amount"]


_NOT_UPDATED = re.compile(
    r"(?:installed (?:ESME|GSME|meters?|smart meters?)|meters already installed)[^.;|]*?"
    r"(?:not (?:be )?updated|need no update|must not be updated)",
    re.IGNORECASE)


def test_installed_meters_are_described_as_the_specification_does(reference: Path) -> None:
    """Disagreement 8: the specification says there is *no requirement to update*
    installed meters, not that they are not updated."""
    spec = " ".join((reference / "SECMP0002-solution-design-specification.txt")
                    .read_text(encoding="utf-8").split())
    assert "there is no requirement to update already installed ESME or GSME" in spec
    wrong = [(w, s) for w, s in _sentences(r"installed") if _NOT_UPDATED.search(s)]
    assert not wrong, wrong
    for said in ("installed meters need no update", "meters already installed are not updated"):
        assert _NOT_UPDATED.search(said), said


def test_large_suppliers_may_test_as_the_specification_says(reference: Path) -> None:
    """Disagreement 6: "at least two Large Suppliers may test the functionality"."""
    spec = " ".join((reference / "SECMP0002-solution-design-specification.txt")
                    .read_text(encoding="utf-8").split())
    table = participants()
    row = table[table["participant"].str.contains("Large Suppliers")].iloc[0]
    assert f"at least two Large Suppliers {row['role_in_testing']}" in spec
