"""The DCC test environment for SECMP0002 as a runnable object (TR-4..TR-10).

What the Testing Requirements ask of the environment, and where it is here:

* TR-4: open only to the User Roles eligible to send Service Request 2.3
  (:func:`eligible_roles`, from ``data/testing/user_roles.csv``); available for
  at least 15 Working Days (:class:`AvailabilityWindow`); capacity and cost
  assumptions as a table (:class:`CapacityAssumptions`, costs left for the DCC
  to fill); Service Request mapping updates and testing issues management are
  voluntary (:class:`VoluntaryServices`).
* TR-5, TR-7: :func:`check_acceptance` over :class:`TestCaseRecord` rows.
* TR-6: :class:`TestPack`, Parse and Correlate and the Message Mapping
  Catalogue in the same version.
* TR-8: Users add Type 1 and Type 2 Devices to their test Smart Metering
  Systems (:meth:`TestEnvironment.add_device`).
* TR-9: Test Communications Hubs for every HAN x WAN variant combination
  (:func:`ch_combinations`), and test stubs of meters before and at the Release
  (:class:`MeterVersion`, made by a pluggable :class:`DeviceStubFactory`).
* TR-10: Users set volume and data value Anomaly Detection Thresholds and read
  quarantine notifications in a per-User inbox; the screening itself is a
  pluggable :class:`AnomalyDetector`.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from specpkg import workdays
from specpkg.catalogue import SERVICE_REFERENCE as RESET_SERVICE_REFERENCE
from specpkg.errors import SpecError, ValidationError
from specpkg.paths import DATA_DIR

TESTING_DATA = DATA_DIR / "testing"
#: The Service Request whose eligible roles the new one inherits (SR-3): 2.3 Update Debt.
SERVICE_REFERENCE = "2.3"
MIN_WINDOW_WORKING_DAYS = 15


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------- roles (TR-4)


class UserRole(StrEnum):
    """DUIS User Roles (codes as in the DUIS request matrix)."""

    IS = "IS"
    ES = "ES"
    GS = "GS"
    ED = "ED"
    GT = "GT"
    RSA = "RSA"
    OU = "OU"


@dataclass(frozen=True)
class RoleInfo:
    """One row of ``data/testing/user_roles.csv`` (TR-4)."""

    role: UserRole
    name: str
    eligible: bool


def load_user_roles(path: Path | None = None) -> tuple[RoleInfo, ...]:
    """The User Roles and their eligibility for SR 2.3, from the project's data (TR-4)."""
    rows = _read_csv(path or TESTING_DATA / "user_roles.csv")
    return tuple(
        RoleInfo(UserRole(r["role"]), r["name"], r["eligible"] == "yes") for r in rows
    )


def eligible_roles(path: Path | None = None) -> tuple[UserRole, ...]:
    """The roles the environment is open to: those eligible to send SR 2.3 (TR-4)."""
    return tuple(info.role for info in load_user_roles(path) if info.eligible)


def role_name(role: UserRole) -> str:
    return {info.role: info.name for info in load_user_roles()}[role]


def parse_role(value: Any) -> UserRole:
    try:
        return UserRole(value)
    except ValueError:
        known = ", ".join(r.value for r in UserRole)
        raise ValidationError("role", f"unknown User Role {value!r} (known: {known})") from None


class RoleNotEligible(ValidationError):
    """A User Role that may not use the SECMP0002 test environment (TR-4)."""

    def __init__(self, role: UserRole, eligible: Sequence[UserRole]) -> None:
        self.role = role
        self.eligible = tuple(eligible)
        names = ", ".join(f"{r.value} ({role_name(r)})" for r in self.eligible)
        super().__init__(
            "role",
            f"{role.value} ({role_name(role)}) is not eligible to send Service Request "
            f"{SERVICE_REFERENCE}; the test environment is open to {names} only",
        )


class EnvironmentClosed(ValidationError):
    """An action dated outside the environment's availability window (TR-4)."""


class CapacityExceeded(ValidationError):
    """More Users than the capacity assumptions provide for (TR-4)."""


# --------------------------------------------------------------------------- window (TR-4)


