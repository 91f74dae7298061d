"""The reset use cases end to end (issue 4): SR-1..SR-9 and BR-1..BR-5 through the flow."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specpkg.duis import reset_request, responses
from specpkg.duis.codes import DuisError, Outcome, ResponseCode
from specpkg.errors import DecodeError, ValidationError
from specpkg.gbcs import debt_messages, dlms, gbz, messages, reset_messages
from specpkg.gbcs.envelope import MacHeader
from specpkg.meter.registers import (
    DebtRecovery,
    DebtRegister,
    Device,
    MeterState,
    PaymentMode,
    RecoveryPeriod,
    ResetReport,
    recovery_of,
    set_recovery,
)
from specpkg.system.dcc import Registration
from specpkg.system.flow import DEVICE_IDS, make_testbed
from specpkg.system.meters import AlertKind
from specpkg.system.user import User
from specpkg.system.variants import PRE_RELEASE

CASES = list(itertools.product(Device, DebtRegister, PaymentMode))


def after_a_reset(device: Device, register: DebtRegister, before: MeterState) -> MeterState:
    """What a reset leaves (BR-1): the register zero and nothing else changed, except on
    a GSME that register's recovery settings: a ZSE Change Debt sets them all, and the
    reset carries none of its own (F-2 (a)): the register's method kept, every other
    recovery field 0 (finding F-50). The electricity reset (DLMS method 5) carries only
    the value."""
    after = dataclasses.replace(before, **{register.field: 0})
    if device is Device.GSME:
        after = set_recovery(after, register, DebtRecovery(recovery_of(before, register).method))
    return after


@pytest.mark.parametrize(("device", "register", "mode"), CASES,
                         ids=[f"{d}-{r}-{m}" for d, r, m in CASES])
def test_every_device_register_and_mode_succeeds_end_to_end(device, register, mode) -> None:
    """BR-1, BR-2, BR-4: one register zero, the others and the balance untouched, I0."""
    bed = make_testbed(mode)
    result = bed.run(device, register)
    assert result.outcome is Outcome.SUCCESS and result.response_code == "I0"
    before, after = result.before, result.after
    assert before.register(register) > 0 and after.register(register) == 0
    assert after == after_a_reset(device, register, before)
    parsed = responses.parse_response(result.service_response)
    assert parsed.success and parsed.gbcs_payload == result.device_response
    assert [s.actor for s in result.steps] == [
        "User", "DCC", "DCC", "User", "DCC (ACB)", "Communications Hub", device.value, "DCC",
        "User"]
    assert result.steps[-1].result == "I0, signed by the DCC"


def test_device_that_does_not_zero_the_register_reports_failure() -> None:
    """BR-4: a meter whose write fails answers failure; the DCC says RESET_NOT_CONFIRMED, not I0."""
    bed = make_testbed()
    bed.stub("GSME").fault = True
    result = bed.run("GSME", "TimeDebtRegister2")
    assert (
        result.outcome is Outcome.NOT_CONFIRMED
        and result.response_code == ResponseCode.RESET_NOT_CONFIRMED
    )
    assert result.after.time_debt_2 == result.before.time_debt_2 > 0
    response = messages.decode(result.device_response)
    assert reset_messages.response_success(response) is False


@pytest.mark.parametrize(("device", "register"), list(itertools.product(Device, DebtRegister)))
def test_br4_a_register_that_does_not_reach_zero_gives_the_failure_response(
        device, register, monkeypatch) -> None:
    """BR-4 by fault injection: the meter's register write leaves 1p behind; the meter
    answers failure (no success for a register that is not zero), the DCC RESET_NOT_CONFIRMED, and
    the
    test record shows the Service Response does not say zero."""
    from specpkg.system import meters
    from specpkg.testing.testrun import record_of

    honest = meters.apply_debt_change

    def leaves_a_penny(state, reg, value, absolute=True, recovery=None):
        return dataclasses.replace(honest(state, reg, value, absolute, recovery),
                                   **{reg.field: 1})

    monkeypatch.setattr(meters, "apply_debt_change", leaves_a_penny)
    result = make_testbed().run(device, register)
    assert result.after.register(register) == 1 != result.before.register(register)
    assert messages.response_results(messages.decode(result.device_response)) == [
        "failure" if device is Device.GSME else "hardware_fault"]
    assert (
        result.outcome is Outcome.NOT_CONFIRMED
        and result.response_code == ResponseCode.RESET_NOT_CONFIRMED
    )
    record, parsed = record_of("BR-4", result, register, True)
    assert parsed.code == ResponseCode.RESET_NOT_CONFIRMED and not record.response_says_zero
    assert record.command_succeeded is False
    monkeypatch.setattr(meters, "apply_debt_change", honest)
    assert make_testbed().run(device, register).response_code == "I0"


@pytest.mark.parametrize("device", list(Device))
def test_response_carries_no_register_value_and_is_not_encrypted(device: Device) -> None:
    """BR-5: the response is signed, not ciphered, and holds only a status."""
    result = make_testbed().run(device, "PaymentDebtRegister")
    raw = result.device_response
    assert raw[0] == 0xDF  # a bare general-signing APDU: no general-ciphering (DD) around it
    response = messages.decode(raw)
    assert response.signature is not None
    payload = response.payload
    if device is Device.GSME:
        (component,) = payload.components
        assert not component.encrypted
        assert isinstance(component.frame.payload, gbz.DefaultResponse)
        assert dataclasses.asdict(component.frame.payload) == {"command_id": 2, "status": 0}
    else:
        assert payload.data == (dlms.NULL,) and len(payload.specs) == 1
    for amount in (result.before.payment_debt, result.before.time_debt_1):
        assert amount.to_bytes(4, "big") not in raw and amount.to_bytes(4, "little") not in raw


@pytest.mark.parametrize("register", list(DebtRegister))
def test_gsme_command_is_one_change_debt_to_zero_absolute(register: DebtRegister) -> None:
    """SR-1: the GSME command reuses ZSE Change Debt, amount 0, absolute type of the register."""
    result = make_testbed().run("GSME", register)
    command = messages.decode(result.command)
    assert isinstance(command, MacHeader)
    (component,) = command.apdu.payload.components
    assert (component.cluster_id, component.frame.command_id) == (0x0705, 0x02)
    change = component.frame.payload
    assert change.debt_amount == 0 and not change.amount_type.incremental
    assert change.amount_type.register is register


@pytest.mark.parametrize("register", list(DebtRegister))
def test_esme_command_is_set_total_amount_remaining_zero(register: DebtRegister) -> None:
    """SR-2: the same Charge objects as ECS07, method 5 with value 0."""
    result = make_testbed().run("ESME", register)
    apdu = messages.decode(result.command).apdu
    (spec,) = apdu.payload.specs
    assert spec.kind is dlms.SpecKind.ACTION and spec.class_id == 113
    assert spec.method is dlms.ChargeMethod.SET_TOTAL_AMOUNT_REMAINING
    assert apdu.payload.data == (dlms.double_long(0),)
    existing = debt_messages.ecs07_request(_update_debt(), 1)
    assert spec.instance in {s.instance for s in existing.specs if s.class_id == 113}
    assert spec.register is register


def _update_debt() -> debt_messages.UpdateDebt:
    return debt_messages.UpdateDebt(
        30_000, 15_000, 50_000, 1_000,
        debt_messages.ElecRecovery(3, -1, RecoveryPeriod.DAILY),
        debt_messages.ElecRecovery(15, -1, RecoveryPeriod.DAILY),
    )


def test_pre_release_meter_answers_not_supported_and_keeps_its_registers() -> None:
    """SR-4: an installed meter is not updated; it refuses the unknown use case."""
    bed = make_testbed(version=PRE_RELEASE)
    for device in Device:
        result = bed.run(device, "TimeDebtRegister1")
        assert (
            result.outcome is Outcome.NOT_SUPPORTED
            and result.response_code == ResponseCode.NOT_SUPPORTED_BY_DEVICE
        )
        assert result.after == result.before
        stub = bed.stub(device)
        assert reset_messages.message_codes()[device] not in stub.supported_use_cases
        assert stub.supported_use_cases == {0x001E} if device is Device.ESME else {0x006E}


def _zigbee_commands(payload: gbz.Gbz) -> set[tuple[int, int, int]]:
    return {(c.cluster_id, c.frame.frame_control, c.frame.command_id) for c in payload.components}


def test_zigbee_commands_of_the_new_use_case_are_a_subset_of_the_existing() -> None:
    """SR-5: no new ZigBee command or attribute on the SM HAN."""
    existing_command = debt_messages.gcs04_payload(_gas_update_debt())
    existing_response = debt_messages.gcs04_response(existing_command)
    existing = _zigbee_commands(existing_command) | _zigbee_commands(existing_response)
    bed = make_testbed()
    for register in DebtRegister:
        result = bed.run("GSME", register)
        new = (_zigbee_commands(messages.decode(result.command).apdu.payload)
               | _zigbee_commands(messages.decode(result.device_response).payload))
        assert new <= existing


def _gas_update_debt() -> debt_messages.UpdateDebt:
    return debt_messages.UpdateDebt(
        1_000_000, 500_000, 1_000_000, 100,
        debt_messages.GasRecovery(50_000, RecoveryPeriod.DAILY),
        debt_messages.GasRecovery(50_000, RecoveryPeriod.HOURLY),
    )


def test_only_esme_and_gsme_are_targets() -> None:
    """SR-8: the catalogue maps the reset to ESME and GSME; other devices are refused."""
    assert {e.device for e in reset_messages.catalogue()} == {Device.ESME, Device.GSME}
    bed = make_testbed()
    request, _ = bed.user.request("ESME", "TimeDebtRegister1")
    ihd = dataclasses.replace(request, device_id="00DB1234567890B0")
    result = bed.run_xml(reset_request.request_xml(ihd), ihd)
    assert result.outcome is Outcome.REFUSED and result.response_code == ResponseCode.UNKNOWN_DEVICE


def test_two_registers_in_one_request_are_refused_end_to_end() -> None:
    """SR-9 through the flow: a request naming two registers, correctly signed by its
    User, is refused for naming several registers (not for its signature); the DCC
    builds no Pre-Command and the meter is untouched."""
    bed = make_testbed()
    request, _ = bed.user.request("ESME", "TimeDebtRegister1", DEVICE_IDS[Device.ESME])
    tree = reset_request.build_request_tree(request)
    q = f"{{{reset_request.SR_NS}}}"
    body = tree.find(f"{q}Body/{q}ResetDebtRegister")
    body.append(body.makeelement(f"{q}TimeDebtRegister2"))
    xml = reset_request.sign_tree(tree, keys_dir=bed.user.keys_dir, signer_id=request.user_id)
    assert reset_request.signature_valid(xml, keys_dir=bed.user.keys_dir)
    before = bed.stub("ESME").state
    result = bed.run_xml(xml, request)
    assert result.outcome is Outcome.REFUSED
    assert result.response_code == ResponseCode.SEVERAL_REGISTERS.value
    assert result.pre_command == b"" and bed.stub("ESME").state == before
    assert result.received is not None and not result.received.success


def test_only_the_registered_supplier_may_reset() -> None:
    """Access control: another Supplier, with a valid certificate, is refused
    (NOT_REGISTERED_SUPPLIER)."""
    bed = make_testbed()
    stranger = User("90B3D51F30020000", bed.user.keys_dir)
    result = bed.run("GSME", "PaymentDebtRegister", user=stranger)
    assert (
        result.outcome is Outcome.REFUSED
        and result.response_code == ResponseCode.NOT_REGISTERED_SUPPLIER
    )
    assert result.after is None


def test_a_role_not_eligible_for_the_device_is_refused() -> None:
    """Access control (SR-3): a Gas Supplier registration cannot reset an ESME
    (ROLE_NOT_ELIGIBLE)."""
    bed = make_testbed()
    esme = DEVICE_IDS[Device.ESME]
    bed.dcc.registrations[esme] = Registration(esme, Device.ESME, bed.user.user_id, "GS")
    result = bed.run("ESME", "TimeDebtRegister1")
    assert (
        result.outcome is Outcome.REFUSED and result.response_code == ResponseCode.ROLE_NOT_ELIGIBLE
    )


def _set_counter(data: bytes) -> bytes:
    return data[:3] + (data[3] ^ 1).to_bytes(1, "big") + data[4:]


def _other_register(data: bytes) -> bytes:
    apdu = messages.decode(data)
    change = apdu.payload.components[0].frame.payload
    new = dataclasses.replace(change, amount_type=gbz.DebtAmountType.TYPE2_ABSOLUTE)
    return messages.encode_apdu(dataclasses.replace(
        apdu, payload=gbz.Gbz((gbz.change_debt_component(new, 0, True),))))


def _non_zero(data: bytes) -> bytes:
    apdu = messages.decode(data)
    change = apdu.payload.components[0].frame.payload
    new = dataclasses.replace(change, debt_amount=500)
    return messages.encode_apdu(dataclasses.replace(
        apdu, payload=gbz.Gbz((gbz.change_debt_component(new, 0, True),))))


@pytest.mark.parametrize(("tamper", "field"), [
    (_set_counter, "counter"), (_other_register, "register"), (_non_zero, "payload"),
    (lambda d: d[:-3], "pre_command"),
])
def test_user_refuses_a_pre_command_that_does_not_correlate(tamper, field: str) -> None:
    bed = make_testbed()
    result = bed.run("GSME", "TimeDebtRegister1", pre_command=tamper)
    assert result.outcome is Outcome.NOT_SIGNED and result.service_response is None
    assert f"correlation failed on {field}" in result.steps[-1].result
    assert result.signed_pre_command == b"" and result.command == b""


def test_user_refuses_a_service_response_the_dcc_did_not_sign() -> None:
    """TR-5: the User checks the DCC's signature on every Service Response."""
    bed = make_testbed()
    result = bed.run("ESME", "TimeDebtRegister1")
    assert bed.user.receive(result.service_response).code == "I0"
    forged = result.service_response.replace(b"<sr:ResponseCode>I0<", b"<sr:ResponseCode>E9<")
    with pytest.raises(Exception, match="not signed by the DCC"):
        bed.user.receive(forged)
    unsigned = responses.service_response(result.request, result.device_response,
                                     ResetReport(DebtRegister.TIME_DEBT_1, True))
    with pytest.raises(Exception, match="not signed by the DCC"):
        bed.user.receive(unsigned)


