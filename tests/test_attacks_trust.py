"""Issue 18, the trust chain and the DCC's bookkeeping: each defect an attacker found,
as the attack that must now be refused (SR-3, SR-9, SR-12, TR-5, TR-8, TR-10)."""

from __future__ import annotations

import datetime as dt

import pytest

from specpkg.anomaly.campaign import Campaign
from specpkg.anomaly.engine import ThresholdEngine
from specpkg.anomaly.records import TIMESTAMP_MAX, Refusal, Request
from specpkg.anomaly.replay import RequestBatch, replay
from specpkg.anomaly.thresholds import DCC, Threshold, ThresholdTable
from specpkg.duis.codes import Outcome, ResponseCode
from specpkg.duis.reset_request import make_request
from specpkg.errors import ValidationError
from specpkg.gbcs import reset_messages
from specpkg.gbcs.catalogue import SUPPLIER_ROLE
from specpkg.gbcs.security import Keys
from specpkg.meter.registers import DebtRegister, Device, PaymentMode
from specpkg.meter.simulation import example_meter
from specpkg.paths import PKI_DIR
from specpkg.system.assumptions import Assumptions
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


def test_a_device_added_in_any_spelling_of_its_id_is_known_by_its_canonical_id() -> None:
    """TR-8: a User that adds a meter by an id in lower case with dashes knows it by the
    canonical id correlation looks up, and signs a reset for it."""
    bed = _bed_with_added_meter()
    stranger = User(SUPPLIER)
    dashed = "-".join(ADDED_METER[i:i + 2] for i in range(0, 16, 2)).lower()
    stranger.add_device(dashed, "ESME")
    assert stranger.inventory[ADDED_METER.upper()] == Device.ESME.value
    request, xml = bed.user.request(Device.ESME, "TimeDebtRegister1", ADDED_METER)
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


# --- item 11: the engine, the replay and the DCC agree at the edges ---------------------

def _one(user: str, t: int):
    return Request(1, user, "2.4", "00DB1234567890A0", "TimeDebtRegister1", t, 0)


def test_a_timestamp_above_2_62_is_refused_by_engine_and_replay_alike() -> None:
    table = ThresholdTable([Threshold(SUPPLIER, "2.4", "volume", 3600, 5)])
    engine = ThresholdEngine(table, count_quarantined=True)
    assert engine.submit(_one(SUPPLIER, TIMESTAMP_MAX + 1)).refusal is Refusal.TIMESTAMP
    batch = RequestBatch.from_records([_one(SUPPLIER, 0)])
    late = RequestBatch(batch.request_id, batch.user, batch.service, batch.device,
                        batch.register, batch.timestamp + TIMESTAMP_MAX + 1, batch.data_value,
                        users=batch.users, services=batch.services)
    result = replay(late, table, count_quarantined=True)
    assert Refusal(int(result.refusal[0])) is Refusal.TIMESTAMP


def test_the_dccs_own_id_is_never_a_user() -> None:
    table = ThresholdTable([Threshold(DCC, "2.4", "volume", 3600, 5),
                            Threshold(SUPPLIER, "2.4", "volume", 3600, 5)])
    engine = ThresholdEngine(table, count_quarantined=True)
    with pytest.raises(ValidationError) as err:
        engine.add_user(DCC)
    assert err.value.field == "user_id"
    with pytest.raises(ValidationError):
        ThresholdEngine(table, count_quarantined=True, users=[SUPPLIER, DCC])
    assert engine.submit(_one(DCC, 0)).refusal is Refusal.USER
    result = replay(RequestBatch.from_records([_one(DCC, 0)]), table, count_quarantined=True,
                    users=[SUPPLIER, DCC])
    assert Refusal(int(result.refusal[0])) is Refusal.USER


def test_with_ma1_off_a_command_retargeted_to_another_meter_is_refused() -> None:
    bed = make_testbed(assumptions=Assumptions(compare_with_issued=False))
    bed.change_supplier("GSME", OTHER)
    gsme = bed.stub("GSME").device_id

    def retarget(_signed: bytes) -> bytes:  # the request is for the ESME, the command not
        apdu = reset_messages.pre_command(Device.GSME, DebtRegister.TIME_DEBT_1, SUPPLIER,
                                          gsme, 1000, bed.dcc.clock)
        return bed.user.sign(apdu)

    result = bed.run("ESME", "TimeDebtRegister1", signed=retarget)
    assert result.response_code == ResponseCode.SIGNED_PRECOMMAND_MISMATCH.value
    assert result.command == b"" and bed.dcc.last_sent(SUPPLIER, gsme) is None


def _quarantining_bed():
    return make_testbed(thresholds=ThresholdTable([Threshold(SUPPLIER, "2.4", "volume",
                                                             3600, 0)]))


