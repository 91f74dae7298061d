"""What the test-environment tests share: the window, two Users of the test-only PKI,
and an ESME and a GSME of the Users' own (TR-4..TR-9)."""

from __future__ import annotations

from datetime import date

from specpkg.system.variants import RELEASE, MeterVersion
from specpkg.testing.capacity import AvailabilityWindow
from specpkg.testing.devices import DeviceClass, TestDevice
from specpkg.testing.environment import TestEnvironment

START = date(2019, 4, 15)  # Monday; the window runs over Easter
DAY = date(2019, 4, 16)
ESME_ID = "00DB1234567890A0"
GSME_ID = "00DB1234567890A1"
U1 = "90B3D51F30010000"  # the test Import Supplier of the test-only PKI
U2 = "90B3D51F30020000"  # the test Gas Supplier


def make_env(**kwargs) -> TestEnvironment:
    return TestEnvironment(AvailabilityWindow(START), **kwargs)


def esme(version: MeterVersion = RELEASE, device_id: str = ESME_ID) -> TestDevice:
    return TestDevice(device_id, DeviceClass.ESME, True, version)


def gsme(version: MeterVersion = RELEASE, device_id: str = GSME_ID) -> TestDevice:
    return TestDevice(device_id, DeviceClass.GSME, True, version)
