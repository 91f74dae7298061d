"""Packet inspection (SR-10, SR-11) and the DCC's anomaly detection in the flow (SR-12)."""

from __future__ import annotations

import dataclasses

import pytest

from specpkg.anomaly.engine import ThresholdEngine
from specpkg.anomaly.inspection import Verdict, inspect
from specpkg.anomaly.screening import dcc_screen
from specpkg.anomaly.thresholds import Threshold, ThresholdTable
from specpkg.errors import ValidationError
from specpkg.gbcs import dlms, gbz, messages, reset_messages
from specpkg.gbcs.security import Keys
from specpkg.meter.registers import DebtRegister, Device
from specpkg.paths import PKI_DIR
from specpkg.system.flow import DEVICE_IDS, Outcome, make_testbed

KEYS = Keys(PKI_DIR)
SUPPLIER = "90B3D51F30010000"


def _signed(device: Device, payload: object, code: int | None = None) -> bytes:
    code = reset_messages.message_codes()[device] if code is None else code
    apdu = messages.command(code, bytes.fromhex(SUPPLIER), bytes.fromhex(DEVICE_IDS[device]),
                            4242, payload)
    return messages.encode_apdu(messages.sign_apdu(apdu, KEYS.private_key(SUPPLIER, "ds")))


def _change_debt(register: DebtRegister, amount: int = 0, incremental: bool = False):
    return gbz.ChangeDebt(7, amount, gbz.RecoveryMethod.TIME_BASED,
                          gbz.DebtAmountType.of(register, incremental))


def _gbz(*commands: gbz.ChangeDebt) -> gbz.Gbz:
    return gbz.Gbz(tuple(gbz.change_debt_component(c, i, i == len(commands) - 1)
                         for i, c in enumerate(commands)))


@pytest.mark.parametrize("register", list(DebtRegister))
def test_gsme_reset_to_zero_passes(register: DebtRegister) -> None:
    """SR-10: the real reset passes packet inspection."""
    pre = reset_messages.pre_command("GSME", register, SUPPLIER, DEVICE_IDS[Device.GSME], 9)
    signed = messages.encode_apdu(messages.sign_apdu(pre, KEYS.private_key(SUPPLIER, "ds")))
    found = inspect(signed, register)
    assert found.verdict is Verdict.PASSED and found.value == 0


@pytest.mark.parametrize(("payload", "requested", "reason"), [
    (_gbz(_change_debt(DebtRegister.TIME_DEBT_1, 500)), DebtRegister.TIME_DEBT_1,
     "supply-affecting debt amount is 500, not 0"),
    (_gbz(_change_debt(DebtRegister.TIME_DEBT_1, 0, incremental=True)),
     DebtRegister.TIME_DEBT_1, "incremental amount type"),
    (_gbz(_change_debt(DebtRegister.TIME_DEBT_2)), DebtRegister.TIME_DEBT_1,
     "resets TimeDebtRegister2, the request named TimeDebtRegister1"),
    (_gbz(_change_debt(DebtRegister.TIME_DEBT_1), _change_debt(DebtRegister.TIME_DEBT_2)),
     DebtRegister.TIME_DEBT_1, "2 commands where one is allowed"),
])
def test_gsme_anything_else_is_quarantined_with_its_reason(payload, requested, reason) -> None:
    """SR-10: non-zero amount, incremental type, wrong register, two commands."""
    found = inspect(_signed(Device.GSME, payload), requested)
    assert found.verdict is Verdict.QUARANTINED and reason in found.reason


def test_undecodable_and_foreign_commands_are_quarantined() -> None:
    assert inspect(b"\xdf\x09\x01", "TimeDebtRegister1").reason.startswith("undecodable")
    other = _signed(Device.GSME, _gbz(_change_debt(DebtRegister.TIME_DEBT_1)), code=0x006E)
    assert "is not a reset use case" in inspect(other, "TimeDebtRegister1").reason


def _esme_payload(value: int) -> dlms.AccessRequest:
    spec = dlms.RequestSpec(dlms.SpecKind.ACTION, 113, dlms.Obis.parse("0-0:19.20.1.255"), 5)
    return dlms.AccessRequest(dlms.invoke_id_for(4242), (spec,), (dlms.double_long(value),))


