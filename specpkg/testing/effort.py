"""The testing effort, its cost and the latest start of testing (TR-1, TR-3, TR-4, IMP-1).

* **Effort** (TR-3, TR-4): per phase of ``data/testing/phases.csv``, participant days
  (the Users' side) and environment days (the DCC's side: the test environment and
  its service), counted from the test matrix, the scenarios and the Users at the
  minutes per unit of ``data/testing/effort_assumptions.csv`` (workbook assumptions
  for the DCC to confirm; no figure is written in code). Each matrix case takes one
  :class:`~specpkg.testing.minimumset.CasePath`: it reaches the meter, is refused by
  the DCC with a Service Response, or is refused at admission with nothing sent.
  Admission refusals are counted apart from the runs and cost once per refused
  role, not per case.
* **Cost** (TR-4): environment days (as shown: rounded up to a tenth per phase) x a
  day rate in whole pounds that the DCC sets; without one the table says so.
  Participant days are the Users' own cost.
* **Latest start** (IMP-1, TR-3): :func:`specpkg.testing.schedule.deadlines` over the
  phases' Working Days.
* **Summary** (:func:`summarise`): the headline figures for the executive summary and
  ``specpkg test-plan``, with the size of the minimum test set
  (:mod:`specpkg.testing.minimumset`, TR-1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pandas as pd

from specpkg.errors import ValidationError
from specpkg.system.assumptions import Assumptions
from specpkg.testing import schedule
from specpkg.testing.capacity import load_capacity_assumptions
from specpkg.testing.minimumset import CasePath, case_path, minimum_test_set
from specpkg.testing.roles import TESTING_DATA, _read_csv
from specpkg.testing.testplan import Phase, build_test_matrix, load_phases, scenario_cases

EFFORT_CSV = TESTING_DATA / "effort_assumptions.csv"
UNIT_MINUTES = {"minutes": 1, "hours": 60}
NO_RATE = "rate to be set by the DCC"


class EffortSide(StrEnum):
    """Whose effort: the Users' (participant days) or the DCC's (environment days)."""

    PARTICIPANT = "participant"
    ENVIRONMENT = "environment"


class Per(StrEnum):
    """What an effort row is counted per (the ``per`` column of the effort file)."""

    DAY = "day"
    PHASE = "phase"
    CONFIGURATION = "configuration"
    USER = "User"
    REFUSED_ROLE = "refused role"
    METER_CASE = "meter case"
    DCC_REFUSAL = "DCC refusal"
    RUN = "run"
    SCENARIO = "scenario"


def ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


# --------------------------------------------------------------------------- assumptions


@dataclass(frozen=True)
class EffortRow:
    """One row of the effort file: ``minutes`` of ``side`` effort per ``per`` in ``phase``."""

    what: str
    phase: str
    per: Per
    side: EffortSide
    minutes: int
    source: str


@dataclass(frozen=True)
class EffortAssumptions:
    """The effort file: the rows and each side's minutes per day (TR-3, TR-4)."""

    rows: tuple[EffortRow, ...]
    day_minutes: Mapping[EffortSide, int]


def _value(row: Mapping[str, str]) -> int:
    where = f"{row['what']} ({row['phase'] or row['per']}, {row['side']})"
    if row["unit"] not in UNIT_MINUTES:
        raise ValidationError("unit", f"{where}: {row['unit']!r} not in {list(UNIT_MINUTES)}")
    text = row["value"].strip()
    if not text.isdigit():
        raise ValidationError("value", f"{where}: not a whole number of at least 0: {text!r}")
    return int(text) * UNIT_MINUTES[row["unit"]]


def _enum(kind: type[StrEnum], field: str, text: str) -> StrEnum:
    try:
        return kind(text)
    except ValueError:
        raise ValidationError(field, f"{text!r} is not one of {[k.value for k in kind]}") from None


def load_effort_assumptions(path: Path | None = None,
                            phases: Sequence[Phase] | None = None) -> EffortAssumptions:
    """Read and check the effort file (TR-3, TR-4). Each row names a phase of the plan
    (a ``day`` row none), once per side; User effort only in a phase with Users in it;
    both sides need a day length."""
    by_name = {p.name: p for p in (phases or load_phases())}
    rows, days, seen = [], {}, set()
    for raw in _read_csv(path or EFFORT_CSV):
        per = _enum(Per, "per", raw["per"])
        side = _enum(EffortSide, "side", raw["side"])
        minutes = _value(raw)
        key = (raw["what"], raw["phase"], side)
        if key in seen:
            raise ValidationError("what", f"{raw['what']} ({raw['phase']}, {side}) given twice")
        seen.add(key)
        if per is Per.DAY:
            if raw["phase"] or minutes <= 0:
                raise ValidationError("day", f"a {side} day: no phase and more than 0 minutes")
            days[side] = minutes
            continue
        phase = by_name.get(raw["phase"])
        if phase is None:
            raise ValidationError("phase", f"{raw['what']}: no phase {raw['phase']!r} in the plan")
        users_in_phase = "Users" in (p.strip() for p in phase.participants.split(";"))
        if side is EffortSide.PARTICIPANT and minutes and not users_in_phase:
            raise ValidationError("side", f"{raw['what']}: no User takes part in {phase.name}")
        rows.append(EffortRow(raw["what"], phase.name, per, side, minutes, raw["source"]))
    missing = [s.value for s in EffortSide if s not in days]
    if missing:
        raise ValidationError("day", f"no day length for {missing}")
    return EffortAssumptions(tuple(rows), days)


