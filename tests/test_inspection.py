"""Packet inspection (SR-10, SR-11) and the DCC's anomaly detection in the flow (SR-12)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from specpkg.anomaly.inspection import SUPPLY_AFFECTING, InspectionResult, inspect, written_value
from specpkg.anomaly.thresholds import Threshold, ThresholdTable
from specpkg.duis.codes import Outcome, ResponseCode
from specpkg.duis.reset_request import DEFAULT_CLOCK
from specpkg.errors import ValidationError
from specpkg.gbcs import dlms, gbz, messages, reset_messages
from specpkg.gbcs.security import Keys
from specpkg.meter.registers import DebtRegister, Device
from specpkg.paths import PKI_DIR
from specpkg.system.assumptions import Assumptions
from specpkg.system.flow import DEVICE_IDS, make_testbed

KEYS = Keys(PKI_DIR)
SUPPLIER = "90B3D51F30010000"


def _signed(device: Device, payload: object, code: int | None = None) -> bytes:
    code = reset_messages.message_codes()[device] if code is None else code
    apdu = messages.command(code, bytes.fromhex(SUPPLIER), bytes.fromhex(DEVICE_IDS[device]),
                            4242, payload)
    return messages.encode_apdu(messages.sign_apdu(apdu, KEYS.private_key(SUPPLIER, "ds")))


def _reset_change_debt(register: DebtRegister) -> gbz.ChangeDebt:
    payload = reset_messages.reset_payload(reset_messages.entry(Device.GSME, register), 4242,
                                           DEFAULT_CLOCK)
    return payload.components[0].frame.payload


def _gbz(*commands: gbz.ChangeDebt) -> gbz.Gbz:
    return gbz.Gbz(tuple(gbz.change_debt_component(c, i, i == len(commands) - 1)
                         for i, c in enumerate(commands)))


def _with(register: DebtRegister = DebtRegister.TIME_DEBT_1, **fields) -> gbz.Gbz:
    return _gbz(dataclasses.replace(_reset_change_debt(register), **fields))


@pytest.mark.parametrize("register", list(DebtRegister))
def test_gsme_reset_to_zero_passes(register: DebtRegister) -> None:
    """SR-10: the real reset passes packet inspection."""
    pre = reset_messages.pre_command("GSME", register, SUPPLIER, DEVICE_IDS[Device.GSME], 9,
                                     DEFAULT_CLOCK)
    signed = messages.encode_apdu(messages.sign_apdu(pre, KEYS.private_key(SUPPLIER, "ds")))
    found = inspect(signed, register, inspect_esme=False)
    assert found.result is InspectionResult.PASSED and written_value(signed) == 0


T1, T2 = DebtRegister.TIME_DEBT_1, DebtRegister.TIME_DEBT_2
CASES = [
    (_with(debt_amount=500), T1, "Debt Amount is 500, not 0"),
    (_with(amount_type=gbz.DebtAmountType.TYPE1_INCREMENTAL), T1,
     "Debt Amount Type is Type 1 Incremental, not Type 1 Absolute"),
    (_with(T2), T1, "Debt Amount Type is Type 2 Absolute, not Type 1 Absolute"),
    (_gbz(_reset_change_debt(T1), _reset_change_debt(T2)), T1,
     "2 commands where one is allowed"),
    (_with(recovery_amount=2_000_000), T1, "Debt Recovery Amount is 2000000, not 0"),
    (_with(balance_percentage=10_000), T1, "Debt Recovery Balance Percentage is 10000, not 0"),
    (_with(recovery_method=gbz.RecoveryMethod.PAYMENT_BASED), T1,
     "Debt Recovery Method is Payment Based, not Time Based"),
]


@pytest.mark.parametrize(("payload", "requested", "reason"), CASES,
                         ids=["amount", "incremental", "register", "two", "recovery amount",
                              "balance percentage", "recovery method"])
def test_gsme_anything_else_is_quarantined_with_its_reason(payload, requested, reason) -> None:
    """SR-10 (finding F-10): every supply-affecting Change Debt field must be the reset's
    own: a non-zero amount, an incremental type, another register, two commands, a
    recovery amount, a balance percentage or another recovery method is quarantined."""
    found = inspect(_signed(Device.GSME, payload), requested, inspect_esme=False)
    assert found.result is InspectionResult.QUARANTINED
    assert reason in found.reason


@pytest.mark.parametrize("field", SUPPLY_AFFECTING)
def test_each_supply_affecting_field_is_compared(field: str) -> None:
    """Changing any one of the inspected fields, and nothing else, is caught."""
    change = _reset_change_debt(T1)
    other = {"debt_amount": 1, "amount_type": gbz.DebtAmountType.TYPE1_INCREMENTAL,
             "recovery_method": gbz.RecoveryMethod.PAYMENT_BASED, "recovery_amount": 1,
             "balance_percentage": 1}[field]
    payload = _gbz(dataclasses.replace(change, **{field: other}))
    found = inspect(_signed(Device.GSME, payload), T1, inspect_esme=False)
    assert found.quarantined
    assert found.reason.startswith(f"{SUPPLY_AFFECTING[field]} is ")  # the ZSE field name


@pytest.mark.parametrize("field", ["issuer_event_id", "collection_time", "recovery_start_time"])
def test_fields_that_do_not_affect_supply_are_not_compared(field: str) -> None:
    payload = _gbz(dataclasses.replace(_reset_change_debt(T1), **{field: 77}))
    found = inspect(_signed(Device.GSME, payload), T1, inspect_esme=False)
    assert found.result is InspectionResult.PASSED


def test_undecodable_and_foreign_commands_are_quarantined() -> None:
    junk = inspect(b"\xdf\x09\x01", "TimeDebtRegister1", inspect_esme=False)
    assert junk.quarantined and junk.reason.startswith("undecodable")
    other = _signed(Device.GSME, _gbz(_reset_change_debt(T1)), code=0x006E)
    found = inspect(other, "TimeDebtRegister1", inspect_esme=False)
    assert found.quarantined and "is not a reset use case" in found.reason
    assert written_value(b"\x00") == 0


def _esme_payload(value: int, method: int = 5, register: DebtRegister = T1) -> dlms.AccessRequest:
    spec = dlms.RequestSpec(dlms.SpecKind.ACTION, 113, dlms.DEBT_REGISTER_OBIS[register], method)
    return dlms.AccessRequest(dlms.invoke_id_for(4242), (spec,), (dlms.double_long(value),))


@pytest.mark.parametrize("register", list(DebtRegister))
def test_sr11_the_dcc_inspects_gsme_resets_and_not_esme_ones_by_default(
        register: DebtRegister) -> None:
    """SR-11 as the DCC runs it, under the model's default assumptions: every ESME reset's
    Signed Pre-Command goes on uninspected, every GSME reset's is inspected and passes (a
    DCC that inspected ESME resets by default, MA-2, would not do as the specification
    says)."""
    bed = make_testbed()
    for device, expected in ((Device.ESME, InspectionResult.NOT_INSPECTED),
                             (Device.GSME, InspectionResult.PASSED)):
        result = bed.run(device, register)
        assert result.outcome is Outcome.SUCCESS, (device, result.response_code)
        screening = bed.dcc.screenings[result.request.request_id]
        assert screening.inspection.result is expected, device


def test_esme_is_not_inspected_so_a_non_zero_value_passes() -> None:
    """SR-11, and what it leaves open: an ESME "reset" writing 500 is not looked at;
    with inspection switched on (model assumption MA-2) it is caught."""
    signed = _signed(Device.ESME, _esme_payload(500))
    plain = inspect(signed, "TimeDebtRegister1", inspect_esme=False)
    assert plain.result is InspectionResult.NOT_INSPECTED and not plain.quarantined
    strict = inspect(signed, "TimeDebtRegister1", inspect_esme=True)
    assert strict.quarantined and "value is 500, not 0" in strict.reason
    honest = _signed(Device.ESME, _esme_payload(0))
    assert inspect(honest, T1, inspect_esme=True).result is InspectionResult.PASSED
    method4 = inspect(_signed(Device.ESME, _esme_payload(0, method=4)), T1, inspect_esme=True)
    assert method4.quarantined and "is not set_total_amount_remaining" in method4.reason
    wrong = inspect(_signed(Device.ESME, _esme_payload(0, register=T2)), T1, inspect_esme=True)
    assert wrong.quarantined and "0-0:19.20.2.255" in wrong.reason
    assert written_value(signed) == 500


def _swap_for_non_zero(signed: bytes) -> bytes:
    """A compromised User system: signs a Change Debt of 500 under the reset message code."""
    apdu = messages.decode(signed)
    change = apdu.payload.components[0].frame.payload
    new = dataclasses.replace(apdu, payload=_gbz(dataclasses.replace(change, debt_amount=500)),
                              signature=None)
    return messages.encode_apdu(messages.sign_apdu(new, KEYS.private_key(SUPPLIER, "ds")))


def test_flow_quarantines_a_signed_non_zero_gsme_reset() -> None:
    """SR-10 in the flow: the command never reaches the meter; the User gets QUARANTINED."""
    bed = make_testbed()
    result = bed.run("GSME", "TimeDebtRegister1", signed=_swap_for_non_zero)
    assert (
        result.outcome is Outcome.QUARANTINED and result.response_code == ResponseCode.QUARANTINED
    )
    assert "packet inspection: Debt Amount is 500, not 0" in result.steps[-2].result
    assert result.steps[-1].result == f"{ResponseCode.QUARANTINED}, signed by the DCC"
    assert result.command == b"" and bed.stub("GSME").state.time_debt_1 == 3_000
    assert [n.event for n in bed.dcc.notifications(SUPPLIER)] == ["quarantined"]


def test_flow_with_inspection_lets_honest_resets_through() -> None:
    bed = make_testbed(assumptions=Assumptions(inspect_esme=True))
    for device in Device:
        for register in DebtRegister:
            assert bed.run(device, register).outcome is Outcome.SUCCESS


def _volume(limit: int) -> ThresholdTable:
    return ThresholdTable().set(Threshold(SUPPLIER, "2.4", "volume", 3600, limit))


def test_thresholds_quarantine_the_command_over_the_user_volume_limit() -> None:
    """SR-12: resets are Critical, so they count against the User's volume threshold."""
    bed = make_testbed(thresholds=_volume(2))
    outcomes = [bed.run("ESME", "TimeDebtRegister1").outcome for _ in range(3)]
    assert outcomes == [Outcome.SUCCESS, Outcome.SUCCESS, Outcome.QUARANTINED]


