"""DCC anomaly detection on a Signed Pre-Command: packet inspection and thresholds.

Packet inspection (SR-10, SR-11): the ZSE Change Debt command carries a supply
affecting parameter (the debt amount: debt can take a prepayment meter off
supply), so a GSME reset is let through only if it holds exactly one Change
Debt, with debt amount 0 and the *absolute* amount type of the register the
Service Request named, and nothing else. Anything else is quarantined with
its reason. ESME resets are not packet-inspected, as the specification says;
``inspect_esme=True`` shows what that leaves open (a signed ESME "reset"
carrying a non-zero value passes without it and is caught with it).

Threshold anomaly detection (SR-12) then counts the command against the
User's thresholds (:mod:`specpkg.anomaly`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from specpkg.errors import DecodeError
from specpkg.gbcs import messages, reset_messages
from specpkg.gbcs.envelope import GeneralSigning
from specpkg.meter.registers import DebtRegister, Device, parse_register


class Verdict(StrEnum):
    PASSED = "passed"
    QUARANTINED = "quarantined"
    NOT_INSPECTED = "not inspected"


@dataclass(frozen=True)
class Inspection:
    """The packet-inspection verdict on one Signed Pre-Command."""

    verdict: Verdict
    reason: str
    device: Device | None = None
    value: int | None = None

    @property
    def quarantined(self) -> bool:
        return self.verdict is Verdict.QUARANTINED


_DEVICE_OF_CODE = {code: device for device, code in reset_messages.message_codes().items()}


def inspect(
    signed: bytes | GeneralSigning, requested: DebtRegister | str, *, inspect_esme: bool = False
) -> Inspection:
    """Packet-inspect a Signed Pre-Command of the reset Service Request (SR-10, SR-11)."""
    register = parse_register(requested)
    if isinstance(signed, GeneralSigning):
        apdu = signed
    else:
        try:
            decoded = messages.decode(signed)
        except DecodeError as exc:
            return Inspection(Verdict.QUARANTINED, f"undecodable: {exc}")
        apdu = messages.apdu_of(decoded)
    device = _DEVICE_OF_CODE.get(apdu.message_code)
    if device is None:
        return Inspection(Verdict.QUARANTINED,
                          f"message code {apdu.message_code:#06x} is not a reset use case")
    if device is Device.ESME and not inspect_esme:
        return Inspection(Verdict.NOT_INSPECTED, "ESME resets are not packet-inspected (SR-11)",
                          device)
    ops = reset_messages.operations(apdu.payload)
    if len(ops) != 1:
        return Inspection(Verdict.QUARANTINED, f"{len(ops)} commands where one is allowed",
                          device)
    (op,) = ops
    if op.register is None:
        return Inspection(Verdict.QUARANTINED, f"not a debt register reset: {op.description}",
                          device)
    if not op.absolute:
        return Inspection(Verdict.QUARANTINED,
                          f"incremental amount type: {op.description}", device, op.value)
    if op.register is not register:
        return Inspection(Verdict.QUARANTINED,
                          f"resets {op.register.value}, the request named {register.value}",
                          device, op.value)
    if op.value != 0:
        return Inspection(Verdict.QUARANTINED,
                          f"supply-affecting debt amount is {op.value}, not 0", device, op.value)
    return Inspection(Verdict.PASSED, f"one absolute reset of {register.value} to 0", device, 0)