def test_dcc_refuses_a_signed_pre_command_that_is_not_what_it_issued() -> None:
    bed = make_testbed()
    result = bed.run("ESME", "TimeDebtRegister1", signed=lambda d: d[:-1] + bytes([d[-1] ^ 1]))
    assert (
        result.outcome is Outcome.REFUSED
        and result.response_code == ResponseCode.SIGNED_PRECOMMAND_MISMATCH
    )


def test_meter_rejects_a_command_whose_mac_was_altered() -> None:
    bed = make_testbed()
    result = bed.run("GSME", "TimeDebtRegister1", command=lambda d: d[:-1] + bytes([d[-1] ^ 4]))
    assert (
        result.outcome is Outcome.REJECTED_BY_DEVICE
        and result.response_code == ResponseCode.REJECTED_BY_DEVICE
    )
    assert result.after == result.before
    assert bed.stub("GSME").log[-1].startswith("alert: MAC check failed")


def test_meter_refuses_a_replayed_command() -> None:
    bed = make_testbed()
    first = bed.run("ESME", "TimeDebtRegister2")
    assert first.outcome is Outcome.SUCCESS
    reply = bed.stub("ESME").receive(first.command)
    assert reply.alert is not None and reply.alert.kind is AlertKind.REPLAY
    assert reply.response is None


