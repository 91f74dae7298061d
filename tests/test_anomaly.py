"""Threshold anomaly detection (SR-12, TR-10): quarantine, notifications, the
two engines' exact agreement, and nothing dropped under load."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specpkg.anomaly.engine import DCC, DISPOSITION_CODES, Disposition, ThresholdEngine
from specpkg.anomaly.records import Refusal, Request
from specpkg.anomaly.replay import RequestBatch, counts_by_period, notifications, replay
from specpkg.anomaly.thresholds import Threshold, ThresholdTable
from specpkg.anomaly.traffic import EXAMPLE_USERS, UNKNOWN_USER, generate_batch, to_records
from specpkg.errors import ValidationError

A, B, C, D = EXAMPLE_USERS
DEVICE = "00DB1234567890A0"


def reset(rid: int, t: int, user: str = A, value: int = 0,
          register: str | None = "TimeDebtRegister1", service: str = "2.4") -> Request:
    return Request(rid, user, service, DEVICE, register, t, value)


def engine_with(*thresholds: Threshold, users=EXAMPLE_USERS,
                count_quarantined: bool = True) -> ThresholdEngine:
    return ThresholdEngine(ThresholdTable(thresholds), count_quarantined=count_quarantined,
                           users=users)


def decisions_as_arrays(engine: ThresholdEngine) -> tuple[np.ndarray, ...]:
    return (
        np.array([DISPOSITION_CODES.index(d.disposition) for d in engine.decisions], dtype=np.int8),
        np.array([int(d.refusal) for d in engine.decisions], dtype=np.int8),
        np.array([d.mask for d in engine.decisions], dtype=np.uint64),
        np.array([d.dcc_mask for d in engine.decisions], dtype=np.uint64),
    )


# --- SR-12: the reset commands are subject to threshold anomaly detection -----------


def test_sr12_volume_window_is_rolling_and_half_open() -> None:
    engine = engine_with(Threshold(A, "2.4", "volume", 60, 2))
    outcomes = [engine.submit(reset(i, t)).disposition
                for i, t in enumerate([0, 10, 20, 60, 100])]
    # at 20: 0,10,20 in (-40, 20] -> 3 > 2; at 60: (0, 60] holds 10,20,60 -> 3;
    # at 100: (40, 100] holds 60,100 -> 2.
    assert outcomes == [Disposition.DELIVERED, Disposition.DELIVERED, Disposition.QUARANTINED,
                        Disposition.QUARANTINED, Disposition.DELIVERED]


def test_sr12_volume_counts_per_user_and_service_reference() -> None:
    engine = engine_with(Threshold(A, "2.4", "volume", 3600, 1))
    assert engine.submit(reset(1, 0)).disposition is Disposition.DELIVERED
    assert engine.submit(reset(2, 1, user=B)).disposition is Disposition.DELIVERED
    other_service = engine.submit(reset(3, 2, service="2.3", register=None))
    assert other_service.disposition is Disposition.DELIVERED
    assert engine.submit(reset(4, 3)).disposition is Disposition.QUARANTINED


def test_sr12_data_value_threshold_quarantines_a_non_zero_reset() -> None:
    engine = engine_with(Threshold(A, "2.4", "data_value", 0, 0))
    assert engine.submit(reset(1, 0, value=0)).disposition is Disposition.DELIVERED
    decision = engine.submit(reset(2, 1, value=1))
    assert decision.disposition is Disposition.QUARANTINED
    assert decision.mask == 1 and "data value" in decision.reason


def test_sr12_reason_names_every_threshold_exceeded() -> None:
    engine = engine_with(Threshold(A, "2.4", "volume", 60, 0),
                         Threshold(A, "2.4", "volume", 3600, 5),
                         Threshold(A, "2.4", "data_value", 0, 0))
    decision = engine.submit(reset(1, 0, value=7))
    assert decision.mask == 0b101
    assert decision.reason.count(";") == 1 and "60 s" in decision.reason


def test_sr12_no_threshold_means_delivered() -> None:
    engine = engine_with(Threshold(A, "2.4", "volume", 60, 0))
    assert engine.submit(reset(1, 0, user=B, value=99)).disposition is Disposition.DELIVERED
    assert [r.request_id for r in engine.delivered] == [1]


@pytest.mark.parametrize(
    ("record", "refusal"),
    [
        (("too", "short"), Refusal.RECORD),
        (reset(-1, 0), Refusal.REQUEST_ID),
        (reset(1, 0, user=UNKNOWN_USER), Refusal.USER),
        (reset(1, 0, user="some one"), Refusal.USER),
        (reset(1, 0, service="2.x"), Refusal.SERVICE),
        (Request(1, A, "2.4", "00DB", "TimeDebtRegister1", 0, 0), Refusal.DEVICE),
        (reset(1, 0, register="DebtRegister9"), Refusal.REGISTER),
        (reset(1, 0, register=None), Refusal.REGISTER),
        (reset(1, 1.5), Refusal.TIMESTAMP),
        (reset(1, 0, value=-1), Refusal.DATA_VALUE),
        (reset(1, 0, value=2**31), Refusal.DATA_VALUE),
    ],
)
def test_sr12_invalid_records_are_refused_with_their_field(record, refusal: Refusal) -> None:
    engine = engine_with(Threshold(A, "2.4", "volume", 60, 0))
    decision = engine.submit(record)
    assert (decision.disposition, decision.refusal) == (Disposition.REFUSED, refusal)
    assert decision.reason.startswith(refusal.field)
    assert engine.notifications == [] and engine.delivered == []
    engine.submit(reset(2, 0))
    again = engine.submit(record)
    assert (again.sequence, again.request_id) == (2, getattr(record, "request_id", None))


def test_sr12_duplicates_and_late_arrivals_are_refused_and_not_counted() -> None:
    engine = engine_with(Threshold(A, "2.4", "volume", 3600, 1))
    assert engine.submit(reset(1, 100)).disposition is Disposition.DELIVERED
    assert engine.submit(reset(1, 101)).refusal is Refusal.DUPLICATE
    assert engine.submit(reset(2, 99)).refusal is Refusal.OUT_OF_ORDER
    # 100 and 200 counted, not the refused ones
    assert engine.submit(reset(3, 200)).disposition is Disposition.QUARANTINED


def test_sr12_the_dccs_own_threshold_counts_every_users_requests() -> None:
    """SR-12 "affecting both DCC Users and the DCC": a DCC threshold of 3 an hour is
    exceeded by the fourth reset of any Users together, though no User is over its own;
    the quarantine names the DCC threshold and is notified to the User and the DCC."""
    engine = engine_with(Threshold(A, "2.4", "volume", 3600, 10),
                         Threshold(DCC, "2.4", "volume", 3600, 3))
    got = [engine.submit(reset(i, i, user=u)) for i, u in enumerate([A, B, C, D, A])]
    assert [d.disposition for d in got] == [Disposition.DELIVERED] * 3 + [
        Disposition.QUARANTINED] * 2
    assert got[3].mask == 0 and got[3].dcc_mask == 1
    assert got[3].reason == "DCC threshold: volume: more than 3 x 2.4 in 3600 s"
    assert [n.recipient for n in engine.notifications][:2] == [D, DCC]
    assert DCC not in engine.table.users()


def test_sr12_request_ids_are_per_user() -> None:
    """User B's request 1 is not a repeat of User A's request 1."""
    engine = engine_with(Threshold(A, "2.4", "volume", 3600, 5))
    assert engine.submit(reset(1, 0)).disposition is Disposition.DELIVERED
    assert engine.submit(reset(1, 1, user=B)).disposition is Disposition.DELIVERED
    assert engine.submit(reset(1, 2)).refusal is Refusal.DUPLICATE


@pytest.mark.parametrize(("count_quarantined", "expected"), [
    (True, [Disposition.DELIVERED, Disposition.DELIVERED, Disposition.QUARANTINED,
            Disposition.QUARANTINED]),
    (False, [Disposition.DELIVERED, Disposition.DELIVERED, Disposition.QUARANTINED,
             Disposition.DELIVERED]),
])
def test_sr12_ma4_whether_quarantined_requests_count(count_quarantined, expected) -> None:
    """Model assumption MA-4: limit 2 an hour, sends at 0, 30, 40 and 65 minutes. The
    third is over either way; the fourth only if the quarantined third still counts."""
    engine = engine_with(Threshold(A, "2.4", "volume", 3600, 2),
                         count_quarantined=count_quarantined)
    got = [engine.submit(reset(i, minutes * 60)).disposition
           for i, minutes in enumerate([0, 30, 40, 65])]
    assert got == expected


def test_sr10_packet_inspection_quarantine_is_held_and_notified_by_the_engine() -> None:
    engine = engine_with(Threshold(A, "2.4", "volume", 3600, 5))
    decision = engine.submit(reset(1, 0), quarantine="Debt Amount is 500, not 0")
    assert decision.disposition is Disposition.QUARANTINED and decision.mask == 0
    assert decision.reason == "packet inspection: Debt Amount is 500, not 0"
    assert [n.reason for n in engine.notifications_for(A)] == [decision.reason]
    assert engine.counts()[Disposition.QUARANTINED] == 1


# --- TR-10: Users set ADTs and receive quarantine notifications ---------------------


def test_tr10_quarantine_notifies_user_and_dcc() -> None:
    engine = engine_with(Threshold(A, "2.4", "volume", 60, 0))
    engine.submit(reset(7, 5))
    to_user, to_dcc = engine.notifications_for(A), engine.notifications_for(DCC)
    assert len(to_user) == len(to_dcc) == 1
    assert (to_user[0].event, to_user[0].request_id, to_user[0].timestamp) == ("quarantined", 7, 5)
    assert engine.notifications_for(B) == []
    assert [(r.request_id, why) for r, why in engine.quarantined(A)] == [(7, to_user[0].reason)]


def test_tr10_release_delivers_and_reject_does_not() -> None:
    engine = engine_with(Threshold(A, "2.4", "volume", 60, 0))
    for rid in (1, 2):
        engine.submit(reset(rid, rid))
    assert engine.counts()[Disposition.QUARANTINED] == 2
    assert engine.release(1, A).request_id == 1
    engine.reject(2, A)
    settled = engine.counts()
    assert (settled[Disposition.QUARANTINED], settled[Disposition.DELIVERED],
            settled[Disposition.REJECTED]) == (0, 1, 1)
    for rid in (3, 4, 5):
        engine.submit(reset(rid, 100 + rid))
    engine.release(3, A)
    engine.release(4, A)
    engine.reject(5, A)
    settled = engine.counts()
    assert (settled[Disposition.QUARANTINED], settled[Disposition.DELIVERED],
            settled[Disposition.REJECTED]) == (0, 3, 2)
    assert sum(settled.values()) == 5
    engine = engine_with(Threshold(A, "2.4", "volume", 60, 0))
    for rid in (1, 2):
        engine.submit(reset(rid, rid))
    engine.release(1, A)
    engine.reject(2, A)
    assert [r.request_id for r in engine.delivered] == [1]
    assert [engine.disposition(i) for i in (0, 1)] == [Disposition.DELIVERED, Disposition.REJECTED]
    assert [n.event for n in engine.notifications_for(DCC)] == [
        "quarantined", "quarantined", "released", "rejected"]
    assert [n.event for n in engine.notifications_for(A)] == [
        "quarantined", "quarantined", "released", "rejected"]
    assert engine.quarantined() == []


def test_tr10_only_the_sending_user_can_release() -> None:
    engine = engine_with(Threshold(A, "2.4", "volume", 60, 0))
    engine.submit(reset(1, 0))
    with pytest.raises(ValidationError) as err:
        engine.release(1, B)  # B has no request 1 in quarantine: requests are per User
    assert err.value.field == "request_id"
    with pytest.raises(ValidationError) as err:
        engine.reject(99, A)
    assert err.value.field == "request_id"
    assert err.value.reason == f"{A} has no request 99 in quarantine"
    with pytest.raises(ValidationError) as err:
        engine.reject(1, A, device_id="00DB1234567890AB")  # held for another device
    assert err.value.reason == f"{A} has no request 1 in quarantine for device 00DB1234567890AB"
    engine.reject(1, A)
    with pytest.raises(ValidationError):
        engine.release(1, A)  # ends exactly once


def test_tr10_user_sets_thresholds_during_the_stream() -> None:
    engine = engine_with(Threshold(A, "2.4", "volume", 3600, 10))
    assert engine.submit(reset(1, 0)).disposition is Disposition.DELIVERED
    engine.set_threshold(Threshold(A, "2.4", "volume", 3600, 1))  # same window: history kept
    assert engine.submit(reset(2, 1)).disposition is Disposition.QUARANTINED
    engine.replace_thresholds(A, [Threshold(A, "2.4", "data_value", 0, 0)])
    assert engine.submit(reset(3, 2)).disposition is Disposition.DELIVERED
    assert engine.submit(reset(4, 3, value=1)).disposition is Disposition.QUARANTINED


# --- under load: nothing dropped, and the two engines agree exactly -----------------


@pytest.fixture(scope="module")
def load() -> tuple[ThresholdTable, RequestBatch, list]:
    table = ThresholdTable([
        Threshold(A, "2.4", "volume", 3600, 400), Threshold(A, "2.4", "volume", 600, 80),
        Threshold(A, "2.4", "data_value", 0, 0), Threshold(A, "2.3", "data_value", 0, 40_000),
        Threshold(B, "2.4", "volume", 60, 3), Threshold(B, "2.3", "volume", 3600, 500),
        Threshold(C, "2.4", "data_value", 0, 0),
    ])
    batch = generate_batch(100_000, seed=20190627, bad_fraction=0.002, burst_fraction=0.05)
    return table, batch, to_records(batch)


def test_sr12_tr10_counts_add_up_under_load(load) -> None:
    table, _, records = load
    engine = ThresholdEngine(table, count_quarantined=True, users=EXAMPLE_USERS)
    engine.submit_many(records)
    counts = engine.counts()
    assert sum(counts.values()) == len(records) == 100_000
    kinds = (Disposition.DELIVERED, Disposition.QUARANTINED, Disposition.REFUSED)
    assert min(counts[o] for o in kinds) > 0
    assert len(engine.delivered) == counts[Disposition.DELIVERED]
    assert len(engine.notifications) == 2 * counts[Disposition.QUARANTINED]
    held = [r for r, _ in engine.quarantined()]
    assert len(held) == counts[Disposition.QUARANTINED]
    for i, request in enumerate(held):  # the Users release every other one, reject the rest
        (engine.release if i % 2 == 0 else engine.reject)(request.request_id, request.user_id)
    after = engine.counts()
    assert after[Disposition.QUARANTINED] == 0
    assert after[Disposition.REFUSED] == counts[Disposition.REFUSED]
    assert after[Disposition.DELIVERED] == counts[Disposition.DELIVERED] + (len(held) + 1) // 2
    assert after[Disposition.REJECTED] == len(held) // 2
    assert sum(after.values()) == 100_000
    assert len(engine.delivered) == after[Disposition.DELIVERED]
    delivered = [(r.user_id, r.request_id) for r in engine.delivered]
    assert len(set(delivered)) == len(delivered)
    # every quarantine, release and rejection told to the User and to the DCC
    assert len(engine.notifications) == 2 * (counts[Disposition.QUARANTINED] + len(held))


def test_sr12_replay_agrees_with_reference_engine_under_load(load) -> None:
    table, batch, records = load
    engine = ThresholdEngine(table, count_quarantined=True, users=EXAMPLE_USERS)
    engine.submit_many(records)
    expected = decisions_as_arrays(engine)
    for columns, few_pairs in ((batch, 16), (batch, 0), (RequestBatch.from_records(records), 16)):
        with patch("specpkg.anomaly.replay._FEW_PAIRS", few_pairs):
            result = replay(columns, table, count_quarantined=True, users=EXAMPLE_USERS)
        np.testing.assert_array_equal(result.disposition, expected[0])
        np.testing.assert_array_equal(result.refusal, expected[1])
        np.testing.assert_array_equal(result.mask, expected[2])
    assert notifications(batch, table, result) == engine.notifications


def test_counts_by_period_add_up(load) -> None:
    table, batch, _ = load
    result = replay(batch, table, count_quarantined=True, users=EXAMPLE_USERS)
    hourly = counts_by_period(batch.timestamp, result.disposition, 3600)
    assert hourly.to_numpy().sum() == len(batch)
    assert dict(hourly.sum()) == {o.value: n for o, n in result.counts().items()}


USERS = st.sampled_from([A, B, C.lower(), UNKNOWN_USER, "bad id"])
RECORDS = st.lists(
    st.one_of(
        st.tuples(
            st.integers(-1, 30), USERS, st.sampled_from(["2.4", "2.3", "x"]),
            st.sampled_from([DEVICE, "zz"]),
            st.sampled_from([None, "TimeDebtRegister2", "PAYMENT_DEBT", "nope"]),
            st.integers(-1, 40), st.integers(-1, 3),
        ).map(lambda fields: Request(*fields)),
        st.just(("short",)),
    ),
    max_size=60,
)
OWNERS = st.sampled_from([A, B, C, DCC])  # the DCC's own thresholds count every User
THRESHOLDS = st.lists(
    st.builds(Threshold, OWNERS, st.sampled_from(["2.4", "2.3"]),
              st.just("volume"), st.integers(1, 15), st.integers(0, 4))
    | st.builds(Threshold, OWNERS, st.sampled_from(["2.4", "2.3"]),
                st.just("data_value"), st.just(0), st.integers(0, 2)),
    max_size=6, unique_by=lambda t: t.key,
)


@settings(max_examples=150, deadline=None)
@given(records=RECORDS, thresholds=THRESHOLDS, monotone=st.booleans(),
       count_quarantined=st.booleans(), inspected=st.lists(st.booleans(), min_size=60,
                                                           max_size=60))
def test_sr12_replay_agrees_with_reference_engine_property(
        records, thresholds, monotone, count_quarantined, inspected) -> None:
    """Both engines, both settings of MA-4 (count_quarantined), with packet-inspection
    quarantines mixed in: the same dispositions, refusals, masks and notifications."""
    if monotone:  # mostly in order, so that windows fill up
        records = [r._replace(timestamp=max(0, i // 2)) if isinstance(r, Request) and i % 7
                   else r for i, r in enumerate(records)]
    flags = np.array(inspected[:len(records)], dtype=bool)
    table = ThresholdTable(thresholds)
    engine = ThresholdEngine(table, count_quarantined=count_quarantined, users=[A, B, C])
    for record, flag in zip(records, flags, strict=True):
        engine.submit(record, quarantine="bad payload" if flag else "")
    disposition, refusal, mask, dcc_mask = decisions_as_arrays(engine)
    batch = RequestBatch.from_records(records)
    for few_pairs in (16, 0):  # rows picked per pair, or by one sort
        with patch("specpkg.anomaly.replay._FEW_PAIRS", few_pairs):
            result = replay(batch, table, count_quarantined=count_quarantined,
                            users=[A, B, C], inspected=flags)
        np.testing.assert_array_equal(result.disposition, disposition)
        np.testing.assert_array_equal(result.refusal, refusal)
        np.testing.assert_array_equal(result.mask, mask)
        np.testing.assert_array_equal(result.dcc_mask, dcc_mask)
    quarantines = [n for n in engine.notifications if n.event == "quarantined"]
    assert notifications(batch, table, result, flags, "bad payload") == quarantines


def test_batch_codes_are_checked() -> None:
    batch = generate_batch(10, seed=1)
    with pytest.raises(ValidationError) as err:
        RequestBatch(**{**batch.__dict__, "user": batch.user + 10})
    assert err.value.field == "user"
    with pytest.raises(ValidationError) as err:
        RequestBatch(**{**batch.__dict__, "timestamp": batch.timestamp[:5]})
    assert err.value.field == "timestamp"


def test_empty_batch() -> None:
    empty = RequestBatch.from_records([])
    result = replay(empty, ThresholdTable([Threshold(A, "2.4", "volume", 60, 1)]),
                    count_quarantined=True)
    assert sum(result.counts().values()) == 0


# --- TR-10: what the notifications and the quarantine list say -----------------------


def test_tr10_release_and_reject_are_notified_at_their_own_time_with_the_reason() -> None:
    """TR-10: a release or rejection is notified to the User and the DCC with the
    quarantine's reason, stamped when it happened (the request's time when not given)."""
    engine = engine_with(Threshold(A, "2.4", "volume", 60, 0))
    engine.submit(reset(1, 10))
    engine.submit(reset(2, 11))
    engine.submit(reset(3, 12))
    reason = engine.decisions[0].reason
    engine.release(1, A, at=100)
    engine.reject(2, A, at=200)
    engine.reject(3, A)
    later = [(n.recipient, n.event, n.request_id, n.timestamp, n.reason)
             for n in engine.notifications[6:]]
    assert later == [(A, "released", 1, 100, reason), (DCC, "released", 1, 100, reason),
                     (A, "rejected", 2, 200, reason), (DCC, "rejected", 2, 200, reason),
                     (A, "rejected", 3, 12, reason), (DCC, "rejected", 3, 12, reason)]


def test_tr10_quarantine_list_per_user_and_for_the_dcc() -> None:
    """The quarantine lists each User's held commands, oldest first; the DCC's inbox is
    addressed as "DCC", a User's by its id in any case."""
    engine = engine_with(Threshold(A, "2.4", "volume", 60, 0), Threshold(B, "2.4", "volume", 60, 0))
    engine.submit(reset(1, 0, user=B))
    engine.submit(reset(1, 1, user=A))
    engine.submit(reset(2, 2, user=B))
    assert [(r.user_id, r.request_id) for r, _ in engine.quarantined()] == [
        (B, 1), (A, 1), (B, 2)]
    assert [r.request_id for r, _ in engine.quarantined(B)] == [1, 2]
    assert [n.user_id for n in engine.notifications_for(DCC)] == [B, A, B]
    assert len(engine.notifications_for(B)) == 2
    with pytest.raises(ValidationError) as err:
        engine.notifications_for("no such user")
    assert err.value.field == "recipient"
    with pytest.raises(ValidationError) as err:
        engine.release(7, A)
    assert err.value.field == "request_id" and "7" in err.value.reason


