"""A release after a later command (finding F-76, MA-9) and who sets the counter floor
at a change of Supplier (MA-8, finding F-77); issue 18.

A quarantined command keeps its originator counter; once a later command of the same
Supplier has reached the meter, the meter refuses the released one as a replay.
"""

from __future__ import annotations

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
