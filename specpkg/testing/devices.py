"""The Devices Users add to their test Smart Metering Systems, and the meter stubs (TR-8, TR-9b).

A User supplies its own Type 1 Devices and Type 2 Devices and adds them to its
test Smart Metering System (TR-8). The SEC's definitions (Section A, "Type 1
Device", "Type 2 Device") make both HAN Devices *other than* the smart meters,
the Communications Hub Function and the Gas Proxy Function: a Type 1 Device holds
Device Security Credentials (a PPMID, an HCALCS), a Type 2 Device holds none (an
IHD, a CAD; the SEC's Deployed Products List, F2.10, lists them as "Associated
Type 2 Devices" beside a Smart Metering System). A User may add, beside them, its
own smart meters (ESME, GSME: neither Type 1 nor Type 2; they hold Device
Security Credentials too). A meter the User brings is *its own*: any
object that answers commands like a meter (:class:`HanMeter`), with its own
firmware and behaviour, which the environment wires to the Test CH and the DCC
as it is. Where the User brings none, the DCC emulates the meter with its test
stub of the SMETS version before or at the Release (TR-9b):
:class:`MeterStubFactory` makes the real :class:`~specpkg.system.meters.MeterStub`.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

from specpkg.errors import ValidationError
from specpkg.gbcs.catalogue import SUPPLIER_ROLE
from specpkg.gbcs.security import Keys
from specpkg.journal import Retention
from specpkg.meter.registers import Device, MeterState, PaymentMode
from specpkg.meter.simulation import example_meter
from specpkg.paths import DATA_DIR, PKI_DIR
from specpkg.system.assumptions import Assumptions
from specpkg.system.meters import DeviceReply, MeterStub
from specpkg.system.variants import MeterVersion
from specpkg.testing.roles import UserRole

HAN_DEVICES = DATA_DIR / "han" / "han_devices.csv"


#: Where the kinds of Device below are defined.
SEC_DEVICE_TYPE_SOURCE = ("SEC Section A (Definitions): 'Type 1 Device', 'Type 2 Device' (Devices "
                          "other than a Smart Meter, Communications Hub Function or Gas Proxy "
                          "Function; Type 1 with, Type 2 without Device Security Credentials); "
                          "SEC F2.10 (Associated Type 2 Devices)")


class DeviceType(StrEnum):
    """The SEC's kinds of Device on a Smart Metering System (:data:`SEC_DEVICE_TYPE_SOURCE`).

    Type 1 and Type 2 Devices are the HAN Devices other than the smart meters, the
    Communications Hub Function and the Gas Proxy Function: Type 1 hold Device
    Security Credentials (PPMID, HCALCS), Type 2 do not (IHD, CAD). A smart meter and
    the Communications Hub's two functions are neither.
    """

    SMART_METER = "Smart Meter"
    COMMS_HUB = "Communications Hub Function or Gas Proxy Function"
    TYPE_1 = "Type 1"
    TYPE_2 = "Type 2"

    @property
    def holds_credentials(self) -> bool:
        """Every kind but a Type 2 Device holds Device Security Credentials."""
        return self is not DeviceType.TYPE_2


#: The kind of every Device of the SM HAN, by its GBCS device name.
SEC_DEVICE_TYPES = {
    "ESME": DeviceType.SMART_METER, "GSME": DeviceType.SMART_METER,
    "CHF": DeviceType.COMMS_HUB, "GPF": DeviceType.COMMS_HUB,
    "PPMID": DeviceType.TYPE_1, "HCALCS": DeviceType.TYPE_1,
    "IHD": DeviceType.TYPE_2, "CAD": DeviceType.TYPE_2,
}


class DeviceClass(StrEnum):
    """Devices a User may supply and add to a test Smart Metering System (TR-8).

    The Type 1 Devices PPMID and HCALCS, the Type 2 Devices IHD and CAD and, beside
    them, the User's own meters ESME and GSME (or the DCC's stubs of them, TR-9b).
    The Communications Hub Function and Gas Proxy Function are not here: they come
    with the DCC's Test Communications Hub (TR-9a).
    """

    ESME = "ESME"
    GSME = "GSME"
    PPMID = "PPMID"
    HCALCS = "HCALCS"
    IHD = "IHD"
    CAD = "CAD"

    @property
    def device_type(self) -> DeviceType:
        return SEC_DEVICE_TYPES[self.value]

    @property
    def is_meter(self) -> bool:
        return self.device_type is DeviceType.SMART_METER

    @property
    def meter(self) -> Device:
        """The meter this class is (ValidationError for a device that is not one)."""
        if not self.is_meter:
            raise ValidationError("device_class", f"a {self.value} is not a meter")
        return Device(self.value)

    @property
    def supplier_role(self) -> UserRole:
        """The User Role that supplies this meter: only it may reset it (SR-3)."""
        return UserRole(SUPPLIER_ROLE[self.meter])


def han_devices() -> list[dict[str, str]]:
    """``data/han/han_devices.csv`` with each Device's SEC kind (:data:`SEC_DEVICE_TYPES`)
    added, not typed in the file (one truth); ValidationError for a device it does not know."""
    with HAN_DEVICES.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        kind = SEC_DEVICE_TYPES.get(row["device"])
        if kind is None:
            raise ValidationError("device", f"{row['device']!r} in {HAN_DEVICES.name} is not a "
                                            "SM HAN Device the SEC defines")
        row["device_type"] = kind.value
        row["device_type_source"] = SEC_DEVICE_TYPE_SOURCE
    return rows


@runtime_checkable
class HanMeter(Protocol):
    """What the environment needs of a meter on a test SMS: its id and type, its
    registers (read by the test records) and an answer to each command from the HAN."""

    device_id: str
    device: Device
    state: MeterState

    def receive(self, command: bytes) -> DeviceReply: ...


class DeviceOrigin(StrEnum):
    """Who provides the device that answers on the test SMS (TR-8, TR-9b)."""

    USER = "supplied by the User"
    DCC_STUB = "emulated by the DCC's test stub"


@dataclass(frozen=True)
class TestDevice:
    """A Device a User adds to its test SMS (TR-8).

    A meter is either the User's own, ``meter`` (it keeps its own ``firmware`` label
    and behaviour), or, without one, emulated by the DCC's test stub of
    ``meter_version`` (TR-9b).
    """

    __test__ = False

    device_id: str
    device_class: DeviceClass
    has_security_credentials: bool
    meter_version: MeterVersion | None = None
    firmware: str = ""
    meter: HanMeter | None = field(default=None, compare=False, repr=False)

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
        if kind.holds_credentials and not self.has_security_credentials:
            raise ValidationError(
                "has_security_credentials",
                f"{self.device_class.value} is a {kind.value} Device and must hold Device "
                "Security Credentials",
            )
        if not kind.holds_credentials and self.has_security_credentials:
            raise ValidationError(
                "has_security_credentials",
                f"{self.device_class.value} is a {kind.value} Device, which holds no Device "
                "Security Credentials",
            )
        if not self.device_class.is_meter:
            if self.meter_version is not None or self.meter is not None:
                raise ValidationError("meter_version", f"{self.device_class.value} is not a "
                                                       "meter: no SMETS meter version or stub")
            return
        if (self.meter is None) == (self.meter_version is None):
            raise ValidationError("meter_version", f"{self.device_class.value} needs either the "
                                  "User's own meter or the SMETS version of the DCC's stub")
        if self.meter is not None:
            self._check_own_meter(self.meter)

    def _check_own_meter(self, meter: HanMeter) -> None:
        if not isinstance(meter, HanMeter):
            raise ValidationError("meter", f"{type(meter).__name__} does not answer commands "
                                           "like a meter (device_id, device, state, receive)")
        if meter.device is not self.device_class.meter or meter.device_id != self.device_id:
            raise ValidationError("meter", f"the meter supplied is {meter.device} "
                                           f"{meter.device_id}, not {self.device_class.value} "
                                           f"{self.device_id}")
        if not self.firmware.strip():
            raise ValidationError("firmware", "a User's own meter names its firmware version")

    @property
    def device_type(self) -> DeviceType:
        return self.device_class.device_type

    @property
    def origin(self) -> DeviceOrigin:
        return DeviceOrigin.DCC_STUB if self.meter_version is not None else DeviceOrigin.USER


@dataclass
class MeterStubFactory:
    """Makes the DCC's test stub of a meter of the device's SMETS version (TR-9b).

    The stub holds the workbook's example meter in ``mode`` (or ``states[device]``)
    and the test-only PKI's keys; it behaves as the model assumptions ``model`` say a
    meter does (MA-5, MA-7); ``stub_class`` lets tests plug a faulty meter.
    """

    mode: PaymentMode = PaymentMode.PREPAYMENT
    keys_dir: Path = PKI_DIR
    states: Mapping[Device, MeterState] = field(default_factory=dict)
    stub_class: type[MeterStub] = MeterStub
    model: Assumptions = field(default_factory=Assumptions)
    retention: Retention = field(default_factory=Retention)

    def __post_init__(self) -> None:
        self.mode = PaymentMode(self.mode)
        self._keys = Keys(self.keys_dir)

    def __call__(self, device: TestDevice) -> MeterStub:
        if device.meter_version is None:
            raise ValidationError("device_class",
                                  f"no meter stub for a {device.device_class.value}")
        kind = device.device_class.meter
        state = self.states.get(kind) or example_meter(kind.value, self.mode.value)
        return self.stub_class(device.device_id, kind, state, self._keys, device.meter_version,
                               checks_payload=self.model.meter_checks_payload,
                               alerts_unknown=self.model.pre_release_alerts,
                               retention=self.retention)
