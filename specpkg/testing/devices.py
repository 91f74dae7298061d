"""The Devices Users add to their test Smart Metering Systems, and the meter stubs (TR-8, TR-9b).

A User supplies Type 1 Devices (holding Device Security Credentials: ESME, GSME,
PPMID, HCALCS) and Type 2 Devices (the others) and adds them to its test Smart
Metering System (TR-8). A meter is emulated by a DCC test stub of the SMETS
version before or at the Release (TR-9b): :class:`MeterStubFactory` makes the
real :class:`~specpkg.system.meters.MeterStub` for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from specpkg.errors import ValidationError
from specpkg.gbcs.catalogue import SUPPLIER_ROLE
from specpkg.gbcs.security import Keys
from specpkg.meter.registers import Device, MeterState, PaymentMode
from specpkg.meter.simulation import example_meter
from specpkg.paths import PKI_DIR
from specpkg.system.meters import MeterStub
from specpkg.system.variants import MeterVersion
from specpkg.testing.roles import UserRole


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


_TYPE_1 = frozenset({DeviceClass.ESME, DeviceClass.GSME, DeviceClass.PPMID, DeviceClass.HCALCS})


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


@dataclass
class MeterStubFactory:
    """Makes the DCC's test stub of a meter of the device's SMETS version (TR-9b).

    The stub holds the workbook's example meter in ``mode`` (or ``states[device]``)
    and the test-only PKI's keys; ``checks_payload`` is the model assumption MA-5;
    ``stub_class`` lets tests plug a faulty meter.
    """

    mode: PaymentMode = PaymentMode.PREPAYMENT
    keys_dir: Path = PKI_DIR
    states: Mapping[Device, MeterState] = field(default_factory=dict)
    stub_class: type[MeterStub] = MeterStub
    checks_payload: bool = False

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
                               checks_payload=self.checks_payload)