def test_a_quarantined_command_never_reaches_the_meter() -> None:
    from specpkg.anomaly.thresholds import Threshold, ThresholdTable

    table = ThresholdTable([Threshold(User().user_id, "2.4", "volume", 3600, 0)])
    bed = make_testbed(thresholds=table)
    result = bed.run("GSME", "PaymentDebtRegister")
    assert (
        result.outcome is Outcome.QUARANTINED and result.response_code == ResponseCode.QUARANTINED
    )
    assert result.command == b"" and result.after is None


@settings(max_examples=40)
@given(st.sampled_from(["xml", "pre_command", "signed", "command"]), st.integers(0, 10_000),
       st.integers(0, 7), st.sampled_from(list(Device)))
def test_every_request_ends_in_exactly_one_outcome(stage, position, bit, device) -> None:
    """Flip one bit at any stage: the request still ends in one Outcome, with the
    DUIS response that belongs to it, and a meter never executes a changed command."""
    def flip(data: bytes) -> bytes:
        i = position % len(data)
        return data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1:]

    bed = make_testbed()
    result = bed.run(device, "TimeDebtRegister1", **{stage: flip})
    assert isinstance(result.outcome, Outcome)
    if result.outcome is Outcome.NOT_SIGNED:
        assert result.service_response is None
    else:
        parsed = responses.parse_response(result.service_response)
        assert parsed.code == result.response_code
        assert (parsed.code == ResponseCode.SUCCESS) is (result.outcome is Outcome.SUCCESS)
    if result.outcome is Outcome.SUCCESS:
        assert result.after.time_debt_1 == 0
    elif result.after is not None:
        assert result.after == result.before