@dataclass(frozen=True)
class AvailabilityWindow:
    """The environment's availability: ``working_days`` Working Days from ``start`` (TR-4).

    The window opens on the first Working Day on or after ``start``. Fewer than
    15 Working Days is refused.
    """

    start: date
    working_days: int = MIN_WINDOW_WORKING_DAYS

    def __post_init__(self) -> None:
        if isinstance(self.start, datetime) or not isinstance(self.start, date):
            raise ValidationError("start", f"give a calendar date: {self.start!r}")
        days = self.working_days
        if isinstance(days, bool) or not isinstance(days, int):
            raise ValidationError("working_days", f"must be a whole number: {days!r}")
        if days < MIN_WINDOW_WORKING_DAYS:
            raise ValidationError(
                "working_days",
                f"{days} Working Days is too short: the environment must be available for "
                f"at least {MIN_WINDOW_WORKING_DAYS} Working Days (TR-4)",
            )

    @property
    def first_day(self) -> date:
        return workdays.next_working_day(self.start)

    @property
    def last_day(self) -> date:
        return workdays.window_end(self.start, self.working_days)

    def is_open(self, day: date) -> bool:
        """True on a Working Day inside the window."""
        return self.first_day <= day <= self.last_day and workdays.is_working_day(day)


# --------------------------------------------------------------------------- capacity (TR-4)


@dataclass(frozen=True)
class CostInput:
    """A cost the DCC must provide; ``value`` (whole pounds) stays ``None`` until it does."""

    parameter: str
    unit: str
    value: int | None
    source: str
    note: str


@dataclass(frozen=True)
class CapacityAssumptions:
    """Capacity and cost assumptions of the Testing Service (TR-4).

    Read from ``data/testing/capacity_assumptions.csv``. No price is invented:
    every cost row is blank until the DCC fills it.
    """

    max_users: int
    min_large_suppliers: int
    min_window_working_days: int
    costs: tuple[CostInput, ...]

    def __post_init__(self) -> None:
        if not 1 <= self.max_users <= 10:
            raise ValidationError("max_users", f"TR-4 plans for up to 10 Users: {self.max_users}")
        if self.min_large_suppliers < 2:
            raise ValidationError(
                "min_large_suppliers", f"TR-4 notes at least two: {self.min_large_suppliers}"
            )
        if self.min_large_suppliers > self.max_users:
            raise ValidationError("min_large_suppliers", "more Large Suppliers than Users")
        if self.min_window_working_days < MIN_WINDOW_WORKING_DAYS:
            raise ValidationError(
                "min_window_working_days", f"TR-4 requires at least {MIN_WINDOW_WORKING_DAYS}"
            )

    @property
    def unfilled_costs(self) -> tuple[str, ...]:
        """The cost parameters the DCC has not yet provided."""
        return tuple(c.parameter for c in self.costs if c.value is None)

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {"parameter": "max_users", "kind": "capacity", "value": self.max_users,
             "unit": "Users"},
            {"parameter": "min_large_suppliers", "kind": "capacity",
             "value": self.min_large_suppliers, "unit": "Large Suppliers"},
            {"parameter": "min_window_working_days", "kind": "capacity",
             "value": self.min_window_working_days, "unit": "Working Days"},
        ] + [
            {"parameter": c.parameter, "kind": "cost",
             "value": "to be provided by the DCC" if c.value is None else c.value,
             "unit": c.unit}
            for c in self.costs
        ]
        return pd.DataFrame(rows, columns=["parameter", "kind", "value", "unit"])


