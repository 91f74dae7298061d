"""The requirement catalogue is complete and every pointer in it resolves."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from specpkg.paths import REPO_DIR
from specpkg.system import assumptions as model_assumptions
from specpkg.workbook import requirements

#: Every requirement has landed: each must name a notebook section and tests.
DELIVERED = set(requirements.IDS)

CATALOGUE = requirements.load()


@cache
def _test_names(path: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            names.add(node.name)
    return frozenset(names)


def _node_exists(node_id: str) -> bool:
    file_part, _, name = node_id.partition("::")
    path = REPO_DIR / file_part
    if not path.is_file() or not name:
        return False
    function = name.split("::")[-1].split("[", 1)[0]
    return function in _test_names(path)


def test_catalogue_has_exactly_the_specification_ids() -> None:
    ids = [r.id for r in CATALOGUE]
    assert ids == list(requirements.IDS)


def test_catalogue_columns() -> None:
    frame = requirements.table()
    assert tuple(frame.columns[:5]) == requirements.COLUMNS
    assert frame["requirement"].str.len().min() > 20


@pytest.mark.parametrize("req", CATALOGUE, ids=lambda r: r.id)
def test_named_tests_exist(req: requirements.Requirement) -> None:
    missing = [t for t in req.tests if not _node_exists(t)]
    assert not missing, f"{req.id} names tests that do not exist: {missing}"


@pytest.mark.parametrize("req", [r for r in CATALOGUE if r.notebook], ids=lambda r: r.id)
def test_named_notebook_section_exists(req: requirements.Requirement) -> None:
    assert (REPO_DIR / req.notebook_path).is_file(), f"{req.id}: no {req.notebook_path}"
    assert req.section, f"{req.id}: notebook pointer has no #section"
    assert requirements.has_section(req.notebook_path, req.section), (
        f"{req.id}: {req.notebook_path} has no heading starting with {req.section!r}"
    )


@pytest.mark.parametrize("rid", sorted(DELIVERED))
def test_delivered_requirements_name_tests_and_a_section(rid: str) -> None:
    req = next(r for r in CATALOGUE if r.id == rid)
    assert req.tests, f"{rid} is delivered but names no test"
    assert req.notebook, f"{rid} is delivered but names no notebook section"


def test_node_check_can_fail() -> None:
    assert not _node_exists("tests/test_requirements.py::test_no_such_test")
    assert not _node_exists("tests/no_such_file.py::test_x")
    assert _node_exists("tests/test_requirements.py::test_node_check_can_fail")


FINDINGS = requirements.findings()


def test_findings_are_triaged_for_the_working_group() -> None:
    """Each finding: its kind (question or note), its category, a severity and the
    requirements it touches; a question also the question for the group and the options
    with what the workbook shows of each; a note neither, and is never open."""
    assert tuple(FINDINGS.columns) == requirements.FINDING_COLUMNS
    ids = FINDINGS["id"].tolist()
    # Stable IDs: each F-n once, in ascending order; a merged finding leaves its number
    # unused rather than renumbering the others (the book and notes cite them).
    assert all(i.startswith("F-") and i[2:].isdigit() for i in ids), ids
    numbers = [int(i[2:]) for i in ids]
    assert numbers == sorted(set(numbers)), ids
    for finding in requirements.load_findings():
        assert finding.kind in requirements.FINDING_KINDS, finding.id
        assert finding.category in requirements.FINDING_CATEGORIES, finding.id
        assert finding.severity in requirements.SEVERITIES, finding.id
        assert finding.requirements and set(finding.requirements) <= set(requirements.IDS)
        assert finding.status in {"open", "closed"}, finding.id
        if finding.is_question:
            assert finding.question.endswith("?"), finding.id
            assert finding.options.startswith("(a) ") and "(b) " in finding.options, finding.id
        else:
            assert not finding.question and not finding.options, finding.id
            assert not finding.open, finding.id


def test_a_merged_finding_names_a_question_that_survives() -> None:
    """A note "Merged into F-n" points at a question that names it back ("merged from")."""
    found = {f.id: f for f in requirements.load_findings()}
    for finding in found.values():
        for target in re.findall(r"Merged into (F-\d+)", finding.finding):
            assert found[target].is_question, (finding.id, target)
            assert f"merged from {finding.id}" in found[target].finding, (finding.id, target)


def test_f19_the_glossary_errors_are_in_the_specification(reference) -> None:
    """F-19: the specification's glossary misspells four terms."""
    spec = " ".join((reference / "SECMP0002-solution-design-specification.txt")
                    .read_text(encoding="utf-8").split())
    glossary = spec.split("Appendix 1: Glossary", 1)[1]
    for wrong in ("Anomaly Defect ion Threshold", "Communication Service Provide ",
                  "Home Arena Network", "ZME Zigbee Smart Energy"):
        assert wrong in glossary, wrong
    assert "ZSE" in spec.split("Appendix 1", 1)[0]