def test_a_released_command_is_delivered_and_a_rejected_one_never_is() -> None:
    """TR-10: a quarantined command is kept until the User releases or rejects it."""
    bed = make_testbed(thresholds=_volume(1))
    assert bed.run("GSME", "TimeDebtRegister1").outcome is Outcome.SUCCESS
    held = bed.run("GSME", "TimeDebtRegister2")
    assert held.outcome is Outcome.QUARANTINED and bed.stub("GSME").state.time_debt_2 == 1_500
    released = bed.release(held)
    assert released.outcome is Outcome.SUCCESS and released.response_code == "I0"
    assert released.after.time_debt_2 == 0
    assert any(s.action.startswith("releases") for s in released.steps)
    dropped = bed.run("GSME", "PaymentDebtRegister")
    assert dropped.outcome is Outcome.QUARANTINED
    assert bed.reject(dropped).outcome is Outcome.REJECTED_BY_USER
    with pytest.raises(ValidationError, match="no quarantined command"):
        bed.release(dropped)
    assert bed.stub("GSME").state.payment_debt == 5_000
    events = [n.event for n in bed.dcc.notifications(SUPPLIER)]
    assert events == ["quarantined", "released", "quarantined", "rejected"]


def test_a_non_issued_command_is_quarantined_but_its_release_is_refused() -> None:
    """MA-1: a quarantined command that is not the issued Pre-Command is refused
    (SIGNED_PRECOMMAND_MISMATCH)
    when the User releases it, and never sent."""
    bed = make_testbed()
    result = bed.run("GSME", "TimeDebtRegister1", signed=_swap_for_non_zero)
    assert result.outcome is Outcome.QUARANTINED
    quarantined_at = int(bed.dcc.clock.timestamp())
    bed.dcc.clock += timedelta(hours=1)  # the User decides an hour later
    released = bed.release(result)
    assert (
        released.outcome is Outcome.REFUSED
        and released.response_code == ResponseCode.SIGNED_PRECOMMAND_MISMATCH
    )
    assert bed.stub("GSME").state.time_debt_1 == 3_000
    assert [(n.event, n.timestamp) for n in bed.dcc.notifications(SUPPLIER)] == [
        ("quarantined", quarantined_at), ("rejected", quarantined_at + 3600)]