def test_only_the_user_who_sent_it_releases_or_rejects_a_quarantined_command() -> None:
    bed = _quarantining_bed()
    held = bed.run("ESME", "TimeDebtRegister1")
    assert held.outcome is Outcome.QUARANTINED
    rid = held.request.request_id
    for act in (bed.dcc.release, bed.dcc.reject):
        with pytest.raises(ValidationError) as err:
            act(rid, OTHER)
        assert err.value.field == "user_id"
        assert err.value.reason == (f"{OTHER} did not send {rid}: only its User releases "
                                    "or rejects it")
    assert bed.release(held).outcome is Outcome.SUCCESS  # still held, for its own User


def test_the_user_checks_the_request_id_and_the_time_of_a_response() -> None:
    bed = make_testbed()
    first = bed.run("ESME", "TimeDebtRegister1")
    second = bed.run("ESME", "TimeDebtRegister2")
    clock = bed.dcc.clock
    assert bed.user.receive(first.service_response, at=clock, request=first.request).success
    with pytest.raises(ValidationError, match="not the request sent"):
        bed.user.receive(first.service_response, at=clock, request=second.request)
    with pytest.raises(ValidationError, match="not one of"):
        User(OTHER).receive(first.service_response, at=clock)
    with pytest.raises(ValidationError, match="after it was received"):
        bed.user.receive(first.service_response, at=clock - dt.timedelta(minutes=1))
    with pytest.raises(ValidationError, match="before the request was sent"):
        bed.user.receive(first.service_response, at=clock + dt.timedelta(hours=2),
                         sent_at=clock + dt.timedelta(hours=1))


def _refusal(check, *args) -> tuple[str, str]:
    with pytest.raises(ValidationError) as err:
        check(*args)
    return err.value.field, err.value.reason


def test_each_refusal_of_a_response_names_the_response_and_why() -> None:
    """The User's checks of a response's RequestID and time, each refusal typed and
    worded; a response of the User's own (either case of hex) and one in time pass."""
    from specpkg.system.user import _check_request_id, _check_time

    at = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    own = "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1000"
    assert _check_request_id(own.lower(), SUPPLIER, None) is None
    assert _refusal(_check_request_id, own, OTHER, None) == (
        "response", f"RequestID {own} is not one of {OTHER}'s")
    assert _refusal(_check_request_id, "not-an-id:x:1", SUPPLIER, None) == (
        "response", f"RequestID not-an-id:x:1 is not one of {SUPPLIER}'s")
    request = make_request(Device.ESME, DebtRegister.TIME_DEBT_1, 7, user_id=SUPPLIER)
    assert _check_request_id(request.request_id.lower(), SUPPLIER, request) is None
    assert _refusal(_check_request_id, own, SUPPLIER, request) == (
        "response", f"answers RequestID {own}, not the request sent, {request.request_id}")
    assert _check_time(at.isoformat(), at, at) is None  # at the very instant: in time
    assert _refusal(_check_time, "noon", at, None) == (
        "response", "ResponseDateTime 'noon' is not a time")
    assert _refusal(_check_time, "2026-03-01T12:00:00", at, None) == (
        "response", "ResponseDateTime '2026-03-01T12:00:00' has no time zone")
    later = (at + dt.timedelta(seconds=1)).isoformat()
    assert _refusal(_check_time, later, at, None) == (
        "response", f"dated {later}, after it was received ({at.isoformat()})")
    sent = at + dt.timedelta(seconds=2)
    assert _refusal(_check_time, later, sent + dt.timedelta(hours=1), sent) == (
        "response", f"dated {later}, before the request was sent ({sent.isoformat()})")


def test_a_campaign_starting_after_the_simulation_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        Campaign(meters=10, first_day=14, simulation_days=14)
    assert err.value.field == "first_day"
    Campaign(meters=10, first_day=13, simulation_days=14)


def test_the_dcc_refuses_a_meter_without_a_supplier_and_a_replay_naming_each() -> None:
    """A meter the DCC knows but with no Supplier registered is UNKNOWN_DEVICE; a request
    whose counter is not above the last accepted is refused naming both counters; each
    refusal echoes the request's RequestID."""
    from specpkg.duis.codes import DuisError

    bed = make_testbed()
    first = bed.run("ESME", "TimeDebtRegister1")
    with pytest.raises(DuisError) as err:
        bed.dcc.accept(first.request_xml)
    assert (err.value.code, err.value.reason, err.value.request_id) == (
        ResponseCode.COUNTER_NOT_INCREASING,
        f"counter {first.request.counter} is not greater than {first.request.counter}, the "
        f"last accepted from {SUPPLIER} for {first.request.device_id}", first.request.echo_id)
    gas = bed.run("GSME", "TimeDebtRegister1").request
    bed.dcc.registrations.pop(gas.device_id)
    bed.dcc.register_device(gas.device_id, Device.GSME.value)  # known, no Supplier
    _, xml = bed.user.request("GSME", "TimeDebtRegister2")
    with pytest.raises(DuisError) as err:
        bed.dcc.accept(xml)
    assert (err.value.code, err.value.reason) == (
        ResponseCode.UNKNOWN_DEVICE, f"{gas.device_id} has no registered Supplier")
    assert err.value.request_id.endswith(f":{bed.user.next_counter - 1}")
