"""The DCC test environment for SECMP0002 as a runnable object (TR-4..TR-10).

The environment *configures* the workbook's one DCC (:class:`specpkg.system.dcc.Dcc`):
which meters exist and which User is registered for each, and each User's
Anomaly Detection Thresholds. It re-implements nothing of it: a request sent in
the environment goes through the same DCC, anomaly detection and meters as the
end-to-end flow (:meth:`TestEnvironment.testbed`).

* TR-4: open to the User Roles eligible for the reset (:mod:`specpkg.testing.roles`);
  whether it is *closed* to the others is the model assumption MA-6
  (``open_to_all_roles``, default: closed; if open, the DCC refuses them as in
  production). At least 15 Working Days. The costs are based on up to 10 Users,
  at least two of them Large Suppliers: more Users are admitted and shown as
  beyond the cost basis (:meth:`TestEnvironment.capacity_summary`), never refused.
* TR-8, TR-9: Users get Test Communications Hubs of any HAN x WAN variant
  (:meth:`issue_comms_hub`) and add their own Type 1 and Type 2 Devices
  (:meth:`add_device`): a meter the User brings answers as it is; one it does not
  bring is emulated by the DCC's test stub of the SMETS version before or at the
  Release (:mod:`specpkg.testing.devices`).
* TR-10: Users set volume and data value thresholds (:meth:`set_thresholds`)
  and read quarantine notifications in their inbox (:meth:`inbox`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from specpkg.anomaly.engine import Notification
from specpkg.anomaly.thresholds import Threshold
from specpkg.errors import SpecError, ValidationError
from specpkg.gbcs.security import Keys
from specpkg.journal import Retention
from specpkg.paths import PKI_DIR
from specpkg.system.assumptions import Assumptions
from specpkg.system.commshub import CommunicationsHub
from specpkg.system.dcc import Dcc, Registration
from specpkg.system.flow import Testbed
from specpkg.system.user import User
from specpkg.system.variants import TestCommsHub, ch_combinations
from specpkg.testing.capacity import (
    AvailabilityWindow,
    CapacityAssumptions,
    EnvironmentClosed,
    VoluntaryServices,
    load_capacity_assumptions,
)
from specpkg.testing.devices import HanMeter, MeterStubFactory, TestDevice
from specpkg.testing.roles import (
    METER_SUPPLIER_ROLES,
    RoleNotEligible,
    UserRole,
    eligible_roles,
    parse_role,
)


@dataclass(frozen=True)
class TestUser:
    """A User of the test environment: its DCC User ID and User Role (TR-4)."""

    __test__ = False  # not a pytest class

    user_id: str
    name: str
    role: UserRole
    large_supplier: bool = False
    services: VoluntaryServices = field(default_factory=VoluntaryServices)

    def __post_init__(self) -> None:
        text = self.user_id.replace("-", "").upper() if isinstance(self.user_id, str) else ""
        if len(text) != 16 or any(c not in "0123456789ABCDEF" for c in text):
            raise ValidationError("user_id", f"a DCC User ID is 16 hex digits, got "
                                             f"{self.user_id!r}")
        object.__setattr__(self, "user_id", text)
        object.__setattr__(self, "role", parse_role(self.role))


@dataclass
class TestSmartMeteringSystem:
    """A User's test Smart Metering System: a Test CH and the Devices added to it (TR-8)."""

    __test__ = False

    sms_id: str
    user_id: str
    comms_hub: TestCommsHub
    hub: CommunicationsHub
    devices: list[TestDevice] = field(default_factory=list)
    #: The meter that answers for each meter Device: the User's own or the DCC's stub.
    stubs: dict[str, HanMeter] = field(default_factory=dict)


