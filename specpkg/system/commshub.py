"""The Communications Hub only routes the reset commands (SR-6, SR-7), in its own time (TR-9a).

What the CH does with a command from the DCC, as GBCS describes it (GBCS v1.0,
Release Note 28 November 2014, section "GSME Command retrieval and TOM
Requirements"):

* the Communications Hub Function (CHF) reads the recipient from the GBCS header
  (the only part it reads) and passes the command's bytes on as they are (SR-6);
* to an ESME, straight over the HAN;
* to a GSME, in its own time: a gas meter is battery powered and asleep most of
  the time, so the **CHF holds** every Message for it until the meter next wakes
  and retrieves it (GBCS: the GSME sends the CHF a TransferData command asking
  for its Messages, the CHF answers with the next one) (:class:`GsmeStore`);
* the **Tapping Off Mechanism** (TOM): for the commands GBCS lists as TOM Commands
  (``data/han/tapping_off.csv``: eight message codes, GCS01a, GCS01b, GCS05, GCS07,
  CS11 to the GSME, GCS23, GCS25, GCS44) the CHF also gives the Gas Proxy Function
  (GPF) a copy, which the GPF processes so that its mirror of the GSME stays right
  (:class:`GasProxy`). The reset use cases are not TOM Commands (SR-7; nor is
  GCS04, the existing debt use case they mirror), so the GPF gets no copy: its
  mirror of the GSME's debt follows the GSME's own next update to it (finding F-51).

Every hop takes the time its Test CH variant says (:class:`TestCommsHub`): the WAN
one way, the HAN one way, and for a GSME the wait for its next wake. A
:class:`Route` records when the command reached the CH, when the device got it and
when its answer is back at the DCC. A Test CH whose WAN is down delivers nothing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from specpkg.errors import DecodeError, ValidationError
from specpkg.gbcs import messages
from specpkg.gbcs.zcl import ZIGBEE_EPOCH
from specpkg.journal import Journal, Retention
from specpkg.meter.registers import Device
from specpkg.paths import DATA_DIR
from specpkg.system.variants import TestCommsHub, ch_combinations

TAPPING_OFF = DATA_DIR / "han" / "tapping_off.csv"


@cache
def tapped_off_codes() -> frozenset[int]:
    """Message codes of the TOM Commands: the CHF gives the GPF a copy of each."""
    with TAPPING_OFF.open(newline="", encoding="utf-8") as handle:
        return frozenset(int(row["message_code"], 16) for row in csv.DictReader(handle))


def is_tom_command(message_code: int) -> bool:
    """SR-7: True for a GSME command the CHF gives the GPF a copy of (a TOM Command)."""
    return message_code in tapped_off_codes()


@dataclass(frozen=True)
class Route:
    """One command as the CH passed it on: to whom, the bytes, and when (SR-6, TR-9a).

    ``sent_at``: the DCC sent it; ``received_at``: it reached the CH over the WAN;
    ``held_for``: how long the CHF held it for a sleeping GSME (zero for an ESME);
    ``tapped_off``: the CHF gave the GPF a copy (a TOM Command);
    ``delivered_at``: the device received it; ``answered_at``: the device's answer
    is back at the DCC.
    """

    message_code: int
    recipient: str
    device: Device
    data: bytes
    tapped_off: bool
    hub: str
    sent_at: datetime
    received_at: datetime
    held_for: timedelta
    delivered_at: datetime
    answered_at: datetime

    @property
    def length(self) -> int:
        return len(self.data)

    @property
    def response_time(self) -> timedelta:
        """From the DCC sending the command to the device's answer reaching it."""
        return self.answered_at - self.sent_at


@dataclass
class GsmeStore:
    """The CHF's store of Messages for the GSME (SR-7): each waits until the meter next
    wakes and retrieves it, then goes over unchanged; nothing is read or kept."""

    held: list[tuple[datetime, bytes]] = field(default_factory=list)

    @staticmethod
    def next_wake(at: datetime, interval: timedelta) -> datetime:
        """A GSME that wakes every ``interval`` (counted from the ZigBee epoch): its
        first wake at or after ``at``."""
        if interval <= timedelta(0):
            raise ValidationError("gsme_wake_interval", "a GSME wakes at a positive interval")
        return at - ((at - ZIGBEE_EPOCH) % -interval)

    def hold(self, command: bytes, at: datetime) -> None:
        """Keep ``command`` (received at ``at``) until the GSME retrieves it."""
        self.held.append((at, command))

    def wake(self, at: datetime) -> list[bytes]:
        """The GSME wakes at ``at`` and retrieves, in order, every Message held until then."""
        due = [command for received, command in self.held if received <= at]
        self.held = [(received, command) for received, command in self.held if received > at]
        return due


@dataclass
class GasProxy:
    """The GPF (SR-7): it receives from the CHF a copy of each TOM Command to the GSME
    (and processes it, to keep its mirror right) and nothing else."""

    tapped: list[bytes] = field(default_factory=list)

    def tap(self, command: bytes) -> None:
        """The CHF's copy of a TOM Command."""
        self.tapped.append(bytes(command))


def _default_hub() -> TestCommsHub:
    return ch_combinations()[0]


@dataclass
class CommunicationsHub:
    """A Test Communications Hub of one HAN x WAN variant, with the devices on its HAN."""

    variant: TestCommsHub = field(default_factory=_default_hub)
    devices: dict[str, Device] = field(default_factory=dict)
    gsme_store: GsmeStore = field(default_factory=GsmeStore)
    gpf: GasProxy = field(default_factory=GasProxy)
    wan_connected: bool = True
    #: How many routes (and GPF copies) stay in memory (issue 18).
    retention: Retention = field(default_factory=Retention)

    def __post_init__(self) -> None:
        self.routes: Journal[Route] = self.retention.journal("route")
        self.gpf.tapped = self.retention.journal("tapped")  # type: ignore[assignment]

    def join(self, device_id: str, device: Device) -> None:
        self.devices[device_id.upper()] = device

    def route(self, command: bytes, at: datetime) -> Route:
        """Pass a command the DCC sent at ``at`` on to its recipient: the very bytes
        received (SR-6), a GSME's held by the CHF until the meter wakes, with a copy to
        the GPF only for a TOM Command (SR-7). ValidationError if the WAN is
        down, the GBCS header is unreadable or the recipient is not on this HAN."""
        if not self.wan_connected:
            raise ValidationError("wan", f"the WAN of Test CH {self.variant.code} is down: "
                                         "the command never reached the CH")
        try:
            head = messages.apdu_of(messages.decode(command, payloads=False))
        except DecodeError as exc:
            raise ValidationError("command", f"the CH cannot read the GBCS header: {exc}") from None
        recipient = head.recipient_id
        if recipient not in self.devices:
            raise ValidationError("recipient", f"{recipient} is not on this CH's HAN")
        device = self.devices[recipient]
        wan, han = self.variant.wan.one_way, self.variant.han.one_way
        received = handed_over = at + wan
        data, tapped = bytes(command), False
        if device is Device.GSME:
            self.gsme_store.hold(data, received)
            tapped = is_tom_command(head.message_code)
            if tapped:
                self.gpf.tap(data)
            handed_over = self.gsme_store.next_wake(received, self.variant.gsme_wake_interval)
            data = self.gsme_store.wake(handed_over)[-1]
        delivered = handed_over + han
        route = Route(head.message_code, recipient, device, data, tapped, self.variant.code,
                      at, received, handed_over - received, delivered, delivered + han + wan)
        self.routes.append(route)
        return route