def _whole(field_name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValidationError(field_name, f"not a whole number: {text!r}") from None


def load_capacity_assumptions(path: Path | None = None) -> CapacityAssumptions:
    """Read the capacity and cost table (TR-4)."""
    rows = _read_csv(path or TESTING_DATA / "capacity_assumptions.csv")
    by_name = {r["parameter"]: r for r in rows}
    costs = tuple(
        CostInput(r["parameter"], r["unit"],
                  _whole(r["parameter"], r["value"]) if r["value"].strip() else None,
                  r["source"], r["note"])
        for r in rows if r["kind"] == "cost"
    )
    return CapacityAssumptions(
        max_users=_whole("max_users", by_name["max_users"]["value"]),
        min_large_suppliers=_whole("min_large_suppliers", by_name["min_large_suppliers"]["value"]),
        min_window_working_days=_whole(
            "min_window_working_days", by_name["min_window_working_days"]["value"]
        ),
        costs=costs,
    )


@dataclass(frozen=True)
class VoluntaryServices:
    """The DCC services a User may take up or not (TR-4 a, b): both voluntary."""

    sr_mapping_updates: bool = False
    testing_issues_management: bool = False


@dataclass(frozen=True)
class TestUser:
    """A User of the test environment, in one User Role (TR-4)."""

    __test__ = False  # not a pytest class

    user_id: str
    name: str
    role: UserRole
    large_supplier: bool = False
    services: VoluntaryServices = VoluntaryServices()

    def __post_init__(self) -> None:
        if not self.user_id.strip():
            raise ValidationError("user_id", "must not be empty")
        object.__setattr__(self, "role", parse_role(self.role))


# --------------------------------------------------------------------------- devices (TR-8, TR-9)


class DeviceType(StrEnum):
    """SEC Device types: Type 1 Devices hold Device Security Credentials; Type 2 do not."""

    TYPE_1 = "Type 1"
    TYPE_2 = "Type 2"


class DeviceClass(StrEnum):
    """Devices a User may supply and add to a test Smart Metering System (TR-8).

    Type 1 (as in the GBCS DeviceType list): ESME, GSME, PPMID, HCALCS.
    Type 2: any other HAN device, e.g. an In-Home Display or Consumer Access
    Device. The Communications Hub Function and Gas Proxy Function are not here:
    they come with the DCC's Test Communications Hub (TR-9a).
    """

    ESME = "ESME"
    GSME = "GSME"
    PPMID = "PPMID"
    HCALCS = "HCALCS"
    IHD = "IHD"
    CAD = "CAD"

    @property
    def device_type(self) -> DeviceType:
        return DeviceType.TYPE_1 if self in _TYPE_1 else DeviceType.TYPE_2

    @property
    def is_meter(self) -> bool:
        return self in (DeviceClass.ESME, DeviceClass.GSME)


_TYPE_1 = frozenset({DeviceClass.ESME, DeviceClass.GSME, DeviceClass.PPMID, DeviceClass.HCALCS})
# The supplier role responsible for each meter: only it may send SR 2.3 to it.
METER_SUPPLIER_ROLE = {DeviceClass.ESME: UserRole.IS, DeviceClass.GSME: UserRole.GS}


class ReleaseStage(StrEnum):
    """Which SMETS version a test stub emulates (TR-9b)."""

    PRE_RELEASE = "pre-release"
    RELEASE = "release"


@dataclass(frozen=True)
class MeterVersion:
    """The meter behaviour a test stub emulates (TR-9b).

    ``pre-release``: the SMETS/GBCS version in force before the Release: the
    meter has the existing adjust-debt use cases (ECS07, GCS04) but not the new
    reset use cases (installed meters need not be updated). ``release``: the
    version effective on the Release date, with the reset use cases. The labels
    name the versions; the DCC sets the actual version numbers.
    """

    stage: ReleaseStage
    smets_label: str
    gbcs_label: str

    @property
    def supports_reset(self) -> bool:
        return self.stage is ReleaseStage.RELEASE


PRE_RELEASE = MeterVersion(
    ReleaseStage.PRE_RELEASE, "SMETS in force before the Release", "GBCS before the Release"
)
RELEASE = MeterVersion(
    ReleaseStage.RELEASE, "SMETS effective on the Release date", "GBCS of the Release"
)
METER_VERSIONS = (PRE_RELEASE, RELEASE)


@dataclass(frozen=True)
class TestDevice:
    """A User-supplied Device (TR-8). Meters carry the version their stub emulates."""

    __test__ = False

    device_id: str
    device_class: DeviceClass
    has_security_credentials: bool
    meter_version: MeterVersion | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "device_class", DeviceClass(self.device_class))
        except ValueError:
            raise ValidationError(
                "device_class", f"not a User-supplied Device class: {self.device_class!r}"
            ) from None
        text = self.device_id.replace("-", "").upper()
        if len(text) != 16 or any(c not in "0123456789ABCDEF" for c in text):
            raise ValidationError("device_id", f"not a 16-hex-digit Device id: {self.device_id!r}")
        object.__setattr__(self, "device_id", text)
        kind = self.device_class.device_type
        if kind is DeviceType.TYPE_1 and not self.has_security_credentials:
            raise ValidationError(
                "has_security_credentials",
                f"{self.device_class.value} is a Type 1 Device and must hold Device Security "
                "Credentials",
            )
        if kind is DeviceType.TYPE_2 and self.has_security_credentials:
            raise ValidationError(
                "has_security_credentials",
                f"{self.device_class.value} is a Type 2 Device, which holds no Device Security "
                "Credentials",
            )
        if self.device_class.is_meter and self.meter_version is None:
            raise ValidationError("meter_version", f"{self.device_class.value} needs a version")
        if not self.device_class.is_meter and self.meter_version is not None:
            raise ValidationError(
                "meter_version", f"{self.device_class.value} is not a meter: no SMETS meter version"
            )

    @property
    def device_type(self) -> DeviceType:
        return self.device_class.device_type


