"""The model's assumptions: what the specification leaves open about the DCC and meters.

Each open behaviour is one named assumption with one default, here (and only
here), and a row in ``data/model_assumptions.csv`` with its question, what each
setting means and the finding it belongs to. Every part of the workbook that
depends on one reads it from an :class:`Assumptions` value, so that flipping it
(a papermill parameter ``assumptions="compare_with_issued=false"``, or
``--assume`` on the command line) changes the answer everywhere at once.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields, replace
from functools import cache
from pathlib import Path
from typing import Any

from specpkg.errors import ValidationError
from specpkg.paths import DATA_DIR

ASSUMPTIONS_CSV = DATA_DIR / "model_assumptions.csv"
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


@dataclass(frozen=True)
class Assumptions:
    """The DCC and meter behaviours the specification leaves open (one default each)."""

    #: MA-1: the DCC compares a Signed Pre-Command with the Pre-Command it issued.
    compare_with_issued: bool = True
    #: MA-2: the DCC packet-inspects ESME resets (the specification says it need not).
    inspect_esme: bool = False
    #: MA-3: data value thresholds read the value an (uninspected) ESME reset writes.
    read_esme_value: bool = True
    #: MA-4: quarantined commands count against volume thresholds.
    count_quarantined: bool = True
    #: MA-5: a Release meter refuses a reset that would not leave the register at zero.
    meter_checks_payload: bool = False
    #: MA-6: the test environment admits every User Role; the DCC refuses the ineligible.
    open_to_all_roles: bool = False
    #: MA-7: a meter from before the Release answers a use case it does not know with an
    #: alert (else it stays silent and the DCC answers after its time-out).
    pre_release_alerts: bool = True
    #: MA-8: at a change of Supplier the DCC sets the new Supplier's counter floor (GBCS's
    #: newRemotePartyFloorSeqNumber) to the highest counter it ever MAC'd from that
    #: Supplier for the meter (else the new cell starts with no floor).
    dcc_sets_counter_floor: bool = True
    #: MA-9: the DCC refuses to release a quarantined command that the meter would refuse
    #: as a replay, because a later command of the same Supplier has reached it.
    refuse_stale_release: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            if not isinstance(getattr(self, f.name), bool):
                raise ValidationError(f.name, f"must be true or false, got "
                                              f"{getattr(self, f.name)!r}")

    @classmethod
    def parse(cls, text: str | dict[str, Any] | None) -> Assumptions:
        """From ``"name=value,name=value"`` (or a dict); names not given keep their default."""
        if text is None or text == "":
            return cls()
        if isinstance(text, Assumptions):
            return text
        pairs = text.items() if isinstance(text, dict) else [
            _split(part) for part in str(text).split(",") if part.strip()]
        known = {f.name for f in fields(cls)}
        values: dict[str, bool] = {}
        for name, value in pairs:
            if name not in known:
                raise ValidationError("assumptions", f"unknown assumption {name!r}; known: "
                                                     f"{', '.join(sorted(known))}")
            values[name] = _bool(name, value)
        return replace(cls(), **values)

    def changed(self) -> dict[str, bool]:
        """The assumptions that differ from their defaults."""
        default = Assumptions()
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) != getattr(default, f.name)}

    def describe(self) -> str:
        """``defaults`` or the changed ones, ``name=value`` (for banners and captions)."""
        changed = self.changed()
        if not changed:
            return "defaults"
        return ", ".join(f"{k}={'true' if v else 'false'}" for k, v in changed.items())


def _split(part: str) -> tuple[str, str]:
    name, sep, value = part.partition("=")
    if not sep:
        raise ValidationError("assumptions", f"expected name=value, got {part.strip()!r}")
    return name.strip(), value.strip()


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(name, f"must be true or false, got {value!r}")


@dataclass(frozen=True)
class AssumptionInfo:
    """One row of ``data/model_assumptions.csv``."""

    id: str
    name: str
    question: str
    if_true: str
    if_false: str
    requirements: tuple[str, ...]
    finding: str


DATA_ASSUMPTIONS_CSV = ASSUMPTIONS_CSV.with_name("data_assumptions.csv")


@dataclass(frozen=True)
class DataAssumption:
    """A model assumption that is a value or a mapping kept in a data table, not a setting
    of :class:`Assumptions` (a row of ``data/data_assumptions.csv``): its default is the
    table's (MA-19 and MA-20 the campaign inputs' values, read live)."""

    id: str
    question: str
    default: str
    kept_in: str
    requirements: tuple[str, ...]
    finding: str
    source: str


@cache
def data_assumptions(path: Path = DATA_ASSUMPTIONS_CSV) -> tuple[DataAssumption, ...]:
    """The assumptions kept with their data; a default read from the campaign inputs
    table shows that table's value and unit."""
    from specpkg.meter.households import row, shown_in_words

    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        default = r["default"]
        if r["kept_in"].endswith("campaign/inputs.csv"):
            found = row(_input_name(r["id"]))
            unit, shown = shown_in_words(found.unit)
            default = f"{shown(found.value)} {unit} ({found.note})"
        out.append(DataAssumption(r["id"], r["question"], default, r["kept_in"],
                                  tuple(r["requirements"].split()), r["finding"], r["source"]))
    return tuple(out)


def _input_name(assumption_id: str) -> str:
    from specpkg.meter.households import table as inputs

    names = [r.input for r in inputs() if r.id == assumption_id]
    if len(names) != 1:
        raise ValidationError("data_assumptions", f"{assumption_id} is not one row of the "
                                                  "campaign inputs table")
    return names[0]


@cache
def catalogue(path: Path = ASSUMPTIONS_CSV) -> tuple[AssumptionInfo, ...]:
    """The assumption table; its rows name the fields of :class:`Assumptions`, in order."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    names = [f.name for f in fields(Assumptions)]
    if [r["name"] for r in rows] != names:
        raise ValidationError("model_assumptions", f"rows {[r['name'] for r in rows]} are not "
                                                   f"the assumptions {names}")
    return tuple(AssumptionInfo(r["id"], r["name"], r["question"], r["if_true"], r["if_false"],
                                tuple(r["requirements"].split()), r["finding"]) for r in rows)


def data_table() -> Any:
    """The assumptions kept with their data, for notebooks and the site."""
    import pandas as pd

    return pd.DataFrame([{"id": a.id, "question": a.question, "the model's answer": a.default,
                          "kept in": a.kept_in, "requirements": " ".join(a.requirements),
                          "finding": a.finding} for a in data_assumptions()])


#: The column of :func:`table` naming an assumption for a re-run (``--assume NAME=VALUE``).
RERUN_NAME = "name for a re-run"


def table(assumptions: Assumptions | None = None) -> Any:
    """The assumptions as a table for notebooks and the site: the question, the reading
    this run takes (yes/no) and what it means; a "default" column only when some reading
    differs from its default; last, the name a re-run takes to read it the other way."""
    import pandas as pd

    current = assumptions or Assumptions()
    default = Assumptions()
    differs = current != default
    rows = []
    for info in catalogue():
        value = getattr(current, info.name)
        rows.append({
            "id": info.id, "question": info.question,
            "reading in this run": "yes" if value else "no",
            **({"default": "yes" if getattr(default, info.name) else "no"} if differs else {}),
            "what it means": info.if_true if value else info.if_false,
            "requirements": " ".join(info.requirements), "finding": info.finding,
            RERUN_NAME: info.name,
        })
    return pd.DataFrame(rows)
