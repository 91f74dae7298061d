"""The test analysis and test report for SECMP0002, generated (TR-1, TR-2, TR-3).

* TR-1: the Testing Services: the test matrix (:func:`build_test_matrix`) over every
  device x Debt Register x payment mode x meter version x Test CH variant x
  User Role, each case with its expected outcome, plus the scenarios outside
  the product (:func:`scenario_cases`).
* TR-2: the analysis of testing to the DCC Total System with its assumptions
  and rationale (``data/testing/system_impacts.csv``, ``assumptions.csv``).
* TR-3: scope, phases, timetable in Working Days from a start date
  (:func:`timetable`, :func:`plot_gantt`), participants, assumptions; written
  out as CSV and Markdown by :mod:`specpkg.testing.report`.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from specpkg.duis.codes import Outcome, ResponseCode
from specpkg.errors import ValidationError
from specpkg.gbcs.catalogue import load_catalogue
from specpkg.gbcs.cosem import ChargeMethod
from specpkg.meter.registers import DebtRegister, Device, PaymentMode
from specpkg.system.assumptions import Assumptions
from specpkg.system.variants import METER_VERSIONS, MeterVersion, TestCommsHub, ch_combinations
from specpkg.testing import workdays
from specpkg.testing.capacity import AvailabilityWindow
from specpkg.testing.devices import DeviceClass
from specpkg.testing.roles import TESTING_DATA, UserRole, dcc_refusal, load_user_roles

REGISTER_CODES = {
    DebtRegister.TIME_DEBT_1: "TDR1",
    DebtRegister.TIME_DEBT_2: "TDR2",
    DebtRegister.PAYMENT_DEBT: "PDR",
}


#: What a case of a User Role the environment does not admit expects (TR-4, MA-6).
NOT_ADMITTED = "not admitted to the test environment (no Service Request sent, TR-4)"


@dataclass(frozen=True)
class Expectation:
    """What a test case expects (TR-1): the request's outcome and response code, or
    no request at all when the environment does not admit the User Role (TR-4).

    Every case in which a Service Request is sent expects a Service Response (TR-5).
    """

    outcome: Outcome | None
    code: ResponseCode | None = None

    @property
    def label(self) -> str:
        return NOT_ADMITTED if self.outcome is None else self.outcome.value

    @property
    def positive(self) -> bool:
        return self.outcome is Outcome.SUCCESS

    @property
    def response_expected(self) -> bool:
        """A Service Request is sent, so a Service Response is due (TR-4, TR-5)."""
        return self.outcome is not None


@dataclass(frozen=True)
class Dimensions:
    """The dimensions of the test matrix (TR-1); the matrix is their full product."""

    devices: tuple[Device, ...]
    registers: tuple[DebtRegister, ...]
    modes: tuple[PaymentMode, ...]
    versions: tuple[MeterVersion, ...]
    comms_hubs: tuple[TestCommsHub, ...]
    roles: tuple[UserRole, ...]

    def _values(self) -> dict[str, list[str]]:
        return {
            "device": [d.value for d in self.devices],
            "debt register": [REGISTER_CODES[r] for r in self.registers],
            "payment mode": [m.value for m in self.modes],
            "meter version": [v.stage.value for v in self.versions],
            "Test CH variant": [c.code for c in self.comms_hubs],
            "User Role": [r.value for r in self.roles],
        }

    def sizes(self) -> dict[str, int]:
        return {name: len(values) for name, values in self._values().items()}

    @property
    def product(self) -> int:
        return math.prod(self.sizes().values())

    def to_frame(self) -> pd.DataFrame:
        rows = [{"dimension": k, "size": len(v), "values": ", ".join(v)}
                for k, v in self._values().items()]
        return pd.DataFrame(rows, columns=["dimension", "size", "values"])


def default_dimensions() -> Dimensions:
    """Every device, register, mode, meter version, CH variant and every User Role (TR-1)."""
    return Dimensions(
        devices=tuple(Device),
        registers=tuple(DebtRegister),
        modes=tuple(PaymentMode),
        versions=METER_VERSIONS,
        comms_hubs=ch_combinations(),
        roles=tuple(info.role for info in load_user_roles()),
    )


def expected_outcome(device: Device, version: MeterVersion, role: UserRole,
                     eligible: Sequence[UserRole], model: Assumptions | None = None,
                     ) -> Expectation:
    """The expected outcome of one case; the DCC's checks come before the meter's (TR-1).
    A role not eligible is not admitted, or, under MA-6, refused by the DCC."""
    if role not in eligible:
        if not (model or Assumptions()).open_to_all_roles:
            return Expectation(None)
        return Expectation(Outcome.REFUSED, dcc_refusal(role))
    if DeviceClass(device.value).supplier_role is not role:
        return Expectation(Outcome.REFUSED, ResponseCode.NOT_REGISTERED_SUPPLIER)
    if not version.supports_reset:
        return pre_release_expectation(model)
    return Expectation(Outcome.SUCCESS, ResponseCode.SUCCESS)


def pre_release_expectation(model: Assumptions | None = None) -> Expectation:
    """SR-4, MA-7: a meter from before the Release alerts at once (NOT_SUPPORTED_BY_DEVICE), or
    stays
    silent and the DCC answers after its time-out (NO_DEVICE_RESPONSE)."""
    if (model or Assumptions()).pre_release_alerts:
        return Expectation(Outcome.NOT_SUPPORTED, ResponseCode.NOT_SUPPORTED_BY_DEVICE)
    return Expectation(Outcome.NO_RESPONSE, ResponseCode.NO_DEVICE_RESPONSE)


MATRIX_COLUMNS = [
    "case_id", "device", "register", "payment_mode", "meter_version", "gbcs_label",
    "comms_hub", "han_variant", "wan_variant", "role", "positive", "expected_outcome",
    "expected_code", "response_expected", "debt_recovery_affected", "packet_inspection",
    "threshold_adt",
]


def build_test_matrix(dimensions: Dimensions | None = None,
                      model: Assumptions | None = None) -> pd.DataFrame:
    """The full test matrix: one row per combination, with its expected outcome (TR-1)
    under the model assumptions ``model`` (default: the defaults).

    ``response_expected``: every case that sends a Service Request (TR-5); not
    the roles the environment refuses at admission (TR-4, MA-6).
    ``debt_recovery_affected``: only in prepayment mode (SDS section 1).
    ``packet_inspection``: GSME only (the debt amount must be zero).
    ``threshold_adt``: every case, the use cases being Critical (TR-10).
    """
    dims = dimensions or default_dimensions()
    eligible = tuple(info.role for info in load_user_roles() if info.eligible)
    rows = []
    combos = itertools.product(dims.devices, dims.registers, dims.modes, dims.versions,
                               dims.comms_hubs, dims.roles)
    for n, (device, register, mode, version, hub, role) in enumerate(combos, start=1):
        outcome = expected_outcome(device, version, role, eligible, model)
        rows.append({
            "case_id": f"TC-{n:04d}",
            "device": device.value,
            "register": REGISTER_CODES[register],
            "payment_mode": mode.value,
            "meter_version": version.stage.value,
            "gbcs_label": version.gbcs_label,
            "comms_hub": hub.code,
            "han_variant": hub.han.code,
            "wan_variant": hub.wan.code,
            "role": role.value,
            "positive": outcome.positive,
            "expected_outcome": outcome.label,
            "expected_code": outcome.code.value if outcome.code else "",
            "response_expected": outcome.response_expected,
            "debt_recovery_affected": mode is PaymentMode.PREPAYMENT and outcome.positive,
            "packet_inspection": device is Device.GSME,
            "threshold_adt": True,
        })
    return pd.DataFrame(rows, columns=MATRIX_COLUMNS)


def matrix_counts(matrix: pd.DataFrame) -> pd.DataFrame:
    """Number of cases per expected outcome, positive or negative (TR-1)."""
    counts = (matrix.groupby(["positive", "expected_outcome"], sort=True).size()
              .rename("cases").reset_index()
              .sort_values(["positive", "expected_outcome"], ascending=[False, True]))
    total = pd.DataFrame([{"positive": "", "expected_outcome": "total",
                           "cases": int(counts["cases"].sum())}])
    counts["positive"] = counts["positive"].map({True: "positive", False: "negative"})
    return pd.concat([counts, total], ignore_index=True)


def counts_by(matrix: pd.DataFrame, rows: str, columns: str = "expected_outcome") -> pd.DataFrame:
    """A cross-table of case counts (TR-1), e.g. by role and outcome."""
    return pd.crosstab(matrix[rows], matrix[columns])


SCENARIO_COLUMNS = ["scenario_id", "scenario", "device", "expected_outcome", "requirement",
                    "phase"]


def scenario_cases(path: Path | None = None) -> pd.DataFrame:
    """Cases outside the product: anomaly detection, request form, acceptance (TR-1, TR-10),
    each with the phase it runs in (TR-3), from ``data/testing/scenarios.csv``."""
    with (path or TESTING_DATA / "scenarios.csv").open(newline="") as handle:
        frame = pd.DataFrame(list(csv.DictReader(handle)), columns=SCENARIO_COLUMNS)
    unknown = set(frame["phase"]) - {p.name for p in load_phases()}
    if unknown:
        raise ValidationError("phase", f"scenarios name phases the plan lacks: {sorted(unknown)}")
    return frame


# --------------------------------------------------------------------------- tables (TR-2, TR-3)


def model_facts() -> dict[str, str]:
    """Facts the data tables name by placeholder, taken from the catalogue (one truth):
    ``{reset_service_request}`` and ``{esme_reset_method}``."""
    catalogue = load_catalogue()
    esme = catalogue.entry(Device.ESME, DebtRegister.TIME_DEBT_1)
    method = ChargeMethod(esme.dlms_method)
    return {"{reset_service_request}": f"{esme.service_reference} {esme.service_request_name}",
            "{esme_reset_method}": f"DLMS Charge (class {esme.dlms_class_id}) method "
                                   f"{int(method)} {method.name.lower()}"}


def _table(name: str) -> pd.DataFrame:
    with (TESTING_DATA / name).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    facts = model_facts()
    for row in rows:
        for key, text in row.items():
            for placeholder, fact in facts.items():
                text = text.replace(placeholder, fact)
            row[key] = text
    return pd.DataFrame(rows)


def assumptions() -> pd.DataFrame:
    """Assumptions and rationale of the test analysis (TR-2, TR-3)."""
    return _table("assumptions.csv")


def system_impacts() -> pd.DataFrame:
    """Testing required to each part of the DCC Total System, with rationale (TR-2)."""
    return _table("system_impacts.csv")


def participants() -> pd.DataFrame:
    """The Testing Participants (TR-3)."""
    return _table("participants.csv")


@dataclass(frozen=True)
class Phase:
    """A test phase of a given length in Working Days (TR-3)."""

    order: int
    name: str
    working_days: int
    in_environment_window: bool
    participants: str
    requirements: str
    activities: str

    def __post_init__(self) -> None:
        if self.working_days < 1:
            raise ValidationError("working_days", f"phase {self.name!r} needs at least 1 day")


def load_phases(path: Path | None = None) -> tuple[Phase, ...]:
    """The phases, in order, from ``data/testing/phases.csv`` (TR-3)."""
    with (path or TESTING_DATA / "phases.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    phases = tuple(
        Phase(int(r["order"]), r["phase"], int(r["working_days"]),
              r["in_environment_window"] == "yes", r["participants"], r["requirements"],
              r["activities"])
        for r in rows
    )
    if [p.order for p in phases] != list(range(1, len(phases) + 1)):
        raise ValidationError("order", "phases must be numbered 1, 2, ... in order")
    return phases


TIMETABLE_COLUMNS = ["order", "phase", "working_days", "start", "end", "in_environment_window",
                     "participants", "requirements"]


def timetable(start: date, phases: Sequence[Phase] | None = None) -> pd.DataFrame:
    """Phases one after another in Working Days from ``start`` (TR-3).

    The phases marked as in the environment window must be consecutive and
    add up to at least 15 Working Days (TR-4), else ValidationError.
    """
    phases = tuple(phases or load_phases())
    rows = []
    day = workdays.next_working_day(start)
    for phase in phases:
        end = workdays.add_working_days(day, phase.working_days - 1)
        rows.append({
            "order": phase.order, "phase": phase.name, "working_days": phase.working_days,
            "start": day, "end": end, "in_environment_window": phase.in_environment_window,
            "participants": phase.participants, "requirements": phase.requirements,
        })
        day = workdays.add_working_days(end, 1)
    table = pd.DataFrame(rows, columns=TIMETABLE_COLUMNS)
    environment_window(table)
    return table


def environment_window(table: pd.DataFrame) -> AvailabilityWindow:
    """The test environment's availability window implied by a timetable (TR-4)."""
    inside = [bool(v) for v in table["in_environment_window"]]
    if not any(inside):
        raise ValidationError("in_environment_window", "no phase runs in the environment")
    first = inside.index(True)
    last = len(inside) - 1 - inside[::-1].index(True)
    if not all(inside[first:last + 1]):
        raise ValidationError("in_environment_window", "environment phases must be consecutive")
    days = int(table["working_days"].iloc[first:last + 1].sum())
    return AvailabilityWindow(table["start"].iloc[first], days)


