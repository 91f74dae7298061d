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

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from specpkg.errors import SpecError, ValidationError
from specpkg.gbcs.catalogue import RESET_DEBT_REGISTER
from specpkg.system.variants import MeterVersion, TestCommsHub, ch_combinations
from specpkg.testing import workdays
from specpkg.testing.roles import (
    TESTING_DATA,
    RoleNotEligible,
    UserRole,
    _read_csv,
    eligible_roles,
    parse_role,
)

MIN_WINDOW_WORKING_DAYS = 15


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
    service_reference: str = RESET_DEBT_REGISTER
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
