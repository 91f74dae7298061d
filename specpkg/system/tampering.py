"""Tampered resets: what a faulty or hostile User system could sign, and what stops it.

Each :class:`TamperCase` takes the Pre-Command the DCC issued and changes its
payload before the User signs it (a non-zero GSME debt amount, a non-zero ESME
value, another register, a second command, other Change Debt fields). The
signed result is a validly signed command of the reset use case that is not
the reset the Service Request asked for. :func:`run_case` sends one through a
testbed (the flow's or the test environment's: the same DCC model) and
:func:`stopped_by` names the check that stopped it, or what the meter did when
nothing did. :func:`tampering_matrix` lays out every case against the settings
of the model assumptions that decide the answer (notebook 06, SR-10, SR-11,
finding F-1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from specpkg.duis.codes import ResponseCode
from specpkg.duis.reset_request import DEFAULT_CLOCK
from specpkg.errors import ValidationError
from specpkg.gbcs import dlms, gbz, messages, reset_messages
from specpkg.gbcs.envelope import GeneralSigning
from specpkg.gbcs.security import Keys
from specpkg.meter.registers import (
    DebtRegister,
    Device,
    check_int,
    parse_device,
    parse_register,
)
from specpkg.system.assumptions import Assumptions
from specpkg.system.flow import DEVICE_IDS, FlowResult, Testbed, make_testbed
from specpkg.system.user import User

Alter = Callable[[object, DebtRegister], object]


def _other(register: DebtRegister) -> DebtRegister:
    return next(r for r in DebtRegister if r is not register)


def _change(payload: gbz.Gbz, **fields: object) -> gbz.Gbz:
    component = payload.components[0]
    frame = component.frame
    command = dataclasses.replace(frame.payload, **fields)  # type: ignore[union-attr]
    return gbz.Gbz((dataclasses.replace(component,
                                        frame=dataclasses.replace(frame, payload=command)),))


def _gsme_for(register: DebtRegister) -> Callable[[gbz.Gbz], gbz.Gbz]:
    def alter(payload: gbz.Gbz) -> gbz.Gbz:
        return _change(payload, amount_type=gbz.DebtAmountType.of(register, False),
                       recovery_method=reset_messages.recovery_method(register))
    return alter


def _second_change_debt(payload: gbz.Gbz, register: DebtRegister) -> gbz.Gbz:
    first = payload.components[0]
    other = _gsme_for(_other(register))(payload).components[0]
    return gbz.Gbz((dataclasses.replace(first, control=first.control & ~gbz.CONTROL_LAST),
                    dataclasses.replace(other, frame=dataclasses.replace(other.frame,
                                                                         sequence=1))))


def _esme(payload: dlms.AccessRequest, *, register: DebtRegister | None = None,
          value: int | None = None, method: int | None = None,
          extra: DebtRegister | None = None) -> dlms.AccessRequest:
    spec, data = payload.specs[0], payload.data[0]
    if register is not None:
        spec = dataclasses.replace(spec, instance=dlms.DEBT_REGISTER_OBIS[register])
    if method is not None:
        spec = dataclasses.replace(spec, id=method)
    if value is not None:
        data = dlms.double_long(value)
    specs, items = [spec], [data]
    if extra is not None:
        specs.append(dataclasses.replace(spec, instance=dlms.DEBT_REGISTER_OBIS[extra]))
        items.append(dlms.double_long(0))
    return dataclasses.replace(payload, specs=tuple(specs), data=tuple(items))


@dataclass(frozen=True)
class TamperCase:
    """One way a signed "reset" can differ from the reset the Service Request asked for."""

    name: str
    device: Device
    alter: Alter
    #: Only a tampering of a Time Debt Register reset (it changes nothing on the PDR's).
    time_debt_only: bool = False

    def applies_to(self, register: DebtRegister) -> bool:
        return not (self.time_debt_only and register is DebtRegister.PAYMENT_DEBT)


CASES: tuple[TamperCase, ...] = (
    TamperCase("non-zero debt amount (500p)", Device.GSME,
               lambda p, r: _change(p, debt_amount=500)),
    TamperCase("incremental amount type (+500p)", Device.GSME,
               lambda p, r: _change(p, debt_amount=500,
                                    amount_type=gbz.DebtAmountType.of(r, True))),
    TamperCase("another register", Device.GSME, lambda p, r: _gsme_for(_other(r))(p)),
    TamperCase("a second Change Debt", Device.GSME, lambda p, r: _second_change_debt(p, r)),
    TamperCase("recovery amount of 20,000 pounds", Device.GSME,
               lambda p, r: _change(p, recovery_amount=2_000_000)),
    TamperCase("balance percentage of 100 %", Device.GSME,
               lambda p, r: _change(p, balance_percentage=10_000)),
    TamperCase("payment-based recovery method", Device.GSME,
               lambda p, r: _change(p, recovery_method=gbz.RecoveryMethod.PAYMENT_BASED),
               time_debt_only=True),
    TamperCase("non-zero value (500p)", Device.ESME, lambda p, r: _esme(p, value=500)),
    TamperCase("update_total_amount_remaining (+500p)", Device.ESME,
               lambda p, r: _esme(p, value=500,
                                  method=dlms.ChargeMethod.UPDATE_TOTAL_AMOUNT_REMAINING)),
    TamperCase("another register", Device.ESME, lambda p, r: _esme(p, register=_other(r))),
    TamperCase("a second action", Device.ESME, lambda p, r: _esme(p, extra=_other(r))),
)


def signed_with_value(device: Device | str, register: DebtRegister | str, value: int,
                      user: User, counter: int, issued_at: datetime = DEFAULT_CLOCK) -> bytes:
    """A Signed Pre-Command of the reset use case that writes ``value`` instead of 0:
    what a faulty User system could sign (SC-01, TR-10)."""
    item = dataclasses.replace(reset_messages.entry(device, register), value=value)
    apdu = messages.command(item.message_code, bytes.fromhex(user.user_id),
                            bytes.fromhex(DEVICE_IDS[parse_device(device)]), counter,
                            reset_messages.reset_payload(item, counter, issued_at))
    return user.sign(apdu)


def flipped(data: bytes, tamper_offset: int) -> bytes:
    """``data`` with the lowest bit of byte ``tamper_offset`` flipped: one byte changed on
    the way (notebook 02). ValidationError unless the offset is inside the message."""
    if not data:
        raise ValidationError("tamper_offset", "an empty message has no byte to flip")
    check_int("tamper_offset", tamper_offset)
    if not 0 <= tamper_offset < len(data):
        raise ValidationError("tamper_offset", f"must be a byte of the {len(data)}-byte "
                                               f"message, 0 to {len(data) - 1}; got "
                                               f"{tamper_offset}")
    changed = bytearray(data)
    changed[tamper_offset] ^= 0x01
    return bytes(changed)


def tampered_command(case: TamperCase, register: DebtRegister | str, user: User | None = None,
                     counter: int = 1, issued_at: datetime = DEFAULT_CLOCK) -> bytes:
    """The tampered reset ``user`` would sign, as a Signed Pre-Command (for inspection)."""
    reg = parse_register(register)
    user = user or User()
    pre = reset_messages.pre_command(case.device, reg, user.user_id, DEVICE_IDS[case.device],
                                     counter, issued_at)
    return user.sign(dataclasses.replace(pre, payload=case.alter(pre.payload, reg)))


def tamper_hook(case: TamperCase, register: DebtRegister, user: User) -> Callable[[bytes], bytes]:
    """A ``signed`` hook for :meth:`Testbed.run`: the User signs the altered command."""

    def hook(signed: bytes) -> bytes:
        apdu: GeneralSigning = messages.apdu_of(messages.decode(signed))
        altered = dataclasses.replace(apdu, payload=case.alter(apdu.payload, register),
                                      signature=None)
        return user.sign(altered)

    return hook


def run_case(case: TamperCase, register: DebtRegister | str, bed: Testbed,
             user: User | None = None) -> FlowResult:
    """Send one tampered reset through ``bed`` (any testbed: flow or test environment)."""
    reg = parse_register(register)
    user = user or bed.user
    return bed.run(case.device, reg, user=user, signed=tamper_hook(case, reg, user))


def stopped_by(result: FlowResult, bed: Testbed) -> str:
    """Which check stopped a request, or what the meter did when none did."""
    code = result.response_code
    if code == ResponseCode.QUARANTINED.value:
        screening = bed.dcc.screenings[result.request.request_id]  # type: ignore[union-attr]
        if screening.inspection.quarantined:
            return "packet inspection (E930)"
        kind = "data value" if "data value" in screening.reason else "volume"
        return f"{kind} threshold (E930)"
    if code == ResponseCode.SIGNED_PRECOMMAND_MISMATCH.value:
        return "issued Pre-Command check (E916)"
    if result.before is None or result.after is None:
        return f"{result.outcome.value} ({code})"
    changed = [f"{r.label} {result.before.register(r)}p -> {result.after.register(r)}p"
               for r in DebtRegister if result.before.register(r) != result.after.register(r)]
    if not changed:
        return f"meter: refused, registers unchanged ({code})"
    return f"nothing: {'; '.join(changed)} ({code})"


#: The settings of the model assumptions the matrix compares (name -> assumptions).
SETTINGS: dict[str, Assumptions] = {
    "defaults": Assumptions(),
    "no issued check": Assumptions(compare_with_issued=False),
    "no issued check, ESME value not read": Assumptions(compare_with_issued=False,
                                                        read_esme_value=False),
    "no issued check, ESME value not read, meter checks": Assumptions(
        compare_with_issued=False, read_esme_value=False, meter_checks_payload=True),
    "no issued check, ESME inspected": Assumptions(compare_with_issued=False,
                                                   inspect_esme=True),
}


def tampering_matrix(register: DebtRegister | str = DebtRegister.TIME_DEBT_1,
                     settings: dict[str, Assumptions] | None = None,
                     cases: Sequence[TamperCase] = CASES) -> pd.DataFrame:
    """Every tampering case against every setting: what stops it (SR-10, SR-11, F-1).

    Each cell is one run through a fresh standard testbed with those assumptions.
    """
    reg = parse_register(register)
    chosen = SETTINGS if settings is None else settings
    rows = []
    for case in cases:
        if not case.applies_to(reg):
            continue
        row = {"device": case.device.value, "tampering": case.name}
        for label, assumptions in chosen.items():
            bed = make_testbed(assumptions=assumptions)
            row[label] = stopped_by(run_case(case, reg, bed), bed)
        rows.append(row)
    return pd.DataFrame(rows)


def command_signed_by(party: str, device: Device | str, register: DebtRegister | str,
                      counter: int, keys: Keys, issued_at: datetime = DEFAULT_CLOCK) -> bytes:
    """A reset command signed by ``party`` (any holder of a signing certificate) and
    MAC'd by the ACB, as a meter would receive it: what a meter must refuse unless
    ``party`` is the Supplier in its trust anchor (SR-3)."""
    dev = parse_device(device)
    pre = reset_messages.pre_command(dev, register, party, DEVICE_IDS[dev], counter, issued_at)
    return messages.encode(messages.protect(pre, keys, party))