def test_protect_signs_then_macs_and_names_missing_keys(tmp_path) -> None:
    from specpkg.gbcs.security import Keys
    from specpkg.paths import PKI_DIR

    keys = Keys(PKI_DIR)
    pre = reset_messages.pre_command("ESME", "TimeDebtRegister1", "90B3D51F30010000",
                                     DEVICE_IDS[Device.ESME], 77, reset_request.DEFAULT_CLOCK)
    command = messages.protect(pre, keys, "90B3D51F30010000")
    verdict = messages.verify(command, keys)
    assert (verdict.signature, verdict.mac) == (messages.Check.VALID, messages.Check.VALID)
    with pytest.raises(Exception, match="protect needs the signer's ds key"):
        messages.protect(pre, Keys(tmp_path), "90B3D51F30010000")


def test_f13_one_register_per_request_three_requests_reset_all_three() -> None:
    """F-13: "one Debt Register at one time" read per Service Request: three requests
    in a row, one register each, reset all three registers of one meter."""
    bed = make_testbed()
    results = [bed.run("GSME", register) for register in DebtRegister]
    assert [r.response_code for r in results] == ["I0", "I0", "I0"]
    assert bed.stub("GSME").state.registers() == dict.fromkeys(DebtRegister, 0)


@pytest.mark.parametrize(("device_id", "device_type"),
                         list(reset_request.TEST_OTHER_DEVICES.items()))
def test_sr8_a_reset_for_any_other_registered_device_is_refused_naming_its_type(
        device_id: str, device_type: str) -> None:
    """SR-8: the DCC knows the CHF, GPF, PPMID, HCALCS and IHD of the premises; a reset
    addressed to one is refused at intake (WRONG_DEVICE_TYPE) because of its type, not because the
    device is unknown, and nothing is sent."""
    bed = make_testbed()
    request, _ = bed.user.request(Device.ESME, DebtRegister.TIME_DEBT_1)
    other = dataclasses.replace(request, device_id=device_id)
    result = bed.run_xml(reset_request.request_xml(other), other)
    assert result.response_code is ResponseCode.WRONG_DEVICE_TYPE
    assert result.outcome is Outcome.REFUSED
    refused = next(s.result for s in result.steps if s.result.startswith("refused"))
    assert f"is a {device_type}; the reset's target devices are ESME and GSME only" in refused
    assert result.pre_command == b"" and result.command == b""


# --------------------------------------------------- the DCC's refusals, one by one (SR-9)


def _refused(call, *args) -> DuisError:
    with pytest.raises(DuisError) as caught:
        call(*args)
    assert isinstance(caught.value.reason, str) and caught.value.reason
    return caught.value


def test_sr8_registration_keeps_ids_in_one_spelling_and_the_device_typed() -> None:
    registration = Registration("00-db-12-34-56-78-90-a0", "esme", "90-b3-d5-1f-30-01-00-00",
                                "IS")
    assert registration.device_id == "00DB1234567890A0"
    assert registration.supplier_id == "90B3D51F30010000"
    assert registration.device is Device.ESME


def test_sr9_each_access_control_refusal_has_its_code_and_echoes_the_request_id() -> None:
    """SR-9: a request from a Supplier not registered for the device, in a role not
    eligible, or with a counter not above the last is refused with its own code, and
    the error response echoes the request's RequestID."""
    bed = make_testbed()
    esme = DEVICE_IDS[Device.ESME]
    other = User("90B3D51F30020000")
    request, xml = other.request("ESME", "TimeDebtRegister1", esme)
    error = _refused(bed.dcc.accept, xml)
    assert (error.code, error.request_id) == (ResponseCode.NOT_REGISTERED_SUPPLIER,
                                              request.request_id)
    request, xml = bed.user.request("ESME", "TimeDebtRegister1", esme)
    bed.dcc.accept(xml)
    error = _refused(bed.dcc.accept, xml)
    assert (error.code, error.request_id) == (ResponseCode.COUNTER_NOT_INCREASING,
                                              request.request_id)
    bed.dcc.register(Registration(esme, Device.ESME, bed.user.user_id, "GS"))
    request, xml = bed.user.request("ESME", "TimeDebtRegister1", esme)
    error = _refused(bed.dcc.accept, xml)
    assert (error.code, error.request_id) == (ResponseCode.ROLE_NOT_ELIGIBLE,
                                              request.request_id)