def window_label(table: pd.DataFrame) -> str:
    """How the Gantt chart names the shaded environment window of ``table`` (TR-3)."""
    return f"test environment: {environment_window(table).working_days} Working Days"


def plot_gantt(table: pd.DataFrame, ax=None):
    """A Gantt chart of the timetable; the environment window shaded (TR-3)."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.2))
    starts = [pd.Timestamp(d) for d in table["start"]]
    ends = [pd.Timestamp(d) + pd.Timedelta(days=1) for d in table["end"]]
    labels = [f"{o}. {p}" for o, p in zip(table["order"], table["phase"], strict=True)]
    for y, (s, e, inside) in enumerate(zip(starts, ends, table["in_environment_window"],
                                           strict=True)):
        ax.barh(y, (e - s).days, left=mdates.date2num(s), height=0.6,
                color="tab:blue" if inside else "tab:gray")
    window = environment_window(table)
    ax.axvspan(mdates.date2num(pd.Timestamp(window.first_day)),
               mdates.date2num(pd.Timestamp(window.last_day) + pd.Timedelta(days=1)),
               color="tab:green", alpha=0.12, label=window_label(table))
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y"))
    ax.set_xlabel("date (bars span calendar days; durations are Working Days)")
    ax.set_title("SECMP0002 testing timetable")
    ax.legend(loc="upper right")
    ax.figure.autofmt_xdate()
    return ax.figure
