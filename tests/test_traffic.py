"""Synthetic traffic (SR-12 impact): the bulk reset campaign and its link to the fleet."""

from __future__ import annotations

import numpy as np
import pytest

from specpkg.anomaly.engine import Disposition
from specpkg.anomaly.replay import RequestBatch, replay
from specpkg.anomaly.thresholds import Threshold, ThresholdTable
from specpkg.anomaly.traffic import (
    EXAMPLE_USERS,
    bulk_reset_campaign,
    delivered_reset_hours,
    generate_batch,
    reset_batch,
    to_records,
)
from specpkg.errors import ValidationError
from specpkg.meter.fleet import random_fleet, simulate_fleet

SUPPLIER = EXAMPLE_USERS[0]


def test_generate_batch_is_deterministic() -> None:
    a, b = generate_batch(5_000, seed=3), generate_batch(5_000, seed=3)
    np.testing.assert_array_equal(a.timestamp, b.timestamp)
    assert to_records(a) == to_records(b)
    assert RequestBatch.from_records(to_records(a)).users  # round trip builds columns


def test_campaign_sends_one_zero_reset_per_meter_in_working_hours() -> None:
    batch = bulk_reset_campaign(1_000, first_day=2, days=3, seed=1)
    assert sorted(batch.device.tolist()) == list(range(1_000))
    assert (np.diff(batch.timestamp) >= 0).all()
    hour = batch.timestamp // 3600
    assert ((hour % 24 >= 8) & (hour % 24 < 18)).all()
    assert ((hour // 24 >= 2) & (hour // 24 < 5)).all()
    assert (batch.data_value == 0).all()
    with pytest.raises(ValidationError) as err:
        bulk_reset_campaign(10, register="TimeDebtRegister3")
    assert err.value.field == "register"


def test_campaign_to_chosen_meters_sends_each_one_reset() -> None:
    chosen = np.array([3, 17, 40, 41, 99])
    batch = bulk_reset_campaign(chosen, days=1, seed=2)
    assert sorted(batch.device.tolist()) == chosen.tolist()
    assert (np.diff(batch.timestamp) >= 0).all()
    again = bulk_reset_campaign(chosen, days=1, seed=2)
    assert np.array_equal(batch.timestamp, again.timestamp)


@pytest.mark.parametrize(("devices", "seconds", "field"), [
    ([1, 2], [5], "seconds"), ([-1], [5], "devices"), ([1], [-5], "devices")])
def test_reset_batch_refuses_bad_columns(devices, seconds, field) -> None:
    with pytest.raises(ValidationError) as err:
        reset_batch(np.array(devices), np.array(seconds))
    assert err.value.field == field


def test_delivered_resets_reach_the_fleet_and_quarantined_ones_do_not() -> None:
    meters, hours = 400, 5 * 24
    batch = bulk_reset_campaign(meters, first_day=1, days=2, seed=4)
    table = ThresholdTable([Threshold(SUPPLIER, "2.4", "volume", 3600, 15)])
    result = replay(batch, table, count_quarantined=True)
    counts = result.counts()
    assert counts[Disposition.QUARANTINED] > 0 and counts[Disposition.DELIVERED] > 0
    reset_at = delivered_reset_hours(batch, result, meters)
    assert (reset_at >= 0).sum() == counts[Disposition.DELIVERED]
    fleet = random_fleet(meters, seed=5)
    run = simulate_fleet(fleet.with_resets(reset_at, "TimeDebtRegister1"), hours)
    assert (run.final["time_debt_1"][reset_at >= 0] == 0).all()
    held = (reset_at < 0) & (fleet.time_debt_1 > 10_000)
    assert (run.final["time_debt_1"][held] > 0).all()
