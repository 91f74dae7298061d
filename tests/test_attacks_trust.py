"""Issue 18, the trust chain and the DCC's bookkeeping: each defect an attacker found,
as the attack that must now be refused (SR-3, SR-9, SR-12, TR-5, TR-8, TR-10)."""

from __future__ import annotations

from specpkg.duis.codes import Outcome, ResponseCode
from specpkg.gbcs.catalogue import SUPPLIER_ROLE
from specpkg.gbcs.security import Keys
from specpkg.meter.registers import Device, PaymentMode
from specpkg.meter.simulation import example_meter
from specpkg.paths import PKI_DIR
from specpkg.system.dcc import Registration
from specpkg.system.flow import make_testbed
from specpkg.system.meters import AlertKind, MeterStub
from specpkg.system.user import User

SUPPLIER, OTHER = "90B3D51F30010000", "90B3D51F30020000"
#: An entity of the test PKI with ds and ka keys, used as a meter a User adds (TR-8).
ADDED_METER = "90B3D51F30070000"


# --- item 1: a change of Supplier A -> B -> A does not reopen replay -------------------

def test_a_command_captured_before_a_to_b_to_a_is_still_a_replay() -> None:
    bed = make_testbed()
    captured = bed.run("ESME", "TimeDebtRegister1").command
    bed.change_supplier("ESME", OTHER)
    bed.change_supplier("ESME", SUPPLIER)
    stub = bed.stub("ESME")
    before = stub.state
    reply = stub.receive(captured)
    assert reply.alert is not None and reply.alert.kind is AlertKind.REPLAY
    assert stub.state == before
    # the Supplier's next request still works: its counters carry on above the floor
    assert bed.run("ESME", "TimeDebtRegister2").response_code == ResponseCode.SUCCESS.value


def test_the_floor_is_what_the_dcc_last_macd_from_that_supplier() -> None:
    bed = make_testbed()
    assert bed.dcc.last_sent(SUPPLIER, bed.stub("GSME").device_id) is None
    result = bed.run("GSME", "TimeDebtRegister1")
    assert bed.dcc.last_sent(SUPPLIER, bed.stub("GSME").device_id) == result.request.counter
    assert bed.dcc.last_sent(OTHER, bed.stub("GSME").device_id) is None


# --- item 3: correlation uses the User's own inventory ----------------------------------

def _bed_with_added_meter():
    bed = make_testbed()
    keys = Keys(PKI_DIR)
    bed.dcc.register(Registration(ADDED_METER, Device.ESME, SUPPLIER, SUPPLIER_ROLE[Device.ESME]))
    bed.stubs[ADDED_METER] = MeterStub(ADDED_METER, Device.ESME,
                                       example_meter("ESME", PaymentMode.PREPAYMENT.value),
                                       keys, supplier=SUPPLIER)
    bed.hub.join(ADDED_METER, Device.ESME)
    return bed


def test_a_reset_to_a_meter_the_user_added_ends_in_one_outcome() -> None:
    bed = _bed_with_added_meter()
    request, xml = bed.user.request(Device.ESME, "TimeDebtRegister1", ADDED_METER)
    result = bed.run_xml(xml, request)
    assert result.outcome is Outcome.SUCCESS
    assert bed.stubs[ADDED_METER].state.time_debt_1 == 0


def test_a_device_the_user_does_not_know_is_not_signed() -> None:
    bed = _bed_with_added_meter()
    stranger = User(SUPPLIER)  # never asked for nor added the meter
    request, xml = bed.user.request(Device.ESME, "TimeDebtRegister1", ADDED_METER)
    result = bed.run_xml(xml, request, user=stranger)
    assert result.outcome is Outcome.NOT_SIGNED
    stranger.add_device(ADDED_METER, "ESME")
    stranger.next_counter += 10  # above the counter the DCC took from the first request
    request, xml = stranger.request(Device.ESME, "TimeDebtRegister2", ADDED_METER)
    assert bed.run_xml(xml, request, user=stranger).outcome is Outcome.SUCCESS


# --- item 5: an inventory meter with no registration ------------------------------------

def test_a_meter_in_the_inventory_with_no_registration_is_an_unknown_device() -> None:
    bed = make_testbed()
    bed.dcc.register_device(ADDED_METER, "ESME")
    request, xml = bed.user.request(Device.ESME, "TimeDebtRegister1", ADDED_METER)
    result = bed.run_xml(xml, request)
    assert result.outcome is Outcome.REFUSED
    assert result.response_code == ResponseCode.UNKNOWN_DEVICE.value


# --- item 2: one freshness rule, per User and device -----------------------------------

def test_the_same_counter_to_another_device_is_a_new_request_end_to_end() -> None:
    bed = make_testbed()
    assert bed.run("ESME", "TimeDebtRegister1").response_code == ResponseCode.SUCCESS.value
    bed.user.next_counter = 1000  # the same counter, to the GSME
    gas = bed.run("GSME", "TimeDebtRegister1")
    assert gas.response_code == ResponseCode.SUCCESS.value
    # and the same counter to the same device is refused, once, at access control
    bed.user.next_counter = 1000
    again = bed.run("GSME", "TimeDebtRegister2")
    assert again.response_code == ResponseCode.COUNTER_NOT_INCREASING.value


def test_engine_and_replay_share_the_per_device_rule() -> None:
    from specpkg.anomaly.engine import ThresholdEngine
    from specpkg.anomaly.records import Refusal, Request
    from specpkg.anomaly.replay import RequestBatch, replay
    from specpkg.anomaly.thresholds import Threshold, ThresholdTable

    table = ThresholdTable([Threshold(SUPPLIER, "2.4", "volume", 3600, 100)])
    esme, gsme = "00DB1234567890A0", "00DB1234567890A1"
    records = [Request(5, SUPPLIER, "2.4", device, "TimeDebtRegister1", t, 0)
               for t, device in enumerate([esme, gsme, esme, gsme])]
    records.append(Request(4, SUPPLIER, "2.4", gsme, "TimeDebtRegister1", 9, 0))  # stale
    records.append(Request(6, SUPPLIER, "2.4", gsme, "TimeDebtRegister1", 9, 0))
    engine = ThresholdEngine(table, count_quarantined=True)
    refusals = [engine.submit(r).refusal for r in records]
    expected = [Refusal.NONE, Refusal.NONE, Refusal.DUPLICATE, Refusal.DUPLICATE,
                Refusal.DUPLICATE, Refusal.NONE]
    assert refusals == expected
    result = replay(RequestBatch.from_records(records), table, count_quarantined=True)
    assert [Refusal(r) for r in result.refusal.tolist()] == expected
