"""Packet inspection of a Signed Pre-Command of the reset Service Request (SR-10, SR-11).

The ZSE Change Debt command is packet-inspected in the existing use cases
because it carries a supply-affecting parameter, so the GSME reset is too, and
the DCC checks that this parameter is zero (SR-10). The specification does not
name the parameter. This model inspects every field that changes what is
recovered from the consumer's credit (:data:`SUPPLY_AFFECTING`): the debt
amount, the amount type (absolute, of the register the Service Request named),
the recovery method (that of the register), the recovery amount and the balance
percentage, each of which must be what the reset itself carries (all zero but
type and method). A GSME reset passes only as exactly one such Change Debt;
anything else is quarantined with its reason (finding F-10).

ESME resets are not packet-inspected, as the specification says (SR-11); the
model assumption ``inspect_esme`` shows what inspecting them would catch (one
ACTION set_total_amount_remaining on the named register's Charge object,
writing 0).

:func:`written_value` is the value a command writes to a Debt Register, what a
data value threshold compares (SR-12).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, StrEnum

from specpkg.errors import DecodeError
from specpkg.gbcs import dlms, gbz, messages, reset_messages, zcl
from specpkg.gbcs.envelope import GeneralSigning
from specpkg.meter.registers import INT32_MAX, DebtRegister, Device, parse_register

#: The Change Debt fields inspection compares with the reset's own (SR-10, F-10).
SUPPLY_AFFECTING = {"debt_amount": "Debt Amount", "amount_type": "Debt Amount Type",
                    "recovery_method": "Debt Recovery Method",
                    "recovery_amount": "Debt Recovery Amount",
                    "balance_percentage": "Debt Recovery Balance Percentage"}
"""The Change Debt fields inspected, each with its name in the ZigBee Smart Energy
specification (the Change Debt command's payload)."""


class InspectionResult(StrEnum):
    PASSED = "passed"
    QUARANTINED = "quarantined"
    NOT_INSPECTED = "not inspected"


@dataclass(frozen=True)
class Inspection:
    """The packet-inspection verdict on one Signed Pre-Command."""

    result: InspectionResult
    reason: str
    device: Device | None = None

    @property
    def quarantined(self) -> bool:
        return self.result is InspectionResult.QUARANTINED


def _device_of_code(message_code: int) -> Device | None:
    return {code: d for d, code in reset_messages.message_codes().items()}.get(message_code)


def decode_signed(signed: bytes | GeneralSigning) -> GeneralSigning:
    """The APDU of a Signed Pre-Command (DecodeError when it is not one)."""
    if isinstance(signed, GeneralSigning):
        return signed
    return messages.apdu_of(messages.decode(signed))


def inspect(
    signed: bytes | GeneralSigning, requested: DebtRegister | str, *, inspect_esme: bool
) -> Inspection:
    """Packet-inspect a Signed Pre-Command of the reset Service Request (SR-10, SR-11)."""
    register = parse_register(requested)
    try:
        apdu = decode_signed(signed)
    except DecodeError as exc:
        return Inspection(InspectionResult.QUARANTINED, f"undecodable: {exc}")
    device = _device_of_code(apdu.message_code)
    if device is None:
        return Inspection(InspectionResult.QUARANTINED,
                          f"message code {apdu.message_code:#06x} is not a reset use case")
    if device is Device.ESME and not inspect_esme:
        return Inspection(InspectionResult.NOT_INSPECTED,
                          "ESME resets are not packet-inspected (SR-11)", device)
    ops = reset_messages.operations(apdu.payload)
    if len(ops) != 1:
        return Inspection(InspectionResult.QUARANTINED,
                          f"{len(ops)} commands where one is allowed", device)
    # when it was issued is not supply-affecting: any time serves for the comparison
    expected = reset_messages.reset_payload(reset_messages.entry(device, register),
                                            apdu.originator_counter, zcl.ZIGBEE_EPOCH)
    faults = _differences(apdu.payload, expected)
    if faults:
        return Inspection(InspectionResult.QUARANTINED, "; ".join(faults), device)
    return Inspection(InspectionResult.PASSED,
                      f"one absolute reset of {register.value} to 0", device)


def _differences(found: object, expected: object) -> list[str]:
    """How a one-operation payload differs from the reset's own, field by field."""
    if isinstance(expected, gbz.Gbz):
        want = _change_debt(expected)
        got = _change_debt(found) if isinstance(found, gbz.Gbz) else None
        if got is None:
            return ["not a ZSE Change Debt command"]
        return [f"{zse} is {_shown(getattr(got, name))}, not {_shown(getattr(want, name))}"
                for name, zse in SUPPLY_AFFECTING.items()
                if getattr(got, name) != getattr(want, name)]
    want_spec, want_value = expected.specs[0], expected.data[0]  # type: ignore[attr-defined]
    if not isinstance(found, dlms.AccessRequest):
        return ["not an xDLMS ACCESS-Request"]
    spec, value = found.specs[0], found.data[0]
    faults = []
    if (spec.kind, spec.class_id, spec.instance, spec.id) != (
            want_spec.kind, want_spec.class_id, want_spec.instance, want_spec.id):
        faults.append(f"{spec.kind.name.lower()} {spec.class_id} {spec.instance} id {spec.id} "
                      f"is not set_total_amount_remaining on {want_spec.instance}")
    if value != want_value:
        faults.append(f"value is {value.plain()}, not {want_value.plain()}")
    return faults


def _change_debt(payload: gbz.Gbz) -> gbz.ChangeDebt | None:
    frames = [c.frame for c in payload.components]
    if len(frames) == 1 and isinstance(frames[0], gbz.ZclFrame) and isinstance(
            frames[0].payload, gbz.ChangeDebt):
        return frames[0].payload
    return None


def _shown(value: object) -> str:
    """A field's value as the ZSE specification names it (``Type 1 Absolute``)."""
    if not isinstance(value, Enum):
        return str(value)
    return re.sub(r"Type(\d)", r"Type \1", value.name.replace("_", " ").title())


def written_value(signed: bytes | GeneralSigning) -> int:
    """The value a command writes to a Debt Register: the largest magnitude of its
    debt operations, capped at 2**31-1; 0 when it writes none (SR-12 data value)."""
    try:
        apdu = decode_signed(signed)
    except DecodeError:
        return 0
    values = [abs(op.value) for op in reset_messages.operations(apdu.payload)  # type: ignore[arg-type]
              if op.writes]
    return min(max(values, default=0), INT32_MAX)