def test_sr9_each_signed_pre_command_refusal_has_its_code_and_echoes_the_request_id() -> None:
    """SR-9: an unknown Pre-Command, one already taken, bytes that are no message, an
    unsigned one and one signed by another key are each refused with their code."""
    bed = make_testbed()
    dcc, user = bed.dcc, bed.user
    unknown = _refused(dcc.command, "nothing-issued", b"")
    assert (unknown.code, unknown.request_id) == (ResponseCode.UNKNOWN_PRECOMMAND,
                                                  "nothing-issued")
    request, xml = user.request("GSME", "TimeDebtRegister1", DEVICE_IDS[Device.GSME])
    pre = dcc.pre_command(dcc.accept(xml))
    signed_by_other = messages.encode_apdu(messages.sign_apdu(
        messages.decode(pre), User("90B3D51F30020000").keys.private_key("90B3D51F30020000",
                                                                        "ds")))
    reasons = {}
    for name, data in (("bytes", b"\x00\x01"), ("unsigned", pre), ("other", signed_by_other)):
        error = _refused(dcc.command, request.request_id, data)
        assert (error.code, error.request_id) == (ResponseCode.SIGNED_PRECOMMAND_MISMATCH,
                                                  request.request_id)
        reasons[name] = error.reason
    with pytest.raises(DecodeError) as undecodable:
        messages.decode(b"\x00\x01")
    assert reasons["bytes"] == str(undecodable.value)
    assert reasons["unsigned"] == "no signature"
    assert reasons["other"] == "the signature does not verify with the User's certificate"
    signed = user.sign(user.correlate(request, pre))
    dcc.command(request.request_id, signed)
    again = _refused(dcc.command, request.request_id, signed)
    assert (again.code, again.request_id) == (ResponseCode.UNKNOWN_PRECOMMAND,
                                              request.request_id)
    screening = dcc.screenings[request.request_id]
    assert not screening.quarantined and not screening.refused and screening.data_value == 0


def test_tr10_a_quarantined_command_is_refused_echoing_its_request_and_screened() -> None:
    from specpkg.anomaly.thresholds import Threshold, ThresholdTable

    bed = make_testbed(thresholds=ThresholdTable([Threshold(User().user_id, "2.4", "volume",
                                                            3600, 0)]))
    dcc, user = bed.dcc, bed.user
    request, xml = user.request("GSME", "TimeDebtRegister1", DEVICE_IDS[Device.GSME])
    signed = user.sign(user.correlate(request, dcc.pre_command(dcc.accept(xml))))
    error = _refused(dcc.command, request.request_id, signed)
    assert (error.code, error.request_id) == (ResponseCode.QUARANTINED, request.request_id)
    assert dcc.screenings[request.request_id].quarantined


def test_tr10_release_and_rejection_are_notified_at_the_dccs_clock() -> None:
    """TR-10: the DCC tells the engine when the User released or rejected a command,
    at its own clock then, not the time the command was quarantined."""
    from specpkg.anomaly.thresholds import Threshold, ThresholdTable

    bed = make_testbed(thresholds=ThresholdTable([Threshold(User().user_id, "2.4", "volume",
                                                            3600, 0)]))
    dcc, user = bed.dcc, bed.user
    ids = []
    for register in ("TimeDebtRegister1", "TimeDebtRegister2"):
        request, xml = user.request("GSME", register, DEVICE_IDS[Device.GSME])
        signed = user.sign(user.correlate(request, dcc.pre_command(dcc.accept(xml))))
        with pytest.raises(DuisError):
            dcc.command(request.request_id, signed)
        ids.append(request.request_id)
    start = int(dcc.clock.timestamp())
    dcc.clock = dcc.clock + dt.timedelta(hours=1)
    dcc.release(ids[0], user.user_id)
    dcc.clock = dcc.clock + dt.timedelta(hours=1)
    dcc.reject(ids[1], user.user_id)
    events = [(n.event, n.timestamp) for n in dcc.notifications(user.user_id)]
    assert events == [("quarantined", start), ("quarantined", start),
                      ("released", start + 3600), ("rejected", start + 7200)]
    with pytest.raises(ValidationError) as err:
        dcc.reject(ids[1], user.user_id)
    assert err.value.field == "request_id" and ids[1] in err.value.reason


