"""The requirement catalogue (``data/requirements.csv``) and where each is shown.

Every requirement of the specification has a stable ID, a line in the
catalogue naming the notebook section that walks through it and the tests
that show it.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from specpkg.paths import DATA_DIR, REPO_DIR

CATALOGUE = DATA_DIR / "requirements.csv"
COLUMNS = ("id", "area", "requirement", "notebook", "tests")
#: Every ID the specification defines, in its order.
IDS: tuple[str, ...] = (
    *(f"BR-{n}" for n in range(1, 6)),
    *(f"SR-{n}" for n in range(1, 13)),
    *(f"TR-{n}" for n in range(1, 11)),
    "IMP-1",
)
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")


@dataclass(frozen=True)
class Requirement:
    id: str
    area: str
    requirement: str
    notebook: str
    tests: tuple[str, ...]

    @property
    def notebook_path(self) -> str:
        return self.notebook.split("#", 1)[0]

    @property
    def section(self) -> str:
        return self.notebook.split("#", 1)[1] if "#" in self.notebook else ""


def load(path: Path = CATALOGUE) -> list[Requirement]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        Requirement(
            id=row["id"], area=row["area"], requirement=row["requirement"],
            notebook=row["notebook"], tests=tuple(row["tests"].split()),
        )
        for row in rows
    ]


def table(path: Path = CATALOGUE) -> pd.DataFrame:
    """The catalogue as a table, with the number of tests per requirement."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["n_tests"] = frame["tests"].str.split().str.len().astype("int64")
    return frame


def place(link: str) -> str:
    """Where a link points, as a reader says it: ``notebooks/03_service_request_and_
    response.ipynb#SR-9`` is ``notebook 03 (service request and response), SR-9``."""
    path, _, section = link.partition("#")
    stem = Path(path).stem
    number, _, name = stem.partition("_")
    if not (number.isdigit() and name):
        return link
    words = f"notebook {number} ({name.replace('_', ' ')})"
    return f"{words}, {section.strip()}" if section.strip() else words


def headings(notebook: str | Path, root: Path = REPO_DIR) -> list[str]:
    """The markdown headings of a notebook, in order."""
    nb = json.loads((root / notebook).read_text(encoding="utf-8"))
    found = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = "".join(cell.get("source", []))
        for line in source.splitlines():
            match = _HEADING.match(line.strip())
            if match:
                found.append(match.group(1).strip())
    return found


def has_section(notebook: str, section: str, root: Path = REPO_DIR) -> bool:
    """True when the notebook has a heading that starts with ``section``
    followed by a non-word character (``BR-1`` matches ``BR-1: ...`` only)."""
    pattern = re.compile(rf"^{re.escape(section)}(?![\w-])")
    return any(pattern.match(h) for h in headings(notebook, root))


FINDINGS = DATA_DIR / "findings.csv"
#: Severities in the order the executive summary lists them (findings.csv ``severity``).
SEVERITIES = ("high", "medium", "low")


def findings(path: Path = FINDINGS) -> pd.DataFrame:
    """Points for the modification's reviewers that building the workbook brought up."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


#: The columns of data/findings.csv: what the workbook found and what to ask the group.
FINDING_COLUMNS = ("id", "kind", "category", "severity", "requirements", "finding", "question",
                   "options", "evidence", "notebook", "status")
#: A finding is a question for the working group (an open point of SECMP0002, with its
#: options) or a note (DUIS or GBCS mechanics, a point the specification or GBCS decides,
#: or a finding merged into another): notes carry no question and are never open.
FINDING_KINDS = ("question", "note")
#: Where a finding comes from: a gap in the specification, an assumption the model makes
#: where it is open, an error in its text, or something the reference data does not carry.
FINDING_CATEGORIES = ("specification gap", "modelling assumption", "specification error",
                      "reference data gap")


@dataclass(frozen=True)
class Finding:
    """One row of ``data/findings.csv``: a point for the working group."""

    id: str
    kind: str
    category: str
    severity: str
    requirements: tuple[str, ...]
    finding: str
    question: str
    options: str
    evidence: str
    notebook: str
    status: str

    @property
    def is_question(self) -> bool:
        return self.kind.strip().lower() == "question"

    @property
    def open(self) -> bool:
        """An open question for the working group (a note is never open)."""
        return self.is_question and self.status.strip().lower() != "closed"

    @property
    def severity_rank(self) -> int:
        """Position of the severity in SEVERITIES; unknown severities last."""
        key = self.severity.strip().lower()
        return SEVERITIES.index(key) if key in SEVERITIES else len(SEVERITIES)

    def touches(self, requirement: str) -> bool:
        return requirement in self.requirements


def findings_by_severity(path: Path = FINDINGS, kind: str | None = None) -> pd.DataFrame:
    """The findings table (of one ``kind``, if given), high severity first, then by id
    (for the group's agenda)."""
    found = sorted((f for f in load_findings(path) if kind is None or f.kind == kind),
                   key=lambda f: (f.severity_rank, int(f.id[2:])))
    table = findings(path)
    return table.set_index("id").loc[[f.id for f in found]].reset_index()


def load_findings(path: Path = FINDINGS) -> list[Finding]:
    """The findings for the working group, in file order."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [Finding(**{**{c: row[c] for c in FINDING_COLUMNS},
                       "requirements": tuple(row["requirements"].split())}) for row in rows]


IMPACTS = DATA_DIR / "impacts.csv"
RISKS = DATA_DIR / "risks.csv"


@dataclass(frozen=True)
class PartyImpact:
    """One party of the specification's impact list and what changes for it."""

    party: str
    change: str
    notebook: str


@dataclass(frozen=True)
class Risk:
    """A risk of the change for the executive summary, with the test that shows it and
    the model assumptions (MA-n) it is stated under: a risk holds only as far as they do."""

    id: str
    risk: str
    requirement: str
    evidence: str
    notebook: str
    assumptions: tuple[str, ...] = ()


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def impacts(path: Path = IMPACTS) -> list[PartyImpact]:
    """``data/impacts.csv``: the parties the specification lists as impacted, in its order."""
    return [PartyImpact(r["party"], r["what changes"], r["notebook"]) for r in _rows(path)]


def risks(path: Path = RISKS) -> list[Risk]:
    """``data/risks.csv``: the risks the executive summary names."""
    return [Risk(r["id"], r["risk"], r["requirement"], r["evidence"], r["notebook"],
                 tuple(r["assumptions"].split())) for r in _rows(path)]


DECISIONS = DATA_DIR / "finding_decisions.csv"
_OPTION = re.compile(r"(?:^|;\s*|\s)\(([a-z])\)\s+")


@dataclass(frozen=True)
class FindingDecision:
    """The workbook's recommendation on one finding (``data/finding_decisions.csv``):
    the option it recommends, why, and who decides."""

    id: str
    recommended: str
    recommendation: str
    reason: str
    decides: str
    source: str


def decisions(path: Path = DECISIONS) -> dict[str, FindingDecision]:
    """Finding ID -> the workbook's recommendation on it."""
    return {r["id"]: FindingDecision(**{k: r[k] for k in ("id", "recommended", "recommendation",
                                                     "reason", "decides", "source")})
            for r in _rows(path)}


def options(text: str) -> list[tuple[str, str]]:
    """A finding's options ``(a) ...; (b) ...`` -> ``[("a", "..."), ("b", "...")]``;
    text without lettered options is one option without a letter."""
    marks = list(_OPTION.finditer(text))
    if not marks:
        return [("", text.strip())] if text.strip() else []
    found = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        found.append((mark.group(1), text[mark.end():end].strip().rstrip(";").strip()))
    return found