def test_tr10_a_user_added_later_is_known_to_the_engine() -> None:
    engine = engine_with(Threshold(A, "2.4", "volume", 60, 5), users=[A])
    assert engine.submit(reset(1, 0, user=B)).disposition is Disposition.REFUSED
    engine.add_user(B)
    assert engine.submit(reset(2, 1, user=B)).disposition is Disposition.DELIVERED
    assert engine.submit(reset(5, 1, user=C)).disposition is Disposition.REFUSED
    assert engine.submit(reset(3, 2, user=A)).disposition is Disposition.DELIVERED


def test_sr12_quarantine_reason_lists_inspection_then_user_then_dcc_thresholds() -> None:
    from specpkg.anomaly.engine import quarantine_reason

    table = ThresholdTable([Threshold(A, "2.4", "volume", 60, 0),
                            Threshold(DCC, "2.4", "volume", 60, 0)])
    assert quarantine_reason(table, A, "2.4", 0) == ""
    assert quarantine_reason(table, A, "2.4", 1) == (
        "threshold: volume: more than 0 x 2.4 in 60 s")
    assert quarantine_reason(table, A, "2.4", 1, "bad", dcc_mask=1) == (
        "packet inspection: bad; threshold: volume: more than 0 x 2.4 in 60 s; "
        "DCC threshold: volume: more than 0 x 2.4 in 60 s")