@pytest.mark.parametrize("row", FINDINGS.to_dict("records"), ids=lambda r: r["id"])
def test_each_finding_points_at_a_test_and_a_section_that_exist(row: dict) -> None:
    tests = row["evidence"].split()
    assert tests and all(_node_exists(t) for t in tests), row["evidence"]
    path, _, section = row["notebook"].partition("#")
    assert requirements.has_section(path, section), row["notebook"]
    # a requirement's section shown is that of a requirement the finding names (F-9 named
    # SR-2 and pointed at SR-1's); a section by title (notebook 08's) is checked above
    if section in requirements.IDS:
        assert section in row["requirements"].split(), (row["id"], section, row["requirements"])


def _impact_list(spec: str) -> list[str]:
    """The bullets under "Impacts" on the specification's first page."""
    block = spec.split("Impacts", 1)[1].split("SECAS Contact", 1)[0]
    return [line.strip().lstrip("•").strip() for line in block.splitlines()
            if line.strip().startswith("•")]


def test_impacts_are_the_specifications_list_in_its_order(reference: Path) -> None:
    spec = (reference / "SECMP0002-solution-design-specification.txt").read_text()
    parties = [i.party for i in requirements.impacts()]
    assert parties == _impact_list(spec)
    assert "Other SEC Parties" in parties


@pytest.mark.parametrize("pointer", [i.notebook for i in requirements.impacts()]
                         + [r.notebook for r in requirements.risks()])
def test_impacts_and_risks_point_at_sections_that_exist(pointer: str) -> None:
    path, _, section = pointer.partition("#")
    assert requirements.has_section(path, section), pointer


@pytest.mark.parametrize("risk", requirements.risks(), ids=lambda r: r.id)
def test_each_risk_names_a_requirement_and_an_existing_test(risk: requirements.Risk) -> None:
    assert risk.requirement in requirements.IDS
    tests = risk.evidence.split()
    assert tests and all(_node_exists(t) for t in tests), risk.evidence


@pytest.mark.parametrize("risk", requirements.risks(), ids=lambda r: r.id)
def test_each_risk_is_stated_under_the_assumptions_it_names(risk: requirements.Risk) -> None:
    """A risk that depends on a model assumption names it in its column and in its text,
    and the text names no assumption the column does not (issue 19, R-3)."""
    known = set(model_assumptions.table()["id"])
    assert set(risk.assumptions) <= known, risk.assumptions
    named = set(re.findall(r"\bMA-\d+\b", risk.risk))
    assert named == set(risk.assumptions), (risk.id, named)


def test_a_notebook_link_reads_as_a_place_in_the_book() -> None:
    """Issue 21: tables name a notebook and section in words, never a file path."""
    assert requirements.place("notebooks/03_service_request_and_response.ipynb#SR-9") == (
        "notebook 03 (service request and response), SR-9")
    assert requirements.place("notebooks/08_bulk_reset_impact.ipynb") == (
        "notebook 08 (bulk reset impact)")
    assert requirements.place("README.md") == "README.md"
    from specpkg.workbook import report

    assert not report.for_whom_table()["shown in"].str.contains(r"\.ipynb").any()
