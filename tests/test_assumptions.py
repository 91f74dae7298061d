"""The model's assumptions: one default each, one table, one way to flip them (issue 10)."""

from __future__ import annotations

import dataclasses

import pytest

from specpkg.errors import ValidationError
from specpkg.system import assumptions as model
from specpkg.system.assumptions import Assumptions
from specpkg.workbook import requirements


def test_the_table_names_every_assumption_in_order() -> None:
    rows = model.catalogue()
    assert [r.name for r in rows] == [f.name for f in dataclasses.fields(Assumptions)]
    assert [r.id for r in rows] == [f"MA-{n}" for n in range(1, len(rows) + 1)]
    # an assumption is the model's reading of an open question, never of a note
    questions = {f.id for f in requirements.load_findings() if f.is_question}
    known = {r.id for r in requirements.load()}
    for row in rows:
        assert row.finding in questions and set(row.requirements) <= known
        assert row.question.endswith("?") and row.if_true and row.if_false


def test_parse_flips_only_what_it_names() -> None:
    flipped = Assumptions.parse("compare_with_issued=false, count_quarantined = no")
    assert flipped.changed() == {"compare_with_issued": False, "count_quarantined": False}
    assert flipped.inspect_esme is Assumptions().inspect_esme
    assert Assumptions.parse("") == Assumptions() == Assumptions.parse(None)
    assert Assumptions.parse({"inspect_esme": "true"}).inspect_esme is True
    assert Assumptions().describe() == "defaults"
    assert flipped.describe() == "compare_with_issued=false, count_quarantined=false"


@pytest.mark.parametrize(("text", "field"), [
    ("inspect_everything=true", "assumptions"),
    ("inspect_esme", "assumptions"),
    ("inspect_esme=maybe", "inspect_esme"),
])
def test_a_bad_assumption_is_a_typed_error_naming_it(text: str, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        Assumptions.parse(text)
    assert err.value.field == field


def test_values_must_be_booleans() -> None:
    with pytest.raises(ValidationError) as err:
        Assumptions(compare_with_issued="yes")  # type: ignore[arg-type]
    assert err.value.field == "compare_with_issued"


def test_the_table_shows_the_setting_and_what_it_means() -> None:
    table = model.table(Assumptions(inspect_esme=True))
    row = table.set_index(model.RERUN_NAME).loc["inspect_esme"]
    assert (row["reading in this run"], row["default"]) == ("yes", "no")
    assert "default" not in model.table()  # at the defaults, the column would repeat
    assert list(model.table().columns)[-1] == model.RERUN_NAME
    assert row["what it means"] == next(r.if_true for r in model.catalogue()
                                        if r.name == "inspect_esme")


def test_every_model_assumption_named_anywhere_is_defined_in_one_table() -> None:
    """Issue 21: every MA-n the data, the package and the notebooks name has its row, in
    the settings table or the table of assumptions kept with their data, never both."""
    import re

    from specpkg.paths import DATA_DIR

    root = DATA_DIR.parent
    named = set()
    for folder, pattern in (("data", "*.csv"), ("specpkg", "*.py"), ("notebooks", "*.ipynb")):
        for path in (root / folder).rglob(pattern):
            named |= set(re.findall(r"\bMA-\d+\b", path.read_text(encoding="utf-8")))
    settings = {a.id for a in model.catalogue()}
    kept = {a.id for a in model.data_assumptions()}
    assert not settings & kept
    assert named <= settings | kept, sorted(named - settings - kept)
    for a in model.data_assumptions():
        assert a.question.endswith("?") and a.default and a.finding.startswith("F-")
    from specpkg.meter.households import row

    answers = model.data_table().set_index("id")["the model's answer"]
    assert answers["MA-19"].startswith(f"{100 * row('release_share').value:.0f} % of meters")
    assert answers["MA-20"].startswith(f"{row('ordinary_per_meter_year').value:,} resets")