# --- what the engine passes on and records -----------------------------------------


def test_sr12_the_engine_passes_on_the_command_it_checked() -> None:
    """SR-12: what is delivered (or held in quarantine) is the request as checked: its
    device, its register (none for a command without one) and the value it writes."""
    from specpkg.meter.registers import DebtRegister

    engine = engine_with(Threshold(A, "2.4", "data_value", 0, 0))
    engine.submit(reset(1, 10, register="PaymentDebtRegister")._replace(
        device_id=DEVICE.lower()))
    engine.submit(reset(2, 11, register=None, service="1.1.1"))
    engine.submit(reset(3, 12, value=7))
    assert engine.delivered == [
        Request(1, A, "2.4", DEVICE, DebtRegister.PAYMENT_DEBT, 10, 0),
        Request(2, A, "1.1.1", DEVICE, None, 11, 0)]
    assert engine.delivered[1].register is None
    held, _ = engine.quarantined()[0]
    assert held == Request(3, A, "2.4", DEVICE, DebtRegister.TIME_DEBT_1, 12, 7)


def test_sr12_each_decision_names_its_arrival_and_its_request() -> None:
    """Every decision, delivered, quarantined or refused, carries its arrival number and
    the request id it decided."""
    engine = engine_with(Threshold(A, "2.4", "data_value", 0, 0))
    for rid, t, value in [(40, 1, 0), (41, 2, 9), (41, 3, 0), (42, 4, 0)]:
        engine.submit(reset(rid, t, value=value))
    assert [(d.sequence, d.request_id, d.disposition) for d in engine.decisions] == [
        (0, 40, Disposition.DELIVERED), (1, 41, Disposition.QUARANTINED),
        (2, 41, Disposition.REFUSED), (3, 42, Disposition.DELIVERED)]