@runtime_checkable
class DeviceStub(Protocol):
    """What the environment needs of a meter stub (TR-9b); the stub module supplies more."""

    @property
    def device_id(self) -> str: ...

    @property
    def meter_version(self) -> MeterVersion: ...


class DeviceStubFactory(Protocol):
    """Makes the stub emulating a meter of a given version (TR-9b); plugged into the env."""

    def __call__(self, device: TestDevice) -> DeviceStub: ...


@dataclass(frozen=True)
class PlaceholderStub:
    """A stub that only records what it emulates, until the real stubs are plugged in."""

    device_id: str
    meter_version: MeterVersion
    device_class: DeviceClass


def placeholder_stub_factory(device: TestDevice) -> DeviceStub:
    """The default :class:`DeviceStubFactory`: emulates nothing beyond identity (TR-9b)."""
    assert device.meter_version is not None
    return PlaceholderStub(device.device_id, device.meter_version, device.device_class)


@dataclass(frozen=True)
class ChVariant:
    """One HAN or WAN variant of the Communications Hub (TR-9a)."""

    kind: str
    code: str
    description: str
    region: str
    technology: str
    source: str
    uncertain: bool
    note: str


def load_ch_variants(path: Path | None = None) -> tuple[ChVariant, ...]:
    """The HAN and WAN variants of the Communications Hub, with their sources (TR-9a)."""
    rows = _read_csv(path or TESTING_DATA / "ch_variants.csv")
    out = []
    for r in rows:
        if r["kind"] not in ("HAN", "WAN"):
            raise ValidationError("kind", f"HAN or WAN, not {r['kind']!r}")
        out.append(ChVariant(r["kind"], r["code"], r["description"], r["region"],
                             r["technology"], r["source"], r["uncertain"] == "yes", r["note"]))
    return tuple(out)


@dataclass(frozen=True)
class TestCommsHub:
    """A Test Communications Hub of one HAN x WAN variant combination (TR-9a)."""

    __test__ = False

    han: ChVariant
    wan: ChVariant

    @property
    def code(self) -> str:
        return f"{self.han.code}/{self.wan.code}"

    @property
    def uncertain(self) -> bool:
        return self.han.uncertain or self.wan.uncertain


def ch_combinations(variants: Iterable[ChVariant] | None = None) -> tuple[TestCommsHub, ...]:
    """A Test CH for every combination of HAN and WAN variant (TR-9a)."""
    variants = tuple(load_ch_variants() if variants is None else variants)
    hans = [v for v in variants if v.kind == "HAN"]
    wans = [v for v in variants if v.kind == "WAN"]
    return tuple(TestCommsHub(h, w) for h, w in itertools.product(hans, wans))


@dataclass
class TestSmartMeteringSystem:
    """A User's test Smart Metering System: one Test CH and the Devices added to it (TR-8)."""

    __test__ = False

    sms_id: str
    user_id: str
    comms_hub: TestCommsHub
    devices: list[TestDevice] = field(default_factory=list)
    stubs: dict[str, DeviceStub] = field(default_factory=dict)


# --------------------------------------------------------------------------- thresholds (TR-10)


class ThresholdKind(StrEnum):
    """The Anomaly Detection Thresholds a User sets (TR-10)."""

    USER_VOLUME = "user volume"
    DATA_VALUE = "data value"


