"""A release after a later command (finding F-76, MA-9) and who sets the counter floor
at a change of Supplier (MA-8, finding F-77); issue 18.

A quarantined command keeps its originator counter; once a later command of the same
Supplier has reached the meter, the meter refuses the released one as a replay.
"""

from __future__ import annotations

import dataclasses

from specpkg.anomaly.thresholds import Threshold, ThresholdTable
from specpkg.duis.codes import Outcome, ResponseCode
from specpkg.system.assumptions import Assumptions
from specpkg.system.flow import make_testbed
from specpkg.system.trust import CredentialRefusal

SUPPLIER, OTHER = "90B3D51F30010000", "90B3D51F30020000"


def _two_held(assumptions: Assumptions | None = None):
    """A testbed that quarantines every reset, and two resets to one ESME held in turn."""
    table = ThresholdTable([Threshold(SUPPLIER, "2.4", "volume", 3600, 0)])
    bed = make_testbed(thresholds=table, assumptions=assumptions or Assumptions())
    first = bed.run("ESME", "TimeDebtRegister1")
    later = bed.run("ESME", "TimeDebtRegister2")
    assert first.outcome is later.outcome is Outcome.QUARANTINED
    return bed, first, later


def test_a_release_after_a_later_command_is_refused_by_the_meter_as_a_replay() -> None:
    """MA-9 off (the default): the DCC sends the stale release; the meter refuses it,
    changes nothing, and the request ends with the device's refusal."""
    bed, first, later = _two_held()
    assert bed.release(later).outcome is Outcome.SUCCESS
    before = bed.stub("ESME").state
    stale = bed.release(first)
    assert stale.outcome is Outcome.REJECTED_BY_DEVICE
    assert stale.response_code is ResponseCode.REJECTED_BY_DEVICE
    assert bed.stub("ESME").state == before
    assert CredentialRefusal.REPLAY.value in bed.stub("ESME").log[-1]
    assert bed.dcc.stale_released == 1


def test_a_release_in_the_order_sent_is_not_stale() -> None:
    bed, first, later = _two_held()
    assert bed.release(first).outcome is Outcome.SUCCESS
    assert bed.release(later).outcome is Outcome.SUCCESS
    assert bed.dcc.stale_released == 0


def test_with_ma9_the_dcc_refuses_a_stale_release_naming_why() -> None:
    bed, first, later = _two_held(Assumptions(refuse_stale_release=True))
    assert bed.release(later).outcome is Outcome.SUCCESS
    before = bed.stub("ESME").state
    sent = len(bed.stub("ESME").log)
    refused = bed.release(first)
    assert refused.outcome is Outcome.REFUSED
    assert refused.response_code is ResponseCode.STALE_RELEASE
    reason = next(s.result for s in refused.steps if s.action == "checks the released command")
    assert f"counter {first.request.counter} is not above {later.request.counter}" in reason
    assert "re-sign" in reason
    assert bed.stub("ESME").state == before and len(bed.stub("ESME").log) == sent
    assert bed.dcc.stale_released == 0
    assert [n.event for n in bed.dcc.notifications(SUPPLIER)][-1] == "rejected"


def test_without_ma8_a_to_b_to_a_reopens_replay() -> None:
    """MA-8 is what closes the A to B to A replay: with no floor set at the change of
    Supplier, a command captured before it executes again."""
    for floor_set, executes in ((True, False), (False, True)):
        bed = make_testbed(assumptions=Assumptions(dcc_sets_counter_floor=floor_set))
        captured = bed.run("ESME", "TimeDebtRegister1").command
        bed.change_supplier("ESME", OTHER)
        bed.change_supplier("ESME", SUPPLIER)
        reply = bed.stub("ESME").receive(captured)
        assert (reply.alert is None) is executes, floor_set


def _same_counter(bed, device: str, other: str, register: str = "TimeDebtRegister1", **tamper):
    """Two quarantined resets of one User with the same counter, to two devices (a
    counter is fresh per User and device, so both are valid): the DCC must settle each
    for its own device."""
    counter = bed.user.next_counter
    first = bed.run(device, register, **tamper)
    bed.user.next_counter = counter
    second = bed.run(other, register)
    assert first.request.counter == second.request.counter == counter
    assert first.outcome is second.outcome is Outcome.QUARANTINED
    return first, second