def test_without_the_issued_check_a_released_tampered_command_is_executed() -> None:
    """MA-1 off: the same release reaches the meter, which sets the register to 500."""
    bed = make_testbed(assumptions=Assumptions(compare_with_issued=False))
    result = bed.run("GSME", "TimeDebtRegister1", signed=_swap_for_non_zero)
    released = bed.release(result)
    assert (
        released.response_code == ResponseCode.RESET_NOT_CONFIRMED
        and released.after.time_debt_1 == 500
    )


def test_sr10_sr11_each_verdict_names_the_device_and_says_why() -> None:
    """SR-10, SR-11: every verdict on a decodable reset names its device and gives a
    reason in words, passed, not inspected or quarantined alike."""
    gas = _signed(Device.GSME, _gbz(_reset_change_debt(T1)))
    elec = _signed(Device.ESME, _esme_payload(0))
    verdicts = [
        (inspect(gas, T1, inspect_esme=False), InspectionResult.PASSED, Device.GSME),
        (inspect(elec, T1, inspect_esme=False), InspectionResult.NOT_INSPECTED, Device.ESME),
        (inspect(elec, T1, inspect_esme=True), InspectionResult.PASSED, Device.ESME),
        (inspect(_signed(Device.GSME, _with(debt_amount=5)), T1, inspect_esme=False),
         InspectionResult.QUARANTINED, Device.GSME),
        (inspect(_signed(Device.GSME, _gbz(_reset_change_debt(T1), _reset_change_debt(T1))), T1,
                 inspect_esme=False), InspectionResult.QUARANTINED, Device.GSME),
    ]
    for found, result, device in verdicts:
        assert (found.result, found.device) == (result, device)
        assert isinstance(found.reason, str) and found.reason
    assert "TimeDebtRegister1" in verdicts[0][0].reason