def test_br4_the_dccs_service_response_for_each_kind_of_device_answer() -> None:
    """BR-4, TR-5: an alert, bytes that are no message and a response to another request
    each give an error response echoing the RequestID, at the DCC's clock; a reply with
    neither response nor alert is refused as such."""
    from specpkg.system.meters import DeviceAlert, DeviceReply

    bed = make_testbed()
    bed.dcc.clock = reset_request.DEFAULT_CLOCK + dt.timedelta(days=3)
    first = bed.run("ESME", "TimeDebtRegister1")
    request = first.request
    second = bed.run("ESME", "TimeDebtRegister2")
    answers = [
        (ResponseCode.NOT_SUPPORTED_BY_DEVICE,
         DeviceReply(alert=DeviceAlert(request.device_id, AlertKind.NOT_SUPPORTED, "x"))),
        (ResponseCode.REJECTED_BY_DEVICE,
         DeviceReply(alert=DeviceAlert(request.device_id, AlertKind.BAD_MAC))),
        (ResponseCode.BAD_DEVICE_RESPONSE, DeviceReply(response=b"\x00\x01")),
        (ResponseCode.BAD_DEVICE_RESPONSE, DeviceReply(response=second.device_response)),
        # a command, not a response
        (ResponseCode.BAD_DEVICE_RESPONSE, DeviceReply(response=second.command)),
    ]
    reasons = []
    for code, reply in answers:
        answered, data = bed.dcc.answer(request, reply)
        reasons.append(bed.dcc.refusals[-1])
        parsed = responses.parse_response(data)
        assert answered is code and data == bed.dcc.service_response(request, reply)
        assert (parsed.code, parsed.request_id) == (code.value, request.request_id)
        assert parsed.date_time == responses.format_date_time(bed.dcc.clock)
    ok = responses.parse_response(bed.dcc.service_response(request, DeviceReply(
        response=first.device_response)))
    assert ok.success and ok.date_time == responses.format_date_time(bed.dcc.clock)
    silent = responses.parse_response(bed.dcc.service_response(request, DeviceReply()))
    assert (silent.code, silent.request_id) == (
        ResponseCode.NO_DEVICE_RESPONSE.value,
        request.request_id,
    )  # MA-7: silence is NO_DEVICE_RESPONSE
    # the DCC's record keeps why each was refused (the DUIS response carries the code only)

    with pytest.raises(DecodeError) as undecodable:
        messages.decode(b"\x00\x01")
    assert [r[:2] for r in reasons] == [(request.echo_id, c.value) for c, _ in answers]
    assert [r[2] for r in reasons] == [
        f"{AlertKind.NOT_SUPPORTED.value} x", AlertKind.BAD_MAC.value, str(undecodable.value),
        *["not a response to this request signed by the device"] * 2]
    assert bed.dcc.refusals[-1] == (request.echo_id, ResponseCode.NO_DEVICE_RESPONSE.value,
                                    "no answer from the device before the time-out")


def test_the_dcc_cannot_mac_without_the_acb_key() -> None:
    bed = make_testbed()
    bed.dcc.acb_id = "00000000000000AB"  # no key of this id in the PKI
    request, xml = bed.user.request("ESME", "TimeDebtRegister1", DEVICE_IDS[Device.ESME])
    signed = bed.user.sign(bed.user.correlate(request, bed.dcc.pre_command(bed.dcc.accept(xml))))
    with pytest.raises(DuisError) as err:  # a DUIS error, so the request has its one outcome
        bed.dcc.command(request.request_id, signed)
    assert err.value.code is ResponseCode.UNDELIVERABLE and "ACB ka key" in str(err.value)


# ------------------------------------------------------ the User's correlation (SR-9)


def _pre_command_for(request, **changes) -> bytes:
    fields = {"device": reset_request.device_of(request.device_id), "register": request.register,
              "user_id": request.user_id, "device_id": request.device_id,
              "counter": request.counter, **changes}
    apdu = reset_messages.pre_command(fields["device"], fields["register"], fields["user_id"],
                                      fields["device_id"], fields["counter"],
                                      reset_request.DEFAULT_CLOCK)
    return messages.encode_apdu(apdu)


def test_sr9_correlation_names_the_field_that_does_not_match() -> None:
    """SR-9: the User signs only a Pre-Command for its own request: another originator,
    another device, a response, undecodable or already signed bytes are each refused
    naming what did not match."""
    from specpkg.gbcs.envelope import Cra
    from specpkg.system.user import CorrelationError

    user = User()
    request, _ = user.request("ESME", "TimeDebtRegister1")
    good = _pre_command_for(request)
    response = messages.encode_apdu(dataclasses.replace(messages.decode(good), cra=Cra.RESPONSE))
    cases = {
        "originator": _pre_command_for(request, user_id="90B3D51F30020000"),
        "recipient": _pre_command_for(request, device_id="00DB1234567890A2"),
        "cra": response,
        "pre_command": b"\x00\x01",
    }
    cases["pre_command "] = user.sign(messages.decode(good))
    for field, data in cases.items():
        with pytest.raises(CorrelationError) as err:
            user.correlate(request, data)
        assert err.value.field == field.strip() and isinstance(err.value.reason, str)
        assert err.value.reason and field.strip() in str(err.value)
    assert user.correlate(request, good) == messages.decode(good)


def test_sr9_a_request_is_for_the_device_named() -> None:
    user = User()
    other_esme = "00-DB-12-34-56-78-90-A2"
    request, xml = user.request("ESME", "TimeDebtRegister2", other_esme)
    assert request.device_id.replace("-", "").upper() == "00DB1234567890A2"
    assert b"00-DB-12-34-56-78-90-A2" in xml.upper()


def test_tr5_the_user_reads_only_a_response_signed_by_the_dcc_when_valid() -> None:
    """TR-5: the Service Response is read as signed by the DCC's certificate, valid at
    the time given; another signer or a time outside the certificate is refused."""
    bed = make_testbed()
    result = bed.run("GSME", "TimeDebtRegister1")
    assert bed.user.receive(result.service_response).success
    with pytest.raises(ValidationError):
        bed.user.receive(result.service_response, dcc_signer="90B3D51F30020000")
    with pytest.raises(ValidationError) as err:
        bed.user.receive(result.service_response,
                         at=reset_request.DEFAULT_CLOCK.replace(year=1990))
    assert (err.value.field, err.value.reason) == (
        "response", "the DCC's certificate is not valid at 1990-06-27T12:00:00+00:00 "
                    "(valid 2018-01-01 to 9999-12-31)")