def test_esme_is_not_inspected_so_a_non_zero_value_passes() -> None:
    """SR-11, and what it leaves open: an ESME "reset" writing 500 is not looked at;
    with inspection switched on it is caught."""
    signed = _signed(Device.ESME, _esme_payload(500))
    plain = inspect(signed, "TimeDebtRegister1")
    assert plain.verdict is Verdict.NOT_INSPECTED and not plain.quarantined
    strict = inspect(signed, "TimeDebtRegister1", inspect_esme=True)
    assert strict.quarantined and "is 500, not 0" in strict.reason
    honest = _signed(Device.ESME, _esme_payload(0))
    assert inspect(honest, "TimeDebtRegister1", inspect_esme=True).verdict is Verdict.PASSED


def _swap_for_non_zero(signed: bytes) -> bytes:
    """A compromised User system: signs a Change Debt of 500 under the reset message code."""
    apdu = messages.decode(signed)
    change = apdu.payload.components[0].frame.payload
    bad = dataclasses.replace(change, debt_amount=500)
    new = dataclasses.replace(apdu, payload=_gbz(bad), signature=None)
    return messages.encode_apdu(messages.sign_apdu(new, KEYS.private_key(SUPPLIER, "ds")))


def test_flow_quarantines_a_signed_non_zero_gsme_reset() -> None:
    """SR-10 in the flow: the command never reaches the meter; the User gets E930."""
    bed = make_testbed(screen=dcc_screen())
    result = bed.run("GSME", "TimeDebtRegister1", signed=_swap_for_non_zero)
    assert result.outcome is Outcome.QUARANTINED and result.response_code == "E930"
    assert "packet inspection: supply-affecting debt amount is 500" in result.steps[-2].result
    assert result.steps[-1].result == "E930, signed by the DCC"
    assert result.command == b"" and bed.stub("GSME").state.time_debt_1 == 3_000


def test_flow_with_inspection_lets_honest_resets_through() -> None:
    bed = make_testbed(screen=dcc_screen())
    for device in Device:
        for register in DebtRegister:
            assert bed.run(device, register).outcome is Outcome.SUCCESS


def test_thresholds_quarantine_the_command_over_the_user_volume_limit() -> None:
    """SR-12: resets are Critical, so they count against the User's volume threshold."""
    table = ThresholdTable().set(Threshold(SUPPLIER, "2.4", "volume", 3600, 2))
    bed = make_testbed(screen=dcc_screen(ThresholdEngine(table)))
    outcomes = [bed.run("ESME", "TimeDebtRegister1").outcome for _ in range(3)]
    assert outcomes == [Outcome.SUCCESS, Outcome.SUCCESS, Outcome.QUARANTINED]


def test_a_released_command_is_delivered_and_a_rejected_one_never_is() -> None:
    """TR-10: a quarantined command is kept until the User releases or rejects it."""
    table = ThresholdTable().set(Threshold(SUPPLIER, "2.4", "volume", 3600, 1))
    bed = make_testbed(screen=dcc_screen(ThresholdEngine(table)))
    assert bed.run("GSME", "TimeDebtRegister1").outcome is Outcome.SUCCESS
    held = bed.run("GSME", "TimeDebtRegister2")
    assert held.outcome is Outcome.QUARANTINED and bed.stub("GSME").state.time_debt_2 == 1_500
    released = bed.release(held)
    assert released.outcome is Outcome.SUCCESS and released.response_code == "I0"
    assert released.after.time_debt_2 == 0 and released.steps[-6].action.startswith("releases")
    dropped = bed.run("GSME", "PaymentDebtRegister")
    assert dropped.outcome is Outcome.QUARANTINED
    bed.reject(dropped)
    with pytest.raises(ValidationError, match="no quarantined command"):
        bed.release(dropped)
    assert bed.stub("GSME").state.payment_debt == 5_000


def test_a_non_issued_command_is_quarantined_but_cannot_be_released() -> None:
    bed = make_testbed(screen=dcc_screen())
    result = bed.run("GSME", "TimeDebtRegister1", signed=_swap_for_non_zero)
    assert result.outcome is Outcome.QUARANTINED and "cannot be released" in result.steps[-2].result
    with pytest.raises(ValidationError, match="no quarantined command"):
        bed.release(result)