class TestEnvironment:
    """The SECMP0002 test environment: Users, Test CHs, Devices and the DCC they use."""

    __test__ = False

    def __init__(
        self,
        window: AvailabilityWindow,
        capacity: CapacityAssumptions | None = None,
        *,
        model: Assumptions | None = None,
        stub_factory: MeterStubFactory | None = None,
        comms_hubs: Sequence[TestCommsHub] | None = None,
        keys_dir: Path = PKI_DIR,
        roles_path: Path | None = None,
        retention: Retention | None = None,
    ) -> None:
        self.window = window
        #: How much history the DCC, the Test CHs and the stubs keep (issue 18).
        self.retention = retention or Retention()
        self.capacity = capacity or load_capacity_assumptions()
        if window.working_days < self.capacity.min_window_working_days:
            raise ValidationError(
                "working_days",
                f"window of {window.working_days} Working Days is shorter than the "
                f"{self.capacity.min_window_working_days} assumed",
            )
        self.model = model or Assumptions()
        self.keys_dir = keys_dir
        self.eligible = eligible_roles(roles_path)
        self.stub_factory = stub_factory or MeterStubFactory(keys_dir=keys_dir, model=self.model,
                                                             retention=self.retention)
        self.comms_hubs = tuple(ch_combinations() if comms_hubs is None else comms_hubs)
        self.dcc = Dcc({}, keys_dir=keys_dir, assumptions=self.model, retention=self.retention)
        self.users: dict[str, TestUser] = {}
        self.systems: dict[str, TestSmartMeteringSystem] = {}

    # -- Users (TR-4)
    def register_user(self, user: TestUser) -> TestUser:
        """Admit a User (TR-4): one of an eligible role always; one of another role only
        if the environment is open to all roles (model assumption MA-6). The number of
        Users is not capped: beyond the cost basis they are shown, not refused."""
        if user.role not in self.eligible and not self.model.open_to_all_roles:
            raise RoleNotEligible(user.role, self.eligible)
        if user.user_id in self.users:
            raise ValidationError("user_id", f"{user.user_id} is already registered")
        self.users[user.user_id] = user
        return user

    def user(self, user_id: str) -> TestUser:
        try:
            return self.users[user_id.replace("-", "").upper()]
        except KeyError:
            raise ValidationError("user_id", f"no User {user_id!r} in the environment") from None

    @property
    def large_suppliers(self) -> int:
        return sum(u.large_supplier for u in self.users.values())

    def capacity_summary(self) -> dict[str, Any]:
        """The Users admitted against the cost basis of TR-4 (10 Users, of whom at least
        two Large Suppliers), and the voluntary services they took up."""
        basis = self.capacity.compare(len(self.users), self.large_suppliers)
        return {
            "users": basis.users,
            "costed_users": basis.costed_users,
            "users_beyond_cost_basis": basis.users_beyond_cost_basis,
            "within_cost_basis": basis.within_cost_basis,
            "large_suppliers": basis.large_suppliers,
            "min_large_suppliers": basis.min_large_suppliers,
            "large_supplier_assumption_met": basis.large_suppliers_as_assumed,
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
        user = self.user(user_id)
        self._require_open(on)
        hubs = {ch.code: ch for ch in self.comms_hubs}
        if ch_code not in hubs:
            raise ValidationError("ch_code", f"no Test CH variant {ch_code!r} "
                                  f"(available: {', '.join(hubs)})")
        sms_id = f"SMS-{len(self.systems) + 1:03d}"
        system = TestSmartMeteringSystem(sms_id, user.user_id, hubs[ch_code],
                                         CommunicationsHub(variant=hubs[ch_code],
                                                           retention=self.retention))
        self.systems[sms_id] = system
        return system

    def add_device(self, user_id: str, sms_id: str, device: TestDevice,
                   on: date) -> TestSmartMeteringSystem:
        """Add a User's Type 1 or Type 2 Device to the User's test SMS (TR-8).

        A meter joins the SMS's Test CH and is registered with the DCC for this User in
        its role. It is the User's own (``device.meter``, wired as it is) or else the
        DCC's stub of ``device.meter_version`` (TR-9b). Refused: another User's SMS; a
        Device id already in use; a second meter of a kind on one SMS; and a Supplier's
        meter of the other fuel except on a dual-fuel SMS that already holds the
        Supplier's own meter (a Gas Supplier's GSME with the premises' ESME): there it
        tests that the DCC refuses the Supplier a reset of the other meter (ROLE_NOT_ELIGIBLE).
        """
        user = self.user(user_id)
        self._require_open(on)
        system = self.systems.get(sms_id)
        if system is None or system.user_id != user.user_id:
            raise ValidationError("sms_id", f"{sms_id!r} is not a test SMS of {user_id}")
        in_use = {d.device_id for s in self.systems.values() for d in s.devices}
        if device.device_id in in_use:
            raise ValidationError("device_id", f"{device.device_id} is already in use")
        if device.device_class.is_meter:
            self._check_meter_fits(user, system, device)
            meter = self._meter_for(device, user)
            system.stubs[device.device_id] = meter
            system.hub.join(device.device_id, meter.device)
            self.dcc.register(Registration(device.device_id, meter.device, user.user_id,
                                           user.role.value))
        else:
            self.dcc.register_device(device.device_id, device.device_class.value)
        system.devices.append(device)
        return system

    @staticmethod
    def _check_meter_fits(user: TestUser, system: TestSmartMeteringSystem,
                          device: TestDevice) -> None:
        kind = device.device_class
        if any(d.device_class is kind for d in system.devices):
            raise ValidationError("device_class", f"{system.sms_id} already has a {kind.value}")
        own = kind.supplier_role
        if user.role in METER_SUPPLIER_ROLES and user.role is not own and not any(
                d.device_class.is_meter and d.device_class.supplier_role is user.role
                for d in system.devices):
            raise ValidationError(
                "device_class",
                f"a {user.role.value} User adds a {kind.value} (supplier role {own.value}) only "
                f"to a dual-fuel test SMS that already holds its own meter; {system.sms_id} "
                "holds none")

    def _meter_for(self, device: TestDevice, user: TestUser) -> HanMeter:
        """The User's own meter, as it is, or the DCC's stub of the device's SMETS
        version (TR-9b), commissioned with the User as its Supplier when the meter is of
        the User's own fuel (the other fuel's meter trusts another Supplier)."""
        if device.meter is not None:
            return device.meter
        stub = self.stub_factory(device)
        if stub.device_id != device.device_id or stub.meter_version != device.meter_version:
            raise SpecError("the device stub factory made a stub for another device")
        if device.device_class.supplier_role is user.role:
            stub.change_supplier(user.user_id)
        return stub

    def stub(self, device_id: str) -> HanMeter:
        """The meter that answers for a meter Device of a test SMS: the User's own, or
        the DCC's test stub (TR-8, TR-9b)."""
        key = device_id.replace("-", "").upper()
        for system in self.systems.values():
            if key in system.stubs:
                return system.stubs[key]
        raise ValidationError("device_id", f"no meter stub for {device_id!r}")

    def testbed(self, user_id: str, sms_id: str) -> Testbed:
        """The User's test SMS wired to the environment's DCC: send requests with it."""
        user = self.user(user_id)
        system = self.systems.get(sms_id)
        if system is None or system.user_id != user.user_id:
            raise ValidationError("sms_id", f"{sms_id!r} is not a test SMS of {user_id}")
        if Keys(self.keys_dir).private_key(user.user_id, "ds") is None:
            raise ValidationError("user_id", f"no test signing key for {user.user_id}")
        return Testbed(User(user.user_id, self.keys_dir), self.dcc, system.hub, system.stubs)

    # -- thresholds and quarantine (TR-10)
    def set_thresholds(self, user_id: str, thresholds: Sequence[Threshold]) -> None:
        """A User sets all its volume and data value ADTs in the environment (TR-10)."""
        user = self.user(user_id)
        thresholds = tuple(thresholds)
        if not thresholds:
            raise ValidationError("thresholds", "set at least one threshold")
        others = [t for t in thresholds if t.user_id != user.user_id]
        if others:
            raise ValidationError("thresholds", f"a threshold of {others[0].user_id} is not "
                                                f"{user.user_id}'s to set")
        self.dcc.set_thresholds(user.user_id, thresholds)

    def inbox(self, user_id: str) -> tuple[Notification, ...]:
        """What anomaly detection told a User: quarantines, releases, rejections (TR-10)."""
        return tuple(self.dcc.notifications(self.user(user_id).user_id))