@dataclass(frozen=True)
class Threshold:
    """One User-set ADT for a Service Request (TR-10).

    ``USER_VOLUME``: at most ``limit`` Signed Pre-Commands per ``period_hours``.
    ``DATA_VALUE``: a value in the command (e.g. a debt amount, whole pence)
    must not exceed ``limit``.
    """

    kind: ThresholdKind
    limit: int
    service_reference: str = RESET_SERVICE_REFERENCE
    period_hours: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ThresholdKind(self.kind))
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 0:
            raise ValidationError("limit", f"must be a whole number >= 0: {self.limit!r}")
        if self.kind is ThresholdKind.USER_VOLUME:
            if not isinstance(self.period_hours, int) or self.period_hours < 1:
                raise ValidationError("period_hours", "a volume threshold needs a period >= 1 h")
        elif self.period_hours is not None:
            raise ValidationError("period_hours", "a data value threshold has no period")


class ScreeningResult(Protocol):
    """What an anomaly check answers for one Signed Pre-Command (TR-10)."""

    @property
    def quarantined(self) -> bool: ...

    @property
    def reason(self) -> str: ...


class AnomalyDetector(Protocol):
    """The DCC's anomaly detection as the environment uses it (TR-10).

    The anomaly detection module satisfies this: it keeps each User's
    thresholds and screens each Signed Pre-Command (GBCS bytes) against them
    (and, for GSME, the packet inspection that the debt amount is zero).
    """

    def set_thresholds(self, user_id: str, thresholds: Sequence[Threshold]) -> None: ...

    def screen(self, user_id: str, signed_pre_command: bytes, at: datetime) -> ScreeningResult: ...


@dataclass(frozen=True)
class Screening:
    """A plain :class:`ScreeningResult`."""

    quarantined: bool
    reason: str


class VolumeOnlyDetector:
    """A stand-in :class:`AnomalyDetector` that applies volume thresholds only.

    It counts Signed Pre-Commands per User in a sliding window and does not
    decode them, so data value thresholds are stored but not checked; the real
    anomaly detection module replaces it.
    """

    def __init__(self) -> None:
        self._thresholds: dict[str, tuple[Threshold, ...]] = {}
        self._seen: dict[str, list[datetime]] = {}

    def set_thresholds(self, user_id: str, thresholds: Sequence[Threshold]) -> None:
        self._thresholds[user_id] = tuple(thresholds)

    def screen(self, user_id: str, signed_pre_command: bytes, at: datetime) -> Screening:
        seen = self._seen.setdefault(user_id, [])
        for threshold in self._thresholds.get(user_id, ()):
            if threshold.kind is not ThresholdKind.USER_VOLUME:
                continue
            assert threshold.period_hours is not None
            since = at.timestamp() - threshold.period_hours * 3600
            recent = sum(1 for t in seen if t.timestamp() > since)
            if recent + 1 > threshold.limit:
                return Screening(
                    True,
                    f"user volume threshold exceeded: {recent + 1} Signed Pre-Commands for SR "
                    f"{threshold.service_reference} within {threshold.period_hours} h "
                    f"(limit {threshold.limit})",
                )
        seen.append(at)
        return Screening(False, "within thresholds")


@dataclass(frozen=True)
class QuarantineNotification:
    """A notice to a User that one of its Signed Pre-Commands was quarantined (TR-10)."""

    user_id: str
    sequence: int
    at: datetime
    reason: str


# --------------------------------------------------------------------------- test pack (TR-6)