def test_sr9_a_user_correlates_only_for_devices_it_knows_as_given() -> None:
    """A User's own inventory is keyed by canonical device id (any case or hyphens), each
    device by its type; a Pre-Command for a device the User never named is refused naming
    the device."""
    from specpkg.system.user import CorrelationError

    extra = "00db1234567890f1"
    user = User(inventory={extra: Device.GSME})
    assert user.inventory["00DB1234567890F1"] == "GSME"
    request, _ = user.request("GSME", "TimeDebtRegister1", extra)
    pre_command = messages.encode_apdu(reset_messages.pre_command(
        Device.GSME, request.register, request.user_id, request.device_id, request.counter,
        reset_request.DEFAULT_CLOCK))
    assert user.correlate(request, pre_command)
    stranger = User()
    with pytest.raises(CorrelationError) as err:
        stranger.correlate(request, pre_command)
    assert (err.value.field, err.value.reason) == (
        "device", "00-DB-12-34-56-78-90-F1 is not a device the DCC knows")


def test_a_user_without_its_signing_key_cannot_sign(tmp_path) -> None:
    user = User("90B3D51F30010000", keys_dir=tmp_path)
    request = User().request("ESME", "TimeDebtRegister1")[0]
    with pytest.raises(ValidationError) as err:
        user.sign(messages.decode(_pre_command_for(request)))
    assert err.value.field == "keys" and "90B3D51F30010000" in err.value.reason


def test_sr8_sr9_the_dcc_checks_a_request_against_its_own_inventory_keys_and_clock(
        tmp_path) -> None:
    """The DCC accepts a request for a meter in its own inventory, reads the sender's
    certificate from its own keys, and checks it is valid at its own clock."""
    import shutil

    from specpkg.paths import PKI_DIR

    bed = make_testbed()
    new_esme = "00DB1234567890B7"
    bed.dcc.register(Registration(new_esme, Device.ESME, bed.user.user_id, "IS"))
    _, xml = bed.user.request("ESME", "TimeDebtRegister1", new_esme)
    assert bed.dcc.accept(xml).device is Device.ESME
    _, xml = bed.user.request("ESME", "TimeDebtRegister1", DEVICE_IDS[Device.ESME])
    bed.dcc.clock = reset_request.DEFAULT_CLOCK.replace(year=1990)
    assert _refused(bed.dcc.accept, xml).code is ResponseCode.CERTIFICATE_REFUSED
    for path in PKI_DIR.glob("*.*"):
        if not path.name.startswith(bed.user.user_id.lower()):
            shutil.copy(path, tmp_path / path.name)
    bed.dcc.keys_dir = tmp_path
    bed.dcc.clock = reset_request.DEFAULT_CLOCK
    assert _refused(bed.dcc.accept, xml).code is ResponseCode.UNKNOWN_SENDER


def test_ma1_an_esme_command_that_is_not_the_issued_one_is_refused_echoing_the_request() -> None:
    """MA-1: a validly signed ESME command (not packet-inspected) that is not the issued
    Pre-Command is refused with SIGNED_PRECOMMAND_MISMATCH and the request's RequestID."""
    bed = make_testbed()
    dcc, user = bed.dcc, bed.user
    request, xml = user.request("ESME", "TimeDebtRegister1", DEVICE_IDS[Device.ESME])
    dcc.pre_command(dcc.accept(xml))
    other = _pre_command_for(request, register=DebtRegister.TIME_DEBT_2)
    error = _refused(dcc.command, request.request_id, user.sign(messages.decode(other)))
    assert (error.code, error.request_id) == (ResponseCode.SIGNED_PRECOMMAND_MISMATCH,
                                              request.request_id)


def test_tr5_responses_are_signed_by_the_dccs_signer_from_the_dccs_keys(tmp_path) -> None:
    """TR-5: the DCC signs its Service Responses as its configured signer; a User reads
    them with that signer's certificate from its own keys and with no other."""
    import shutil

    from specpkg.paths import PKI_DIR

    other = "90B3D51F30020000"
    bed = make_testbed()
    bed.dcc.signer_id = other
    response = bed.run("ESME", "TimeDebtRegister1").service_response
    assert bed.user.receive(response, dcc_signer=other).success
    with pytest.raises(ValidationError):
        bed.user.receive(response)
    for path in PKI_DIR.glob("*.*"):
        if not path.name.startswith(other.lower()):
            shutil.copy(path, tmp_path / path.name)
    with pytest.raises(ValidationError):
        User(keys_dir=tmp_path).receive(response, dcc_signer=other)


def test_sr9_correlation_of_the_register_and_payload_says_what_differs() -> None:
    from specpkg.gbcs import dlms
    from specpkg.system.user import CorrelationError

    user = User()
    request, _ = user.request("ESME", "TimeDebtRegister1")
    other_register = _pre_command_for(request, register=DebtRegister.PAYMENT_DEBT)
    pre = messages.decode(_pre_command_for(request))
    (spec,) = pre.payload.specs
    non_zero = dataclasses.replace(pre, payload=dlms.AccessRequest(
        pre.payload.invoke_id, (spec,), (dlms.double_long(500),)))
    undecodable = b"\x00\x01"
    for data, field, says in ((other_register, "register", "PaymentDebtRegister"),
                              (messages.encode_apdu(non_zero), "payload", ""),
                              (undecodable, "pre_command", "offset")):
        with pytest.raises(CorrelationError) as err:
            user.correlate(request, data)
        assert err.value.field == field and isinstance(err.value.reason, str)
        assert says in err.value.reason and err.value.reason


