"""Bounded state (issue 18): history kept to a bound, decisions unchanged, nothing lost.

Under ``Retention(keep=K, sink)`` the DCC, its anomaly engine, the Communications
Hub and the meters hold at most K entries of each history; what they let go reaches
the sink; counters and open quarantines are kept whatever K is, so a replay is still
refused and an old quarantine can still be released; the counts still add up.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest

from specpkg.anomaly.engine import Disposition
from specpkg.anomaly.thresholds import Threshold, ThresholdTable
from specpkg.duis.codes import Outcome, ResponseCode
from specpkg.errors import ValidationError
from specpkg.journal import Journal, JournalMap, Retention, jsonl_sink
from specpkg.system.flow import SUPPLIER_ID, make_testbed

KEEP = 12


def histories(bed) -> dict[str, int]:
    engine = bed.dcc.engine
    return {"decisions": len(engine.decisions), "delivered": len(engine.delivered),
            "notifications": len(engine.notifications), "dispositions": len(engine._status),
            "screenings": len(bed.dcc.screenings), "issued": len(bed.dcc._issued),
            "routes": len(bed.hub.routes),
            **{f"log {s.device}": len(s.log) for s in bed.stubs.values()}}


def _long_run():
    """60 resets, 10 s apart, 3 an hour over a limit of 2 quarantined; the first
    quarantine stays open to the end; a captured command is kept for a replay."""
    table = ThresholdTable([Threshold(SUPPLIER_ID, "2.4", "volume", 3600, 40)])
    sunk: Counter = Counter()
    bed = make_testbed(thresholds=table,
                       retention=Retention(KEEP, lambda kind, entry: sunk.update([kind])))
    start, results, first_held = bed.dcc.clock, [], None
    for i in range(60):
        bed.dcc.clock = start + i * timedelta(seconds=10)
        result = bed.run("ESME" if i % 2 else "GSME", "TimeDebtRegister1")
        if result.outcome is Outcome.QUARANTINED:
            if first_held is None:
                first_held = result
            else:
                result = bed.reject(result)
        results.append(result)
    return bed, results, first_held, sunk


@pytest.fixture(scope="module")
def long_run():
    """One :func:`_long_run` for the tests that only read it."""
    return _long_run()


@pytest.fixture
def own_long_run():
    """A :func:`_long_run` of the test's own, for a test that changes it (a release, a
    replay), so the readers' counts hold in any order the tests run."""
    return _long_run()


def test_every_history_stays_within_the_bound(long_run) -> None:
    bed, _, _, _ = long_run
    sizes = histories(bed)
    assert max(sizes.values()) <= KEEP
    assert sizes["decisions"] == KEEP  # it was full: 60 requests went through


def test_what_is_let_go_reaches_the_sink_and_the_counts_still_add_up(long_run) -> None:
    bed, results, _, sunk = long_run
    engine = bed.dcc.engine
    assert sunk["decision"] + len(engine.decisions) == engine.decisions.total == 60
    counts = engine.counts()
    assert sum(counts.values()) == len(engine) == 60
    assert counts[Disposition.QUARANTINED] == 1  # the one left open
    assert counts[Disposition.REJECTED] == sum(r.outcome is Outcome.REJECTED_BY_USER
                                               for r in results)


def test_an_old_quarantine_is_still_released_after_the_history_moved_on(own_long_run) -> None:
    bed, _, first_held, _ = own_long_run
    assert first_held is not None
    assert first_held.request.request_id not in bed.dcc.screenings  # let go long since
    released = bed.release(first_held)
    assert released.outcome is not Outcome.QUARANTINED
    assert bed.dcc.engine.counts()[Disposition.QUARANTINED] == 0


def test_a_replay_of_the_first_request_is_still_refused(own_long_run) -> None:
    bed, results, _, _ = own_long_run
    replay = bed.run_xml(results[0].request_xml)
    assert replay.response_code == ResponseCode.COUNTER_NOT_INCREASING.value
    assert bed.stub("GSME").receive(results[0].command).alert is not None


def test_a_journal_keeps_absolute_positions_and_names_what_it_let_go() -> None:
    out = []
    journal = Journal("decision", 3, lambda kind, entry: out.append((kind, entry)))
    for i in range(5):
        journal.append(i)
    assert list(journal) == [2, 3, 4] and journal[2] == 2 and journal[-1] == 4
    assert out == [("decision", 0), ("decision", 1)] and journal.total == 5
    with pytest.raises(IndexError, match="entry 1 is not in memory"):
        journal[1]
    journal.flush()
    assert len(journal) == 0 and len(out) == 5
    mapping = JournalMap("screening", 2, lambda kind, entry: out.append(entry))
    for key in "abc":
        mapping[key] = key.upper()
    assert list(mapping) == ["b", "c"] and out[-1] == ("a", "A")
    with pytest.raises(ValidationError, match="keep"):
        Retention(-1)


def test_the_jsonl_sink_writes_each_entry_as_one_line(tmp_path) -> None:
    path = tmp_path / "record.jsonl"
    sink = jsonl_sink(path)
    sink("route", {"data": b"\x01\x02", "n": 3})
    del sink
    assert json.loads(path.read_text()) == {"kind": "route", "entry": {"data": "0102", "n": 3}}


def test_each_history_let_go_reaches_the_sink_under_its_own_kind() -> None:
    """The written-out record names which history each entry comes from, so a jsonl
    file can be read back: the DCC's issued Pre-Commands and screenings keyed by the
    RequestID, its refusals of device answers with their code and reason."""
    from specpkg.system.meters import DeviceReply

    out: list = []
    bed = make_testbed(retention=Retention(1, lambda kind, entry: out.append((kind, entry))))
    first = bed.run("ESME", "TimeDebtRegister1")
    bed.run("GSME", "TimeDebtRegister1")
    rid = first.request.request_id
    by_kind = {kind: entry for kind, entry in out}
    assert by_kind["issued"][0] == rid and by_kind["screening"][0] == rid
    bed.dcc.answer(first.request, DeviceReply())
    bed.dcc.answer(first.request, DeviceReply())
    refused = [entry for kind, entry in out if kind == "refusal"]
    assert refused == [(first.request.echo_id, ResponseCode.NO_DEVICE_RESPONSE.value,
                        "no answer from the device before the time-out")]
    assert bed.dcc.refusals.total == 2 and len(bed.dcc.refusals) == 1