def test_a_stale_release_is_refused_for_its_own_device_when_another_holds_its_counter() -> None:
    """MA-9, TR-10: the refusal rejects the quarantined command of the device it names,
    at the DCC's clock, echoing the RequestID; the other device's command with the same
    counter stays held and is released in turn."""
    import datetime as dt

    import pytest

    from specpkg.duis.codes import DuisError

    table = ThresholdTable([Threshold(SUPPLIER, "2.4", "volume", 3600, 0)])
    bed = make_testbed(thresholds=table, assumptions=Assumptions(refuse_stale_release=True))
    esme, gsme = _same_counter(bed, "ESME", "GSME")
    later = bed.run("ESME", "TimeDebtRegister2")
    assert bed.release(later).outcome is Outcome.SUCCESS
    bed.dcc.clock += dt.timedelta(hours=2)
    with pytest.raises(DuisError) as refused:
        bed.dcc.release(esme.request.request_id, SUPPLIER)
    error = refused.value
    assert error.code is ResponseCode.STALE_RELEASE
    assert error.request_id == esme.request.echo_id
    apdu = esme.request
    assert f"from {SUPPLIER} to {apdu.device_id.replace('-', '').upper()}" in str(error)
    assert "(MA-9)" in str(error)
    held = [r.device_id.replace("-", "").upper() for r, _ in bed.dcc.engine.quarantined()]
    assert held == [gsme.request.device_id.replace("-", "").upper()]
    rejected = bed.dcc.notifications(SUPPLIER)[-1]
    assert (rejected.event, rejected.timestamp) == ("rejected", int(bed.dcc.clock.timestamp()))
    assert bed.release(gsme).outcome is Outcome.SUCCESS
    assert bed.dcc.engine.quarantined(SUPPLIER) == []


def test_a_release_and_a_reject_settle_the_device_named_when_two_share_a_counter() -> None:
    """TR-10: released and rejected for their own device, each at the DCC's clock."""
    import datetime as dt

    table = ThresholdTable([Threshold(SUPPLIER, "2.4", "volume", 3600, 0)])
    bed = make_testbed(thresholds=table)
    gsme, esme = _same_counter(bed, "GSME", "ESME")
    bed.dcc.clock += dt.timedelta(hours=1)
    assert bed.release(esme).outcome is Outcome.SUCCESS
    released = bed.dcc.notifications(SUPPLIER)[-1]
    assert (released.event, released.timestamp) == ("released", int(bed.dcc.clock.timestamp()))
    assert bed.stub("ESME").state.time_debt_1 == 0
    held = [r.device_id.replace("-", "").upper() for r, _ in bed.dcc.engine.quarantined()]
    assert held == [gsme.request.device_id.replace("-", "").upper()]
    owed = bed.stub("GSME").state.time_debt_1
    assert bed.reject(gsme).outcome is Outcome.REJECTED_BY_USER
    assert bed.dcc.engine.quarantined(SUPPLIER) == []
    assert bed.stub("GSME").state.time_debt_1 == owed > 0
    gsme, esme = _same_counter(bed, "GSME", "ESME", "TimeDebtRegister2")
    assert bed.reject(esme).outcome is Outcome.REJECTED_BY_USER  # while both are held
    held = [r.device_id.replace("-", "").upper() for r, _ in bed.dcc.engine.quarantined()]
    assert held == [gsme.request.device_id.replace("-", "").upper()]