# --------------------------------------------------------------------------- workload


@dataclass(frozen=True)
class Workload:
    """What the effort is counted per, from matrix cases, scenarios and Users (TR-1, TR-4)."""

    cases: Mapping[CasePath, int]
    refused_roles: int
    configurations: int
    users: int
    scenarios: Mapping[str, int]

    @property
    def runs(self) -> int:
        """Cases that send a Service Request (TR-5): all but the admission refusals."""
        return self.cases[CasePath.METER] + self.cases[CasePath.DCC]

    def units(self, per: Per, phase: str) -> int:
        return {
            Per.PHASE: 1, Per.CONFIGURATION: self.configurations, Per.USER: self.users,
            Per.REFUSED_ROLE: self.refused_roles, Per.METER_CASE: self.cases[CasePath.METER],
            Per.DCC_REFUSAL: self.cases[CasePath.DCC], Per.RUN: self.runs,
            Per.SCENARIO: self.scenarios.get(phase, 0),
        }[per]


def workload(matrix: pd.DataFrame, scenarios: pd.DataFrame | None = None,
             users: int | None = None) -> Workload:
    """Count the matrix cases per path, the refused roles, the test SMS configurations
    of the cases that send a request, the scenarios per phase and the Users
    (default: the TR-4 cost basis, every costed User onboards)."""
    paths = matrix["expected_code"].map(case_path)
    sent = matrix[paths != CasePath.ADMISSION]
    scenarios = scenario_cases() if scenarios is None else scenarios
    users = load_capacity_assumptions().costed_users if users is None else users
    if isinstance(users, bool) or not isinstance(users, int) or users < 0:
        raise ValidationError("users", f"a whole number of Users of at least 0, not {users!r}")
    return Workload(
        cases={p: int((paths == p).sum()) for p in CasePath},
        refused_roles=int(matrix.loc[paths == CasePath.ADMISSION, "role"].nunique()),
        configurations=len(sent[["payment_mode", "meter_version", "comms_hub"]].drop_duplicates()),
        users=users,
        scenarios={str(k): int(v) for k, v in scenarios["phase"].value_counts().items()},
    )


# --------------------------------------------------------------------------- effort


@dataclass(frozen=True)
class PhaseEffort:
    """One phase's effort in whole minutes and in tenths of a day, rounded up (TR-3)."""

    phase: Phase
    runs: int
    admission_refusals: int
    scenarios: int
    minutes: Mapping[EffortSide, int]
    tenths: Mapping[EffortSide, int]

    def dcc_cost(self, rate: int) -> int:
        """Environment days as shown x a day rate, whole pounds rounded up (TR-4)."""
        return ceil_div(self.tenths[EffortSide.ENVIRONMENT] * rate, 10)


def days_text(tenths: int) -> str:
    return f"{tenths // 10}.{tenths % 10}"


def check_rate(rate: object) -> int | None:
    """A day rate: ``None`` (the DCC has not set one) or whole pounds of at least 0."""
    if rate is None:
        return None
    if isinstance(rate, bool) or not isinstance(rate, int) or rate < 0:
        raise ValidationError("DCC_DAY_RATE", f"whole pounds of at least 0 or None, not {rate!r}")
    return rate


