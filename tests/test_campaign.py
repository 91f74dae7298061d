"""The bulk debt relief campaign (SR-12 impact): targets, pacing, notifications, and totals
that do not depend on how the fleet is cut into chunks."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specpkg.anomaly import campaign
from specpkg.anomaly.campaign import Campaign, Scenario, Sending, Totals
from specpkg.anomaly.engine import DCC, Disposition, ThresholdEngine
from specpkg.anomaly.pacing import (
    busiest,
    days_needed,
    paced_seconds,
    per_day,
    recommended_limits,
)
from specpkg.anomaly.replay import replay
from specpkg.anomaly.traffic import EXAMPLE_USERS, reset_batch, to_records
from specpkg.errors import ValidationError
from specpkg.meter.fleet import random_fleet, simulate_fleet
from specpkg.meter.registers import DebtRegister

SUPPLIER = EXAMPLE_USERS[0]
SMALL = Campaign(3_000, first_day=2, days=2, simulation_days=7, hourly_limit=60, seed=11)


@pytest.fixture(scope="module")
def small_report() -> campaign.Report:
    return campaign.report(SMALL, [40, 60, 200], count_quarantined=True)


# --- targets and sending ------------------------------------------------------------------


def test_only_meters_carrying_the_debt_get_one_reset_each(small_report) -> None:
    fleet = random_fleet(SMALL.meters, SMALL.seed)
    owed = fleet.time_debt_1
    plan = small_report.plan
    assert 0 < len(plan.targets) < SMALL.meters
    assert np.array_equal(np.sort(plan.batch.device), np.flatnonzero(owed > 0))
    assert plan.debt == int(owed.sum())
    hour = plan.batch.timestamp // 3600
    assert ((hour % 24 >= 8) & (hour % 24 < 18)).all()
    assert set((hour // 24).tolist()) == {2, 3}


def test_targets_follow_the_register() -> None:
    spec = replace(SMALL, register=DebtRegister.PAYMENT_DEBT)
    targets, debt = campaign.find_targets(spec)
    owed = random_fleet(SMALL.meters, SMALL.seed).payment_debt
    assert np.array_equal(targets, np.flatnonzero(owed > 0)) and debt == int(owed.sum())


# --- pacing ------------------------------------------------------------------------------


PACING = st.fixed_dictionaries({
    "resets": st.integers(0, 2_500), "hourly": st.integers(1, 300),
    "daily": st.one_of(st.just(0), st.integers(1, 3_000)),
    "low": st.integers(0, 20), "span": st.integers(1, 4),
})


@settings(max_examples=40, deadline=None)
@given(case=PACING, count_quarantined=st.booleans())
def test_a_paced_campaign_is_never_quarantined_and_takes_the_days_it_needs(
        case, count_quarantined) -> None:
    hours = (case["low"], case["low"] + case["span"])
    n, hourly, daily = case["resets"], case["hourly"], case["daily"]
    seconds = paced_seconds(n, hourly, daily, first_day=1, working_hours=hours)
    batch = reset_batch(np.arange(n), seconds, user=SUPPLIER)
    spec = Campaign(n, hourly_limit=hourly, daily_limit=daily, working_hours=hours)
    result = replay(batch, spec.thresholds(), count_quarantined=count_quarantined)
    assert result.counts()[Disposition.DELIVERED] == n
    day = seconds // 86_400
    assert len(np.unique(day)) == days_needed(n, hourly, daily, hours)
    clock = seconds % 86_400
    assert ((clock >= hours[0] * 3600) & (clock < hours[1] * 3600)).all()


@settings(max_examples=30, deadline=None)
@given(hourly=st.integers(2, 400), span=st.integers(1, 12))
def test_the_pace_is_tight_one_less_an_hour_quarantines(hourly: int, span: int) -> None:
    """A full paced day fills some rolling hour to the limit exactly."""
    hours = (8, 8 + span)
    n = per_day(hourly, 0, hours)
    batch = reset_batch(np.arange(n), paced_seconds(n, hourly, working_hours=hours))
    assert busiest(batch) == hourly
    tighter = Campaign(n, hourly_limit=hourly - 1, working_hours=hours).thresholds()
    assert replay(batch, tighter, count_quarantined=True).counts()[Disposition.QUARANTINED] > 0


@settings(max_examples=60, deadline=None)
@given(resets=st.integers(1, 10**6), days=st.integers(1, 30), low=st.integers(0, 12),
       span=st.integers(1, 12))
def test_recommended_hourly_limit_is_the_smallest_that_fits_the_days(
        resets: int, days: int, low: int, span: int) -> None:
    hours = (low, low + span)
    hourly, daily = recommended_limits(resets, days, hours)
    assert days_needed(resets, hourly, daily, hours) <= days
    if hourly > 1:
        assert days_needed(resets, hourly - 1, 0, hours) > days
    assert daily == per_day(hourly, 0, hours)


def test_a_daily_limit_caps_each_day() -> None:
    assert per_day(100, 0, (8, 18)) == 1_000
    assert per_day(100, 700, (8, 18)) == 700
    assert days_needed(7_001, 100, 700) == 11 and days_needed(0, 100) == 0


def test_report_paces_at_the_recommended_limits(small_report) -> None:
    paced = small_report.paced
    assert paced.spec.sending is Sending.PACED
    assert (paced.spec.hourly_limit, paced.spec.daily_limit) == small_report.recommended
    assert paced.outcome.quarantined == 0 and paced.sending_days <= SMALL.days
    assert np.array_equal(np.sort(paced.batch.device), np.sort(small_report.plan.batch.device))


def test_busiest_window_is_the_smallest_limit_without_quarantine(small_report) -> None:
    batch = small_report.plan.batch
    peak = busiest(batch)
    for count_quarantined in (True, False):
        ok = replay(batch, SMALL.thresholds(peak), count_quarantined=count_quarantined)
        over = replay(batch, SMALL.thresholds(peak - 1), count_quarantined=count_quarantined)
        assert ok.counts()[Disposition.QUARANTINED] == 0
        assert over.counts()[Disposition.QUARANTINED] > 0


# --- anomaly detection and notifications ---------------------------------------------------


def test_outcomes_by_limit_and_the_assumption_is_passed_through(small_report) -> None:
    limits = {o.hourly_limit: o for o in small_report.limits}
    assert sorted(limits) == [40, 60, 200]
    assert limits[40].quarantined > limits[60].quarantined > 0 == limits[200].quarantined
    assert small_report.plan.outcome == limits[60]
    lenient = campaign.outcomes_by_limit(SMALL, small_report.plan.batch, [60],
                                         count_quarantined=False)
    assert lenient[0].quarantined < limits[60].quarantined


def test_notifications_are_what_the_engine_sends_when_each_quarantine_is_settled() -> None:
    """Each quarantine is notified to the Supplier and the DCC, then its release or
    rejection is notified to both again (TR-10)."""
    spec = replace(SMALL, meters=600, hourly_limit=12)
    plan = campaign.plan(spec, count_quarantined=True)
    engine = ThresholdEngine(spec.thresholds(), count_quarantined=True)
    engine.submit_many(to_records(plan.batch))
    held = engine.quarantined(SUPPLIER)
    for k, (request, _) in enumerate(held):
        (engine.release if k % 2 else engine.reject)(request.request_id, SUPPLIER)
    assert len(held) == plan.outcome.quarantined > 0
    for party in (SUPPLIER, DCC):
        assert len(engine.notifications_for(party)) == plan.outcome.notifications


# --- the customers, in chunks -------------------------------------------------------------


def _direct_totals(spec: Campaign, plan: campaign.Plan) -> dict[Scenario, Totals]:
    """The totals from one in-memory run of the whole fleet, computed here by hand."""
    fleet = random_fleet(spec.meters, spec.seed)
    baseline = simulate_fleet(fleet, spec.hours)
    base_off = baseline.daily_disabled_hours.sum(axis=1)
    found = {}
    for name in Scenario:
        at = plan.reset_hours(name)
        run = baseline if at is None else simulate_fleet(fleet.with_resets(at, spec.register),
                                                         spec.hours)
        off = run.daily_disabled_hours.sum(axis=1)
        found[name] = Totals(
            spec.meters, 0 if at is None else int(((at >= 0) & (at < spec.hours)).sum()),
            int(run.written_off.sum()), run.daily_recovered.sum(axis=0),
            run.daily_balance.sum(axis=0), int((off > 0).sum()), int(off.sum()),
            0 if at is None else int(((base_off > 0) & (off == 0)).sum()))
    return found


@pytest.mark.parametrize("chunk", [1_000, 777, 1 << 17])
def test_a_chunked_run_gives_the_totals_of_the_whole_fleet_in_memory(small_report,
                                                                        chunk: int) -> None:
    chunked = campaign.report(SMALL, [40, 60, 200], count_quarantined=True, chunk=chunk)
    expected = _direct_totals(SMALL, small_report.plan)
    assert chunked.impact.totals == expected
    assert np.array_equal(chunked.plan.targets, small_report.plan.targets)
    assert chunked.limits == small_report.limits


def test_totals_tell_the_scenarios_apart(small_report) -> None:
    t = small_report.impact.totals
    none, every, held = (t[s] for s in Scenario)
    assert none.written_off == 0 and none.resets == 0 and none.spared == 0
    assert every.resets == len(small_report.plan.targets)
    assert held.resets == small_report.plan.outcome.delivered < every.resets
    assert 0 < held.written_off < every.written_off <= small_report.plan.debt
    assert (every.recovered <= none.recovered).all()
    assert every.recovered.sum() < none.recovered.sum()
    assert every.hours_off < none.hours_off and every.spared > 0


def test_by_register_resets_each_register() -> None:
    spec = replace(SMALL, meters=500, hourly_limit=10_000)
    found = campaign.by_register(spec, count_quarantined=True)
    assert list(found) == list(DebtRegister)
    fleet = random_fleet(500, SMALL.seed)
    for register, impact in found.items():
        assert impact.plan.spec.register is register
        assert impact.plan.debt == int(getattr(fleet, register.field).sum())


def test_an_empty_fleet_has_zero_totals() -> None:
    found = campaign.run(replace(SMALL, meters=0), count_quarantined=True)
    assert all(t.meters == 0 and t.recovered.shape == (SMALL.simulation_days,)
               for t in found.totals.values())


@pytest.mark.parametrize(("field", "value"), [
    ("meters", -1), ("hourly_limit", 0), ("daily_limit", -5), ("working_hours", (18, 8)),
    ("working_hours", (8, 12, 18)), ("sending", "fast"), ("register", "TimeDebtRegister3"),
    ("simulation_days", 0), ("user", "not a user"), ("days", 0),
])
def test_bad_campaign_names_the_field(field: str, value) -> None:
    with pytest.raises(ValidationError) as err:
        Campaign(**{"meters": 10, field: value})
    assert err.value.field == field


def test_unknown_scenario_is_refused(small_report) -> None:
    with pytest.raises(ValidationError) as err:
        small_report.plan.reset_hours("half delivered")
    assert err.value.field == "scenario"