def test_sr10_a_gsme_reset_that_is_not_a_change_debt_is_quarantined() -> None:
    payload = gbz.Gbz((gbz.default_response_component(2, 0, 0, True),))
    found = inspect(_signed(Device.GSME, payload), T1, inspect_esme=False)
    assert found.quarantined and found.reason == "not a ZSE Change Debt command"


def test_ma2_an_esme_reset_with_another_method_is_named_as_such() -> None:
    found = inspect(_signed(Device.ESME, _esme_payload(0, method=4)), T1, inspect_esme=True)
    assert found.reason.startswith("action 113 0-0:19.20.1.255 id 4 ")


def test_sr12_a_command_writing_no_register_has_data_value_zero() -> None:
    """SR-12: the data value of a command that writes no Debt Register is 0; of one
    that does, the largest magnitude it writes."""
    assert written_value(_signed(Device.ESME, _esme_payload(7, method=1))) == 0
    assert written_value(_signed(Device.ESME, _esme_payload(-7, method=4))) == 7


def test_a_reset_carrying_the_other_meters_payload_is_quarantined_naming_it() -> None:
    """SR-10, SR-11: a GSME reset whose payload is a DLMS request, and an ESME reset whose
    payload is a ZigBee one, are each quarantined, naming why."""
    gas = inspect(_signed(Device.GSME, _esme_payload(0)), T1, inspect_esme=False)
    assert gas.quarantined and gas.reason.startswith("undecodable: ")
    electricity = inspect(_signed(Device.ESME, _gbz(_reset_change_debt(T1))), T1,
                          inspect_esme=True)
    assert electricity.quarantined and electricity.reason.startswith("undecodable: ")
    assert "not an xDLMS ACCESS-Request" in electricity.reason


def test_inspection_fails_closed_when_a_payload_is_of_the_other_protocol() -> None:
    """SR-10, SR-11: the field-by-field comparison quarantines a payload that is not of the
    expected protocol (a GBZ where an xDLMS ACCESS-Request is due and the other way), naming
    it, rather than passing it or failing on it (the codec of the message code normally
    makes this impossible: the check is the last line)."""
    from specpkg.anomaly.inspection import _differences

    gas = _with()
    electricity = _esme_payload(0)
    assert _differences(gas, electricity) == ["not an xDLMS ACCESS-Request"]
    assert _differences(electricity, gas) == ["not a ZSE Change Debt command"]
    assert _differences(gas, gas) == [] and _differences(electricity, electricity) == []
