"""The existing Service Request 2.3 beside the new reset: regression SC-08 and finding F-3."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from specpkg.duis.reset_request import DEFAULT_CLOCK
from specpkg.gbcs import debt_messages as dm
from specpkg.gbcs import gbz, messages, reset_messages, zcl
from specpkg.meter.registers import DebtRegister, Device
from specpkg.system.flow import make_testbed
from specpkg.system.meters import DeviceReply, MeterStub
from specpkg.testing.scenarios import SR23_VALUES, sr23_regression, update_debt


@pytest.fixture(scope="module")
def regression():
    return sr23_regression()


# --------------------------------------------------------------------------- SC-08


def test_sc08_sr_2_3_runs_end_to_end_on_meters_of_both_versions(regression) -> None:
    """SC-08: ECS07 and GCS04, signed by the Supplier and MAC'd by the ACB, pass the Test
    CH (a GCS04 held by the GPF until the GSME wakes) and change each Debt Register by
    exactly the requested amount, on meters before and at the Release; each answer is
    signed by its meter."""
    assert set(regression) == {(stage, device) for stage in ("pre-release", "release")
                               for device in Device}
    for (_, device), run in regression.items():
        assert run.adjusted and run.response_signed and not run.alert
        assert run.route.message_code == (dm.ECS07 if device is Device.ESME else dm.GCS04)
        assert (run.route.held_for > timedelta(0)) is (device is Device.GSME)
        assert len(run.results) == (10 if device is Device.ESME else 3)


def test_sc08_the_meters_confirm_sr_2_3(regression) -> None:
    """SC-08: each meter answers SR 2.3 with success for every operation it carried out
    (not by the reset's rule, BR-4, which is for the reset use cases only)."""
    assert all(run.confirmed for run in regression.values()), {
        key: sorted(set(run.results)) for key, run in regression.items()}


class StuckMeter(MeterStub):
    """A meter whose Debt Register writes do not take effect."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.fault = True


@pytest.mark.parametrize("device", list(Device))
def test_sc08_a_meter_whose_writes_fail_answers_sr_2_3_with_failure(device) -> None:
    """SR 2.3 is judged by whether the adjustment took effect, so a meter that did not
    write its registers fails each of the three writes (and nothing else), though no
    register is zero either way."""
    bed = make_testbed(stub_class=StuckMeter)
    run = update_debt(bed, device, SR23_VALUES[device])
    assert run.response_signed and not run.adjusted and not run.confirmed
    assert sum(result != "success" for result in run.results) == len(DebtRegister)


def test_sc08_a_replayed_sr_2_3_command_changes_nothing() -> None:
    """The regression flow goes through the meter's real checks: the same GCS04 again is
    a replay, refused with an alert, and the registers stay as the first one left them."""
    bed = make_testbed()
    run = update_debt(bed, Device.GSME, SR23_VALUES[Device.GSME])
    meter = bed.stub("GSME")
    replay = meter.receive(run.route.data)
    assert replay.alert is not None and "not newer" in replay.alert.kind.value
    assert meter.state == run.after


# --------------------------------------------------------------------------- F-3


class NewerEventsOnly(MeterStub):
    """A GSME that ignores a Change Debt whose issuer event id is not newer than the last
    it carried out (as ZSE meters may do with issuer event ids; F-3)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.last_event = -1

    def _execute(self, apdu) -> DeviceReply:
        ids = [c.frame.payload.issuer_event_id for c in apdu.payload.components
               if isinstance(c.frame.payload, gbz.ChangeDebt)]
        if any(event <= self.last_event for event in ids):
            self.log.append("ignored: issuer event id not newer")
            return DeviceReply(response=self._sign(
                reset_messages.device_response(apdu, False)))
        self.last_event = max(ids, default=self.last_event)
        return super()._execute(apdu)


def test_f3_the_gsme_reset_carries_a_zigbee_time_as_gcs04_does() -> None:
    """F-3: the GSME reset's issuer event id is a ZigBee UTC time, the time it is issued."""
    result = make_testbed().run("GSME", "TimeDebtRegister1")
    (component,) = messages.decode(result.command).apdu.payload.components
    issued = zcl.from_zigbee_time(component.frame.payload.issuer_event_id)
    assert issued == DEFAULT_CLOCK  # the testbed's DCC clock
    assert issued > zcl.from_zigbee_time(dm.RTDS_ISSUER_EVENT_ID)  # later than GCS04's
    at = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    apdu = reset_messages.pre_command("GSME", "PaymentDebtRegister", "90B3D51F30010000",
                                      "00DB1234567890A1", 1, issued_at=at)
    assert apdu.payload.components[0].frame.payload.issuer_event_id == zcl.zigbee_time(at)
    with pytest.raises(Exception, match="outside ZigBee UTCTime"):
        reset_messages.issuer_event_id(datetime(1999, 12, 31, tzinfo=UTC))


def test_f3_a_meter_keeping_only_newer_events_takes_a_reset_after_gcs04() -> None:
    """F-3: after a GCS04 (issuer event id: its time), a time-based reset is newer, so a
    meter that keeps only newer events carries it out; a counter-based id would not be."""
    bed = make_testbed(stub_class=NewerEventsOnly)
    bed.dcc.clock = datetime(2019, 6, 27, 9, 0, tzinfo=UTC)
    gcs04 = update_debt(bed, Device.GSME, SR23_VALUES[Device.GSME])
    assert gcs04.adjusted
    meter = bed.stub("GSME")
    assert meter.last_event == zcl.zigbee_time(bed.dcc.clock)
    bed.dcc.clock += timedelta(minutes=1)
    result = bed.run("GSME", "TimeDebtRegister2")
    assert result.response_code == "I0" and result.after.time_debt_2 == 0
    assert result.request.counter < meter.last_event  # the old counter-based id: "older"


def test_f3_the_reset_carries_the_dccs_own_clock() -> None:
    """F-3: the DCC issues each GSME reset at its own clock, so two resets issued at
    different times carry different, increasing issuer event ids."""
    bed = make_testbed()
    bed.dcc.clock = datetime(2019, 7, 1, 8, 30, tzinfo=UTC)
    result = bed.run("GSME", DebtRegister.TIME_DEBT_1)
    (component,) = messages.decode(result.command).apdu.payload.components
    assert component.frame.payload.issuer_event_id == zcl.zigbee_time(bed.dcc.clock)
    bed.dcc.clock += timedelta(seconds=1)
    later = bed.run("GSME", DebtRegister.TIME_DEBT_1)
    (component,) = messages.decode(later.command).apdu.payload.components
    assert component.frame.payload.issuer_event_id == zcl.zigbee_time(bed.dcc.clock)


@pytest.mark.parametrize("device", list(Device))
def test_sc08_sr_2_3_settings_that_are_not_register_values_are_taken_as_given(device) -> None:
    """SR 2.3 on a meter at the Release: every operation succeeds, a register write
    judged by whether it took effect (not by BR-4, so a non-zero write succeeds) and a
    setting that is not a register value taken as given; the log shows both."""
    bed = make_testbed()
    run = update_debt(bed, device, SR23_VALUES[device])
    assert run.confirmed and run.adjusted
    log = bed.stub(device).log
    writes = [line for line in log if " -> " in line]
    assert len(writes) == len(DebtRegister) and all(w.endswith("(success)") for w in writes)
    if device is Device.ESME:
        assert any(line.endswith(": set (not a Debt Register value)") for line in log)


def _reset_writing(device: Device, payload) -> bytes:
    from specpkg.gbcs.security import Keys
    from specpkg.paths import PKI_DIR
    from specpkg.system.flow import DEVICE_IDS, SUPPLIER_ID

    pre = reset_messages.pre_command(device, DebtRegister.TIME_DEBT_1, SUPPLIER_ID,
                                     DEVICE_IDS[device], 5_000, DEFAULT_CLOCK)
    apdu = messages.command(pre.message_code, pre.originator, pre.recipient, 5_000, payload)
    return messages.encode(messages.protect(apdu, Keys(PKI_DIR), SUPPLIER_ID))


def test_br4_a_reset_that_writes_no_register_or_a_negative_one_answers_failure() -> None:
    """BR-4: a reset command is one register write; an operation that writes no Debt
    Register, or a value the register cannot hold, is not executed and answers failure."""
    from specpkg.gbcs import dlms

    obis = dlms.DEBT_REGISTER_OBIS[DebtRegister.TIME_DEBT_1]
    for method, value, logged in ((1, 0, "cannot execute: "), (5, -5, "refused ")):
        stub = make_testbed().stub("ESME")
        before = stub.state
        spec = dlms.RequestSpec(dlms.SpecKind.ACTION, 113, obis, method)
        payload = dlms.AccessRequest(dlms.invoke_id_for(5_000), (spec,),
                                     (dlms.double_long(value),))
        reply = stub.receive(_reset_writing(Device.ESME, payload))
        assert reset_messages.response_success(messages.decode(reply.response)) is False
        assert stub.state == before and stub.log[-1].startswith(logged)