@dataclass(frozen=True)
class Effort:
    """The effort of a set of matrix cases and the scenarios, per phase (TR-3, TR-4)."""

    phases: tuple[PhaseEffort, ...]
    lines: pd.DataFrame
    assumptions: EffortAssumptions
    load: Workload

    def total_tenths(self, side: EffortSide) -> int:
        """The table's total: the sum of the phases' rounded days."""
        return sum(p.tenths[side] for p in self.phases)

    def dcc_cost(self, rate: int | None) -> int | None:
        rate = check_rate(rate)
        return None if rate is None else sum(p.dcc_cost(rate) for p in self.phases)

    def table(self, rate: int | None = None) -> pd.DataFrame:
        """Per phase and in total: runs, admission refusals, scenarios, days, DCC cost."""
        rate = check_rate(rate)
        rows = [{"phase": f"{p.phase.order}. {p.phase.name}", "working days": p.phase.working_days,
                 "runs": p.runs, "admission refusals": p.admission_refusals,
                 "scenarios": p.scenarios,
                 "participant days": days_text(p.tenths[EffortSide.PARTICIPANT]),
                 "environment days": days_text(p.tenths[EffortSide.ENVIRONMENT]),
                 "DCC cost (GBP)": NO_RATE if rate is None else p.dcc_cost(rate)}
                for p in self.phases]
        rows.append({"phase": "total", **{k: sum(r[k] for r in rows) for k in
                                           ("working days", "runs", "admission refusals",
                                            "scenarios")},
                     "participant days": days_text(self.total_tenths(EffortSide.PARTICIPANT)),
                     "environment days": days_text(self.total_tenths(EffortSide.ENVIRONMENT)),
                     "DCC cost (GBP)": NO_RATE if rate is None else self.dcc_cost(rate)})
        return pd.DataFrame(rows)


def estimate(matrix: pd.DataFrame | None = None, *, model: Assumptions | None = None,
             scenarios: pd.DataFrame | None = None, users: int | None = None,
             assumptions: EffortAssumptions | None = None,
             phases: Sequence[Phase] | None = None) -> Effort:
    """The effort per phase of ``matrix`` (default: the full matrix under ``model``), the
    scenarios and the Users (TR-3, TR-4): each effort row's units x its minutes.
    The matrix cases are counted in functional testing, the admission refusals at
    onboarding, where a User is admitted or refused (TR-4)."""
    phases = tuple(phases or load_phases())
    matrix = build_test_matrix(model=model) if matrix is None else matrix
    found = assumptions or load_effort_assumptions(phases=phases)
    load = workload(matrix, scenarios, users)
    lines = pd.DataFrame(
        [{"phase": r.phase, "what": r.what, "per": r.per.value, "side": r.side.value,
          "units": load.units(r.per, r.phase), "minutes each": r.minutes,
          "minutes": load.units(r.per, r.phase) * r.minutes} for r in found.rows],
        columns=["phase", "what", "per", "side", "units", "minutes each", "minutes"])
    per_phase = []
    for phase in phases:
        mine = lines[lines["phase"] == phase.name]
        minutes = {s: int(mine.loc[mine["side"] == s.value, "minutes"].sum()) for s in EffortSide}
        counts = set(mine["per"])
        per_phase.append(PhaseEffort(
            phase, load.runs if Per.METER_CASE in counts or Per.DCC_REFUSAL in counts else 0,
            load.cases[CasePath.ADMISSION] if Per.REFUSED_ROLE in counts else 0,
            load.scenarios.get(phase.name, 0), minutes,
            {s: ceil_div(minutes[s] * 10, found.day_minutes[s]) for s in EffortSide}))
    return Effort(tuple(per_phase), lines, found, load)


# --------------------------------------------------------------------------- summary


def latest_starts(phases: Sequence[Phase] | None = None) -> list[schedule.Deadline]:
    """The latest start for each IMP-1 date, the phases run one after another (IMP-1, TR-3)."""
    return schedule.deadlines(sum(p.working_days for p in (phases or load_phases())))


@dataclass(frozen=True)
class EffortSummary:
    """The headline figures for the summary page and the CLI (TR-3, TR-4, IMP-1)."""

    cases: int
    runs: int
    admission_refusals: int
    participant_tenths: int
    environment_tenths: int
    minimum_cases: int
    dcc_cost: int | None
    deadlines: tuple[schedule.Deadline, ...]

    def line(self) -> str:
        cost = NO_RATE if self.dcc_cost is None else f"DCC cost GBP {self.dcc_cost:,}"
        return (f"effort: {days_text(self.participant_tenths)} participant days, "
                f"{days_text(self.environment_tenths)} environment days ({cost}); "
                f"{self.runs} runs and {self.admission_refusals} admission refusals of "
                f"{self.cases} cases; minimum test set {self.minimum_cases} cases (TR-3, TR-4)")


def summarise(matrix: pd.DataFrame | None = None, *, model: Assumptions | None = None,
              rate: int | None = None) -> EffortSummary:
    """The effort of the full matrix, its minimum set and the latest starts."""
    matrix = build_test_matrix(model=model) if matrix is None else matrix
    effort = estimate(matrix)
    load = effort.load
    return EffortSummary(len(matrix), load.runs, load.cases[CasePath.ADMISSION],
                         effort.total_tenths(EffortSide.PARTICIPANT),
                         effort.total_tenths(EffortSide.ENVIRONMENT), len(minimum_test_set(matrix)),
                         effort.dcc_cost(rate), tuple(latest_starts()))