@dataclass(frozen=True)
class TestPack:
    """Manifest of the software the DCC gives Users for the test (TR-6).

    Parse and Correlate and the Message Mapping Catalogue must be the
    corresponding (same) version; a mismatch is refused.
    """

    __test__ = False

    release: str
    parse_and_correlate_version: str
    message_mapping_catalogue_version: str

    def __post_init__(self) -> None:
        for name in ("release", "parse_and_correlate_version",
                     "message_mapping_catalogue_version"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValidationError(name, "must be a non-empty version label")
            object.__setattr__(self, name, value.strip())
        if self.parse_and_correlate_version != self.message_mapping_catalogue_version:
            raise ValidationError(
                "message_mapping_catalogue_version",
                f"Message Mapping Catalogue {self.message_mapping_catalogue_version} does not "
                f"correspond to Parse and Correlate {self.parse_and_correlate_version} (TR-6)",
            )

    def as_dict(self) -> dict[str, str]:
        return {
            "release": self.release,
            "parse_and_correlate_version": self.parse_and_correlate_version,
            "message_mapping_catalogue_version": self.message_mapping_catalogue_version,
        }

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> TestPack:
        missing = [k for k in ("release", "parse_and_correlate_version",
                               "message_mapping_catalogue_version") if k not in manifest]
        if missing:
            raise ValidationError(missing[0], "missing from the test pack manifest")
        return cls(manifest["release"], manifest["parse_and_correlate_version"],
                   manifest["message_mapping_catalogue_version"])


# --------------------------------------------------------------------------- acceptance (TR-5, 7)


SUCCESS_RESPONSE_CODES = frozenset({"I0"})


@dataclass(frozen=True)
class TestCaseRecord:
    """What happened in one executed test case; the end-to-end flow fills these (TR-5, TR-7).

    ``command_succeeded``: the Command's execution on the Device succeeded
    (``None`` when no Command reached the Device, e.g. refused or quarantined
    by the DCC). ``response_received``: the User received a Service Response;
    ``response_code`` is its DUIS response code (``I0`` success);
    ``response_says_zero``: the Response says the Debt Register is zero.
    ``expected_success``: the test matrix expects a successful reset.
    ``request_sent``: the User sent a Service Request at all; ``False`` when the
    environment refused the User's role at admission (TR-4), and then nothing
    was executed and no Service Response is due (TR-5 asks one per request).
    """

    __test__ = False

    case_id: str
    command_succeeded: bool | None
    response_received: bool
    response_code: str | None = None
    response_says_zero: bool = False
    expected_success: bool = True
    request_sent: bool = True

    def __post_init__(self) -> None:
        if not self.request_sent and (self.response_received or self.response_says_zero
                                      or self.command_succeeded is not None):
            raise ValidationError(
                "request_sent", f"{self.case_id}: no Service Request was sent, so there can be "
                "no Command executed and no Service Response")


class Verdict(StrEnum):
    """The outcome of one test case against TR-5 and TR-7."""

    PASS = "pass"
    NO_RESPONSE = "fail: no Service Response received (TR-5)"
    NOT_SUCCESS_CODE = "fail: successful Command but Response code is not success (TR-7)"
    NOT_ZERO = "fail: successful Command but Response does not say the register is zero (TR-7)"
    FALSE_ZERO = "fail: Response says zero although the Command did not succeed"
    UNEXPECTED_SUCCESS = "fail: Command succeeded where the test case expects a refusal"
    UNEXPECTED_FAILURE = "fail: Command did not succeed where the test case expects success"


@dataclass(frozen=True)
class CaseVerdict:
    case_id: str
    verdict: Verdict

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASS


@dataclass(frozen=True)
class AcceptanceReport:
    """Per-case verdicts and whether the run meets the acceptance criteria (TR-7)."""

    verdicts: tuple[CaseVerdict, ...]

    @property
    def accepted(self) -> bool:
        """True iff there is at least one case and every case passed."""
        return bool(self.verdicts) and all(v.passed for v in self.verdicts)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"case_id": v.case_id, "verdict": v.verdict.value} for v in self.verdicts],
            columns=["case_id", "verdict"],
        )


def verdict_of(record: TestCaseRecord,
               success_codes: frozenset[str] = SUCCESS_RESPONSE_CODES) -> Verdict:
    """Judge one case (TR-5: a Response for every Service Request; TR-7: the zero Response).

    A case that sent no Service Request (refused at admission, TR-4) passes
    exactly when the test case expects no success.
    """
    if not record.request_sent:
        return Verdict.UNEXPECTED_FAILURE if record.expected_success else Verdict.PASS
    if not record.response_received:
        return Verdict.NO_RESPONSE
    if record.command_succeeded:
        if not record.expected_success:
            return Verdict.UNEXPECTED_SUCCESS
        if record.response_code not in success_codes:
            return Verdict.NOT_SUCCESS_CODE
        if not record.response_says_zero:
            return Verdict.NOT_ZERO
        return Verdict.PASS
    if record.response_says_zero:
        return Verdict.FALSE_ZERO
    if record.expected_success:
        return Verdict.UNEXPECTED_FAILURE
    return Verdict.PASS


