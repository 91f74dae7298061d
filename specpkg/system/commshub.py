"""The Communications Hub only routes the reset commands (SR-6, SR-7).

The Communications Hub Function (CHF) reads the recipient from the GBCS header
and forwards the command's bytes as they are. For a gas meter the command
passes the Gas Proxy Function (GPF), which taps off only the commands listed in
``data/han/tapping_off.csv`` (the Tapping Off Mechanism, TOM); the reset use
cases are not among them, so the GPF neither processes nor stores them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache

from specpkg.errors import DecodeError, ValidationError
from specpkg.gbcs import messages
from specpkg.meter.registers import Device
from specpkg.paths import DATA_DIR
from specpkg.system.variants import TestCommsHub, ch_combinations

TAPPING_OFF = DATA_DIR / "han" / "tapping_off.csv"


@cache
def tapped_off_codes() -> frozenset[int]:
    """Message codes of the Tapping Off Mechanism commands the GPF processes."""
    with TAPPING_OFF.open(newline="", encoding="utf-8") as handle:
        return frozenset(int(row["message_code"], 16) for row in csv.DictReader(handle))


def is_tom_command(message_code: int) -> bool:
    """SR-7: True for a command the GPF taps off."""
    return message_code in tapped_off_codes()


@dataclass(frozen=True)
class Route:
    """One command as the CH forwarded it."""

    message_code: int
    recipient: str
    device: Device
    length: int
    tapped_off: bool
    hub: str


@dataclass
class GasProxy:
    """The GPF: keeps a copy of what TOM commands set; nothing else."""

    tapped: list[bytes] = field(default_factory=list)

    def observe(self, command: bytes, message_code: int) -> bool:
        if is_tom_command(message_code):
            self.tapped.append(command)
            return True
        return False


@dataclass
class CommunicationsHub:
    """A Communications Hub of one HAN x WAN variant, with the devices on its HAN."""

    variant: TestCommsHub = field(default_factory=lambda: ch_combinations()[0])
    devices: dict[str, Device] = field(default_factory=dict)
    gpf: GasProxy = field(default_factory=GasProxy)
    routes: list[Route] = field(default_factory=list)

    def join(self, device_id: str, device: Device) -> None:
        self.devices[device_id.upper()] = device

    def route(self, command: bytes) -> tuple[str, bytes]:
        """Return (recipient, the bytes to deliver): the very bytes received (SR-6)."""
        try:
            message = messages.decode(command, payloads=False)
        except DecodeError as exc:
            raise ValidationError("command", f"the CH cannot read the GBCS header: {exc}") from None
        head = messages.apdu_of(message)
        recipient = head.recipient_id
        if recipient not in self.devices:
            raise ValidationError("recipient", f"{recipient} is not on this CH's HAN")
        device = self.devices[recipient]
        tapped = self.gpf.observe(command, head.message_code) if device is Device.GSME else False
        self.routes.append(Route(head.message_code, recipient, device, len(command), tapped,
                                 self.variant.code))
        return recipient, bytes(command)