@pytest.mark.parametrize(("table", "count_quarantined", "field"), [
    ([], True, "table"), (ThresholdTable(), 1, "count_quarantined")])
def test_sr12_the_engine_refuses_a_bad_table_or_assumption(table, count_quarantined,
                                                           field) -> None:
    with pytest.raises(ValidationError) as caught:
        ThresholdEngine(table, count_quarantined=count_quarantined)
    assert caught.value.field == field and caught.value.reason


def test_sr12_the_committed_thresholds_stop_a_non_zero_reset_and_an_hours_burst() -> None:
    """SR-12 with the thresholds the workbook's DCC loads (data/thresholds.csv). A reset
    always writes 0, so a data value threshold stops a non-zero reset only at 0: each
    User's quarantines a reset writing 1p and lets one writing 0 through. A User with an
    hourly and a daily volume threshold of the reset has a burst inside one hour stopped
    by the hourly one alone (an hourly limit at the daily one never fires first)."""
    table = ThresholdTable.load()
    reset = "2.4"
    device = "00DB1234567890A0"
    users = sorted({t.user_id for t in table if t.service_reference == reset} - {DCC})
    assert users
    for user in users:
        limits = table.for_request(user, reset)
        if any(t.kind == "data_value" for t in limits):
            engine = ThresholdEngine(table, count_quarantined=True)
            one_penny = engine.submit(Request(1, user, reset, device, "TimeDebtRegister1", 0, 1))
            zero = engine.submit(Request(2, user, reset, device, "TimeDebtRegister1", 1, 0))
            assert one_penny.disposition is Disposition.QUARANTINED, user
            assert zero.disposition is Disposition.DELIVERED, user
        hourly = [t.limit for t in limits if t.kind == "volume" and t.window_seconds == 3600]
        daily = [t for t in limits if t.kind == "volume" and t.window_seconds == 86400]
        if hourly and daily:
            engine = ThresholdEngine(table, count_quarantined=True)
            burst = [engine.submit(Request(n, user, reset, device, "TimeDebtRegister1", n, 0))
                     for n in range(1, hourly[0] + 2)]
            assert {d.disposition for d in burst[:-1]} == {Disposition.DELIVERED}, user
            last = burst[-1]
            assert last.disposition is Disposition.QUARANTINED, user
            assert "in 3600 s" in last.reason and "in 86400 s" not in last.reason, last.reason


def test_setting_a_threshold_makes_its_user_known_but_never_the_dcc() -> None:
    """TR-10: a User that sets a threshold is a User the engine takes requests from; the
    DCC's own thresholds (owner DCC) make no User of the DCC."""
    from specpkg.anomaly.thresholds import DCC

    engine = engine_with(users=())
    engine.set_threshold(Threshold(A, "2.4", "volume", 3600, 5))
    engine.set_threshold(Threshold(DCC, "2.4", "volume", 3600, 50))
    assert engine.users == frozenset({A})
    engine.replace_thresholds(B, [Threshold(B, "2.4", "volume", 3600, 5)])
    engine.replace_thresholds(DCC, [Threshold(DCC, "2.4", "volume", 3600, 60)])
    assert engine.users == frozenset({A, B})