def check_acceptance(records: Iterable[TestCaseRecord],
                     success_codes: frozenset[str] = SUCCESS_RESPONSE_CODES) -> AcceptanceReport:
    """Verdict per case; the run is accepted only if every case passes (TR-5, TR-7).

    In particular, for every Command the Device executed successfully the User
    must have received the Service Response (success code) saying the Debt
    Register is zero. Duplicate case ids are refused.
    """
    records = list(records)
    ids = [r.case_id for r in records]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValidationError("case_id", f"duplicate test case ids: {duplicates}")
    return AcceptanceReport(
        tuple(CaseVerdict(r.case_id, verdict_of(r, success_codes)) for r in records)
    )


# --------------------------------------------------------------------------- the environment


class TestEnvironment:
    """The SECMP0002 test environment: Users, Test CHs, Devices, thresholds, inboxes.

    ``stub_factory`` (TR-9b) and ``detector`` (TR-10) are plugged in; the
    defaults are stand-ins until the device stubs and anomaly detection modules
    are wired.
    """

    __test__ = False

    def __init__(
        self,
        window: AvailabilityWindow,
        assumptions: CapacityAssumptions | None = None,
        stub_factory: DeviceStubFactory = placeholder_stub_factory,
        detector: AnomalyDetector | None = None,
        comms_hubs: Sequence[TestCommsHub] | None = None,
        roles_path: Path | None = None,
    ) -> None:
        self.window = window
        self.assumptions = assumptions or load_capacity_assumptions()
        if window.working_days < self.assumptions.min_window_working_days:
            raise ValidationError(
                "working_days",
                f"window of {window.working_days} Working Days is shorter than the "
                f"{self.assumptions.min_window_working_days} assumed",
            )
        self.eligible = eligible_roles(roles_path)
        self.stub_factory = stub_factory
        self.detector: AnomalyDetector = detector or VolumeOnlyDetector()
        self.comms_hubs = tuple(ch_combinations() if comms_hubs is None else comms_hubs)
        self.users: dict[str, TestUser] = {}
        self.systems: dict[str, TestSmartMeteringSystem] = {}
        self.thresholds: dict[str, tuple[Threshold, ...]] = {}
        self._inboxes: dict[str, list[QuarantineNotification]] = {}

    # -- Users (TR-4)
    def register_user(self, user: TestUser) -> TestUser:
        """Admit a User in an eligible role, within the assumed number of Users (TR-4)."""
        if user.role not in self.eligible:
            raise RoleNotEligible(user.role, self.eligible)
        if user.user_id in self.users:
            raise ValidationError("user_id", f"{user.user_id} is already registered")
        if len(self.users) >= self.assumptions.max_users:
            raise CapacityExceeded(
                "users", f"the Testing Service is sized for up to {self.assumptions.max_users} "
                "Users",
            )
        self.users[user.user_id] = user
        self._inboxes[user.user_id] = []
        return user

    def user(self, user_id: str) -> TestUser:
        try:
            return self.users[user_id]
        except KeyError:
            raise ValidationError("user_id", f"no User {user_id!r} in the environment") from None

    @property
    def large_suppliers(self) -> int:
        return sum(u.large_supplier for u in self.users.values())

    def capacity_summary(self) -> dict[str, Any]:
        """Users admitted against the capacity assumptions (TR-4)."""
        return {
            "users": len(self.users),
            "max_users": self.assumptions.max_users,
            "large_suppliers": self.large_suppliers,
            "min_large_suppliers": self.assumptions.min_large_suppliers,
            "large_supplier_assumption_met":
                self.large_suppliers >= self.assumptions.min_large_suppliers,
            "sr_mapping_updates_taken_up": sum(
                u.services.sr_mapping_updates for u in self.users.values()),
            "testing_issues_management_taken_up": sum(
                u.services.testing_issues_management for u in self.users.values()),
        }

    # -- Test CH and Devices (TR-8, TR-9)
    def _require_open(self, day: date) -> None:
        if not self.window.is_open(day):
            raise EnvironmentClosed(
                "date", f"{day} is not a Working Day from {self.window.first_day} to "
                f"{self.window.last_day}, when the environment is available",
            )

    def issue_comms_hub(self, user_id: str, ch_code: str, on: date) -> TestSmartMeteringSystem:
        """Give a User a Test CH of one variant combination: a new test SMS (TR-9a)."""
        self.user(user_id)
        self._require_open(on)
        hubs = {ch.code: ch for ch in self.comms_hubs}
        if ch_code not in hubs:
            raise ValidationError("ch_code", f"no Test CH variant {ch_code!r} "
                                  f"(available: {', '.join(hubs)})")
        sms_id = f"SMS-{len(self.systems) + 1:03d}"
        system = TestSmartMeteringSystem(sms_id, user_id, hubs[ch_code])
        self.systems[sms_id] = system
        return system

    def add_device(self, user_id: str, sms_id: str, device: TestDevice,
                   on: date) -> TestSmartMeteringSystem:
        """Add a User-supplied Type 1 or Type 2 Device to the User's test SMS (TR-8).

        Refused: another User's SMS; a second meter of the same kind on one SMS; a
        Device id already in use; a meter the User's role does not supply (ESME
        for Import Suppliers, GSME for Gas Suppliers). Meters get a stub from
        the plugged-in factory (TR-9b).
        """
        user = self.user(user_id)
        self._require_open(on)
        system = self.systems.get(sms_id)
        if system is None or system.user_id != user_id:
            raise ValidationError("sms_id", f"{sms_id!r} is not a test SMS of {user_id}")
        in_use = {d.device_id for s in self.systems.values() for d in s.devices}
        if device.device_id in in_use:
            raise ValidationError("device_id", f"{device.device_id} is already in use")
        if device.device_class.is_meter:
            supplier = METER_SUPPLIER_ROLE[device.device_class]
            if user.role is not supplier:
                raise ValidationError(
                    "device_class",
                    f"a {user.role.value} User cannot add a {device.device_class.value}: "
                    f"its supplier role is {supplier.value}",
                )
            if any(d.device_class is device.device_class for d in system.devices):
                raise ValidationError(
                    "device_class", f"{sms_id} already has a {device.device_class.value}"
                )
            stub = self.stub_factory(device)
            if stub.device_id != device.device_id or stub.meter_version != device.meter_version:
                raise SpecError("the device stub factory made a stub for another device")
            system.stubs[device.device_id] = stub
        system.devices.append(device)
        return system

    def stub(self, device_id: str) -> DeviceStub:
        """The stub the plugged-in factory made for a meter added to a test SMS (TR-9b)."""
        key = device_id.replace("-", "").upper()
        for system in self.systems.values():
            if key in system.stubs:
                return system.stubs[key]
        raise ValidationError("device_id", f"no meter stub for {device_id!r}")

    # -- thresholds and quarantine (TR-10)
    def set_thresholds(self, user_id: str, thresholds: Sequence[Threshold]) -> None:
        """A User sets its volume and data value ADTs in the environment (TR-10)."""
        self.user(user_id)
        thresholds = tuple(thresholds)
        kinds = [t.kind for t in thresholds]
        if not thresholds:
            raise ValidationError("thresholds", "set at least one threshold")
        if len(set(zip(kinds, (t.service_reference for t in thresholds), strict=True))) < len(
            thresholds
        ):
            raise ValidationError("thresholds", "one threshold per kind and Service Request")
        self.thresholds[user_id] = thresholds
        self.detector.set_thresholds(user_id, thresholds)

    def submit_pre_command(self, user_id: str, signed_pre_command: bytes,
                           at: datetime) -> ScreeningResult:
        """Screen a User's Signed Pre-Command; a quarantine notifies the User (TR-10)."""
        self.user(user_id)
        self._require_open(at.date())
        if user_id not in self.thresholds:
            raise ValidationError("thresholds", f"{user_id} has set no thresholds yet (TR-10)")
        result = self.detector.screen(user_id, signed_pre_command, at)
        if result.quarantined:
            self.notify_quarantine(user_id, at, result.reason)
        return result

    def notify_quarantine(self, user_id: str, at: datetime, reason: str) -> None:
        """Put a quarantine notification in the User's inbox (TR-10)."""
        inbox = self._inboxes[self.user(user_id).user_id]
        inbox.append(QuarantineNotification(user_id, len(inbox) + 1, at, reason))

    def inbox(self, user_id: str) -> tuple[QuarantineNotification, ...]:
        """The quarantine notifications a User has received (TR-10)."""
        self.user(user_id)
        return tuple(self._inboxes[user_id])
