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
from pathlib import Path

from specpkg.anomaly.inspection import Inspection, inspect
from specpkg.duis.reset_request import DEFAULT_DEVICE_IDS, DEFAULT_USER_ID
from specpkg.errors import ValidationError
from specpkg.gbcs import messages, reset_messages
from specpkg.meter.registers import DebtRegister, Device, parse_register


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
    from specpkg.gbcs import dlms, gbz
    from specpkg.gbcs.security import Keys
    from specpkg.paths import PKI_DIR

    reg = parse_register(register)
    other = next(r for r in DebtRegister if r is not reg)
    key = Keys(keys_dir or PKI_DIR).private_key(EXAMPLE_SUPPLIER, "ds")
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