def test_ma2_under_inspect_esme_the_dcc_packet_inspects_an_esme_reset() -> None:
    """MA-2: with ``inspect_esme`` the DCC packet-inspects ESME resets as it does GSME
    ones, so a validly signed command resetting another register is quarantined by
    packet inspection (by default it is refused later, by MA-1, with SIGNED_PRECOMMAND_MISMATCH)."""
    from specpkg.system.assumptions import Assumptions

    bed = make_testbed(assumptions=Assumptions(inspect_esme=True))
    dcc, user = bed.dcc, bed.user
    request, xml = user.request("ESME", "TimeDebtRegister1", DEVICE_IDS[Device.ESME])
    dcc.pre_command(dcc.accept(xml))
    other = _pre_command_for(request, register=DebtRegister.TIME_DEBT_2)
    error = _refused(dcc.command, request.request_id, user.sign(messages.decode(other)))
    assert (error.code, error.request_id) == (ResponseCode.QUARANTINED, request.request_id)
    assert "packet inspection" in error.reason


def test_sr12_a_command_anomaly_detection_refuses_is_answered_naming_the_request() -> None:
    """SR-12: a command that arrives with a time before one already screened (the DCC's
    clock set back) is refused by anomaly detection, and the error names the request."""
    bed = make_testbed()
    dcc, user = bed.dcc, bed.user
    bed.run("ESME", "TimeDebtRegister1")
    request, xml = user.request("ESME", "TimeDebtRegister2", DEVICE_IDS[Device.ESME])
    pre = dcc.pre_command(dcc.accept(xml))
    dcc.clock -= dt.timedelta(hours=1)
    error = _refused(dcc.command, request.request_id, user.sign(messages.decode(pre)))
    assert (error.code, error.request_id) == (ResponseCode.ANOMALY_REFUSED, request.request_id)


def _keys_without(entity_id: str, into) -> None:
    import shutil

    from specpkg.paths import PKI_DIR

    for path in PKI_DIR.glob("*.*"):
        if not path.name.startswith(entity_id.lower()):
            shutil.copy(path, into / path.name)


def test_tr5_the_dcc_signs_only_with_the_key_in_its_own_key_store(tmp_path) -> None:
    """TR-5: the DCC signs its responses with the signing key from its own keys; a DCC
    whose keys lack it signs nothing (ValidationError naming the keys)."""
    bed = make_testbed()
    _keys_without(bed.dcc.signer_id, tmp_path)
    bed.dcc.keys_dir = tmp_path
    with pytest.raises(ValidationError) as caught:
        bed.dcc.refuse(DuisError(ResponseCode.NO_DEVICE_RESPONSE, "silent"))
    assert caught.value.field == "keys"


def test_a_user_signs_its_requests_only_with_the_key_in_its_own_key_store(tmp_path) -> None:
    """A User whose keys lack its signing key cannot build a signed request."""
    _keys_without("90B3D51F30010000", tmp_path)
    with pytest.raises(ValidationError) as caught:
        User("90B3D51F30010000", keys_dir=tmp_path).request("ESME", "TimeDebtRegister1")
    assert caught.value.field == "keys"



def test_sr9_the_dcc_names_the_address_field_a_signed_pre_command_gets_wrong() -> None:
    """SR-9: a Signed Pre-Command for another device, from another originator or with
    another counter is refused naming the field, what it holds and what the request
    said (ids in their canonical upper-case spelling)."""
    from specpkg.gbcs.security import entity_id

    bed = make_testbed()
    dcc, user = bed.dcc, bed.user
    request, xml = user.request("ESME", "TimeDebtRegister1", DEVICE_IDS[Device.ESME])
    dcc.pre_command(dcc.accept(xml))
    other_meter = "00DB1234567890FF"
    cases = {
        "recipient": (dict(device_id=other_meter), entity_id(request.device_id).upper()),
        "originator": (dict(user_id="90B3D51F30020000"), entity_id(request.user_id).upper()),
        "counter": (dict(counter=request.counter + 1), str(request.counter)),
    }
    for name, (changes, wanted) in cases.items():
        signed = user.sign(messages.decode(_pre_command_for(request, **changes)))
        error = _refused(dcc.command, request.request_id, signed)
        assert error.code is ResponseCode.SIGNED_PRECOMMAND_MISMATCH, name
        assert error.reason.startswith(f"the Signed Pre-Command's {name} is "), error.reason
        assert error.reason.endswith(f", the request's {wanted}"), error.reason


def test_a_command_the_dcc_cannot_mac_is_undeliverable_naming_the_missing_key(
        monkeypatch) -> None:
    """A command whose ACB key or device certificate is missing is refused as
    undeliverable, echoing the request and saying which keys are missing."""
    bed = make_testbed()
    dcc, user = bed.dcc, bed.user
    request, xml = user.request("ESME", "TimeDebtRegister1", DEVICE_IDS[Device.ESME])
    pre = dcc.pre_command(dcc.accept(xml))
    signed = user.sign(user.correlate(request, pre))
    own = dcc.keys.public_key
    monkeypatch.setattr(dcc.keys, "public_key",  # the device's ka certificate gone
                        lambda entity, usage: None if usage == "ka" else own(entity, usage))
    error = _refused(dcc.command, request.request_id, signed)
    assert (error.code, error.request_id) == (ResponseCode.UNDELIVERABLE, request.request_id)
    assert error.reason == ("the ACB ka key or the device ka certificate is missing: the "
                            "command cannot be MAC'd")
