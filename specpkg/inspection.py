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
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from specpkg import messages, reset_messages
from specpkg.anomaly import Outcome as ThresholdOutcome
from specpkg.anomaly import Request, ThresholdEngine
from specpkg.catalogue import SERVICE_REFERENCE
from specpkg.dcc import Screen, Screening
from specpkg.duis import DEFAULT_DEVICE_IDS, DEFAULT_USER_ID, AcceptedRequest
from specpkg.envelope import GeneralSigning
from specpkg.errors import DecodeError, ValidationError
from specpkg.registers import DebtRegister, Device, parse_register


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


def dcc_screen(engine: ThresholdEngine | None = None, *, inspect_esme: bool = False) -> Screen:
    """The DCC's anomaly detection as a :class:`specpkg.dcc.Dcc` screen hook:
    packet inspection first, then the User's thresholds (SR-10..SR-12)."""

    def screen(signed: bytes, accepted: AcceptedRequest, at: datetime) -> Screening:
        request = accepted.request
        found = inspect(signed, request.register, inspect_esme=inspect_esme)
        if found.quarantined:
            return Screening(True, f"packet inspection: {found.reason}")
        if engine is None:
            return Screening(False, found.reason)
        # an uninspected (ESME) command's value is not read: it counts as 0 here
        decision = engine.submit(Request(
            request.counter, request.user_id.upper(), SERVICE_REFERENCE,
            request.device_id.upper(), request.register.value, int(at.timestamp()),
            found.value or 0,
        ))
        if decision.outcome is ThresholdOutcome.DELIVERED:
            return Screening(False, found.reason)
        return Screening(True, f"threshold: {decision.reason}")

    return screen


@dataclass(frozen=True)
class Example:
    """A Signed Pre-Command for the inspection walkthrough and what inspection says."""

    case: str
    device: Device
    signed: bytes
    inspection: Inspection
    strict: Inspection


def examples(
    register: DebtRegister | str = DebtRegister.TIME_DEBT_1, keys_dir: Path | None = None
) -> list[Example]:
    """The honest reset and the ways a signed "reset" can differ from it, each
    signed with the test-only Supplier key and inspected normally and with
    ``inspect_esme=True`` (notebook 06, SR-10, SR-11)."""
    from specpkg import dlms, gbz
    from specpkg.paths import DATA_DIR
    from specpkg.security import Keys

    reg = parse_register(register)
    other = next(r for r in DebtRegister if r is not reg)
    key = Keys(keys_dir or DATA_DIR / "pki").private_key(EXAMPLE_SUPPLIER, "ds")
    if key is None:
        raise ValidationError("keys_dir", f"no ds key for {EXAMPLE_SUPPLIER}")

    def change(r: DebtRegister, amount: int = 0, incremental: bool = False) -> gbz.ChangeDebt:
        return gbz.ChangeDebt(reset_messages.issuer_event_id(1), amount,
                              reset_messages.recovery_method(r),
                              gbz.DebtAmountType.of(r, incremental))

    def gsme(*commands: gbz.ChangeDebt) -> gbz.Gbz:
        return gbz.Gbz(tuple(gbz.change_debt_component(c, i, i == len(commands) - 1)
                             for i, c in enumerate(commands)))

    def esme(value: int) -> dlms.AccessRequest:
        obis = dlms.DEBT_REGISTER_OBIS[reg]
        spec = dlms.RequestSpec(dlms.SpecKind.ACTION, dlms.CHARGE_CLASS_ID, obis,
                                dlms.ChargeMethod.SET_TOTAL_AMOUNT_REMAINING)
        return dlms.AccessRequest(dlms.invoke_id_for(1), (spec,), (dlms.double_long(value),))

    cases = [
        ("honest reset", Device.GSME, gsme(change(reg))),
        ("non-zero debt amount (500p)", Device.GSME, gsme(change(reg, 500))),
        ("incremental amount type", Device.GSME, gsme(change(reg, 0, incremental=True))),
        (f"wrong register ({other.value})", Device.GSME, gsme(change(other))),
        ("two Change Debt commands", Device.GSME, gsme(change(reg), change(other))),
        ("honest reset", Device.ESME, esme(0)),
        ("non-zero value (500p)", Device.ESME, esme(500)),
    ]
    out = []
    for case, device, payload in cases:
        recipient = bytes.fromhex(DEFAULT_DEVICE_IDS[device])
        apdu = messages.command(reset_messages.message_codes()[device],
                                bytes.fromhex(EXAMPLE_SUPPLIER), recipient, 1, payload)
        signed = messages.encode_apdu(messages.sign_apdu(apdu, key))
        out.append(Example(case, device, signed, inspect(signed, reg),
                           inspect(signed, reg, inspect_esme=True)))
    truncated = out[0].signed[:40]
    out.append(Example("undecodable bytes", Device.GSME, truncated, inspect(truncated, reg),
                       inspect(truncated, reg, inspect_esme=True)))
    return out


EXAMPLE_SUPPLIER = DEFAULT_USER_ID