def test_every_stale_release_is_counted_and_the_refusal_says_how_to_recover() -> None:
    """F-76: each stale release the DCC sends in vain is counted; with MA-9 the refusal
    tells the User to re-sign the reset as a new request."""
    table = ThresholdTable([Threshold(SUPPLIER, "2.4", "volume", 3600, 0)])
    bed = make_testbed(thresholds=table)
    held = [bed.run("ESME", r) for r in ("TimeDebtRegister1", "TimeDebtRegister2",
                                          "PaymentDebtRegister")]
    assert bed.release(held[2]).outcome is Outcome.SUCCESS
    for k, stale in enumerate(held[:2], start=1):
        assert bed.release(stale).outcome is Outcome.REJECTED_BY_DEVICE
        assert bed.dcc.stale_released == k
        # the highest counter sent stays the one the meter holds, not the stale one's
        assert bed.dcc.last_sent(SUPPLIER, held[2].request.device_id) == held[2].request.counter
    bed, first, later = _two_held(Assumptions(refuse_stale_release=True))
    bed.release(later)
    refused = bed.release(first)
    reason = next(s.result for s in refused.steps if s.action == "checks the released command")
    assert reason.endswith("the meter would refuse it as a replay; re-sign the reset as a new "
                           "request (MA-9)")


def test_a_command_whose_counter_equals_the_last_sent_is_stale() -> None:
    """F-76: a meter takes only a counter above the last it executed (GBCS), so a command
    at the counter the DCC last sent to that meter is a replay, as one below it is."""
    from specpkg.gbcs import messages

    bed = make_testbed()
    sent = bed.run("ESME", "TimeDebtRegister1")
    apdu = messages.apdu_of(messages.decode(sent.command))
    assert bed.dcc.stale(apdu) == apdu.originator_counter
    above = dataclasses.replace(apdu, originator_counter=apdu.originator_counter + 1)
    assert bed.dcc.stale(above) is None


def _swap_for_non_zero(signed: bytes) -> bytes:
    """A compromised User system: signs a GSME Change Debt of 500 under the reset's code."""
    from specpkg.gbcs import gbz, messages
    from specpkg.gbcs.security import Keys
    from specpkg.paths import PKI_DIR

    apdu = messages.decode(signed)
    component = apdu.payload.components[0]
    change = dataclasses.replace(component.frame.payload, debt_amount=500)
    payload = gbz.Gbz((gbz.change_debt_component(change, 0, True),))
    new = dataclasses.replace(apdu, payload=payload, signature=None)
    return messages.encode_apdu(messages.sign_apdu(new, Keys(PKI_DIR).private_key(SUPPLIER,
                                                                                  "ds")))


def test_a_non_issued_release_is_refused_for_its_own_request_and_device() -> None:
    """MA-1, TR-10: a held command that is not the issued Pre-Command is refused at release
    echoing its RequestID, and rejected for its own device: another device's command held
    with the same counter stays held."""
    import pytest

    from specpkg.duis.codes import DuisError

    table = ThresholdTable([Threshold(SUPPLIER, "2.4", "volume", 3600, 0)])
    bed = make_testbed(thresholds=table)
    gsme, esme = _same_counter(bed, "GSME", "ESME", signed=_swap_for_non_zero)
    with pytest.raises(DuisError) as refused:
        bed.dcc.release(gsme.request.request_id, SUPPLIER)
    assert (refused.value.code, refused.value.request_id) == (
        ResponseCode.SIGNED_PRECOMMAND_MISMATCH, gsme.request.request_id)
    assert refused.value.reason == "the Signed Pre-Command is not the issued Pre-Command"
    held = [r.device_id.replace("-", "").upper() for r, _ in bed.dcc.engine.quarantined()]
    assert held == [esme.request.device_id.replace("-", "").upper()]
    assert bed.release(esme).outcome is Outcome.SUCCESS


def test_a_release_that_cannot_be_macd_names_its_request(monkeypatch) -> None:
    """TR-10: a released command the DCC cannot MAC (its ACB key missing) is refused as
    undeliverable, echoing the request it belongs to."""
    import pytest

    from specpkg.duis.codes import DuisError

    bed, first, _ = _two_held()
    monkeypatch.setattr(bed.dcc.keys, "private_key", lambda *_: None)
    with pytest.raises(DuisError) as refused:
        bed.dcc.release(first.request.request_id, SUPPLIER)
    assert (refused.value.code, refused.value.request_id) == (
        ResponseCode.UNDELIVERABLE, first.request.request_id)
    assert refused.value.reason.endswith(": the command cannot be MAC'd")
