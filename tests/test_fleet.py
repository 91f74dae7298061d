"""The vectorised fleet agrees exactly with the per-meter model, hour by hour."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specpkg.errors import ValidationError
from specpkg.meter.fleet import NO_RESET, Fleet, random_fleet, simulate_fleet
from specpkg.meter.households import default_inputs
from specpkg.meter.registers import DebtRegister
from specpkg.meter.simulation import REGISTER_COLUMNS, simulate

COLUMNS = {"balance": "balance", "time_debt_1": REGISTER_COLUMNS[0],
           "time_debt_2": REGISTER_COLUMNS[1], "payment_debt": REGISTER_COLUMNS[2],
           "recovered": "recovered"}


def assert_matches_per_meter_model(fleet: Fleet, hours: int, meters) -> None:
    result = simulate_fleet(fleet, hours, hourly=True, chunk=64)
    hourly = result.hourly
    for i in meters:
        frame = simulate(fleet.meter_state(i), hours, events=fleet.events(i, hours),
                         consumption=fleet.consumption(i, hours))
        for key, column in COLUMNS.items():
            np.testing.assert_array_equal(hourly[key][:, i], frame[column].to_numpy(),
                                          err_msg=f"meter {i} {key}")
        np.testing.assert_array_equal(hourly["supply_enabled"][:, i],
                                      (frame["supply"] == "enabled").to_numpy(),
                                      err_msg=f"meter {i} supply")
        days = -(-hours // 24)
        by_day = frame.groupby(frame["hour"] // 24)
        np.testing.assert_array_equal(result.daily_recovered[i], by_day["recovered"].sum())
        np.testing.assert_array_equal(result.daily_balance[i], by_day["balance"].last())
        disabled = (frame["supply"] == "disabled").groupby(frame["hour"] // 24).sum()
        np.testing.assert_array_equal(result.daily_disabled_hours[i], disabled)
        assert result.daily_balance.shape == (len(fleet), days)


def test_fleet_matches_per_meter_model_on_a_fixed_sample() -> None:
    """200 random meters, 15 days, a reset of a random register at a random hour each."""
    hours = 15 * 24
    fleet = random_fleet(200, seed=2019)
    rng = np.random.default_rng(7)
    fleet = fleet.with_resets(rng.integers(-1, hours, 200), DebtRegister.TIME_DEBT_1)
    fleet = Fleet(**{**fleet.__dict__, "reset_register": rng.integers(0, 3, 200)})
    assert_matches_per_meter_model(fleet, hours, range(200))


METER = st.fixed_dictionaries({
    "balance": st.integers(-3_000, 3_000),
    "time_debt_1": st.integers(0, 2_000), "time_debt_2": st.integers(0, 500),
    "payment_debt": st.integers(0, 3_000),
    "rate_1": st.integers(0, 120), "hourly_1": st.booleans(),
    "rate_2": st.integers(0, 10), "hourly_2": st.booleans(),
    "payment_recovery_bp": st.sampled_from([0, 1, 2_500, 9_999, 10_000]),
    "emergency_credit_limit": st.integers(0, 1_000),
    "disablement_threshold": st.integers(-500, 500),
    "supply_enabled": st.booleans(), "collection_hour": st.integers(0, 23),
    "top_up_amount": st.sampled_from([0, 1, 999, 2_000]), "top_up_at": st.integers(0, 167),
    "consumption_percent": st.integers(0, 300),
    "reset_hour": st.integers(NO_RESET, 200), "reset_register": st.integers(0, 2),
})


METER_KEYS = list(Fleet.__dataclass_fields__)
FIELDS = {column: key for key, column in COLUMNS.items()}


@settings(max_examples=40, deadline=None)
@given(meters=st.lists(METER, min_size=1, max_size=5), hours=st.integers(1, 200))
def test_fleet_matches_per_meter_model_property(meters, hours) -> None:
    fleet = Fleet(**{k: np.array([m[k] for m in meters]) for k in METER_KEYS})
    assert_matches_per_meter_model(fleet, hours, range(len(meters)))


def test_chunking_does_not_change_results() -> None:
    fleet = random_fleet(300, seed=1).with_resets(30, "PaymentDebtRegister")
    whole = simulate_fleet(fleet, 72)
    parts = simulate_fleet(fleet, 72, chunk=7)
    np.testing.assert_array_equal(whole.daily_balance, parts.daily_balance)
    np.testing.assert_array_equal(whole.daily_recovered, parts.daily_recovered)
    for key in whole.final:
        np.testing.assert_array_equal(whole.final[key], parts.final[key])


@pytest.mark.parametrize(("field", "value"), [("collection_hour", 24), ("reset_register", 3),
                                              ("payment_recovery_bp", 10_001),
                                              ("time_debt_1", -1)])
def test_bad_fleet_names_the_field(field: str, value: int) -> None:
    fleet = random_fleet(3)
    values = {**fleet.__dict__, field: np.array([0, value, 0])}
    with pytest.raises(ValidationError) as err:
        Fleet(**values)
    assert err.value.field == field


def test_float_arrays_are_refused() -> None:
    fleet = random_fleet(2)
    with pytest.raises(ValidationError) as err:
        Fleet(**{**fleet.__dict__, "balance": np.array([1.0, 2.0])})
    assert err.value.field == "balance"


#: Every meter in debt (the calibrated fleet has few), so that resets write something off.
IN_DEBT = default_inputs().with_value("share_in_debt", 1.0)


def test_written_off_is_what_the_register_held_when_the_reset_came() -> None:
    """Per the per-meter model without the reset: time debt as at the end of the hour
    before (a top-up does not touch it); payment debt after that hour's top-up."""
    hours = 10 * 24
    rng = np.random.default_rng(3)
    top_up_at = rng.integers(0, 30, 150)
    at = np.where(rng.random(150) < 0.3, top_up_at, rng.integers(-1, hours, 150))  # same hour
    drawn = random_fleet(150, seed=8, inputs=IN_DEBT).with_resets(at, "TimeDebtRegister1")
    fleet = Fleet(**{**drawn.__dict__,
                     "reset_register": rng.integers(0, 3, 150), "top_up_at": top_up_at})
    written_off = simulate_fleet(fleet, hours, chunk=40).written_off
    plain = Fleet(**{**fleet.__dict__, "reset_hour": np.full(150, NO_RESET)})
    checked = 0
    for i in range(150):
        hour, code = int(fleet.reset_hour[i]), int(fleet.reset_register[i])
        if hour < 0:
            assert written_off[i] == 0
            continue
        column = REGISTER_COLUMNS[code]
        frame = simulate(plain.meter_state(i), hours, events=plain.events(i, hours),
                         consumption=plain.consumption(i, hours))
        before = [int(getattr(fleet, FIELDS[column])[i]), *frame[column]]  # hour h ends at h+1
        expected = before[hour + 1] if column == "PaymentDebtRegister" else before[hour]
        assert written_off[i] == expected, f"meter {i}"
        checked += expected > 0
    assert checked > 50


def test_a_meter_depends_only_on_the_seed_and_its_index() -> None:
    """Any range of meters drawn on its own is that range of the fleet drawn at once."""
    whole = random_fleet(40_000, seed=4)
    for start, n in ((0, 5), (16_380, 10), (20_000, 20_000), (39_999, 1), (7, 0)):
        part = random_fleet(n, seed=4, start=start)
        for key in METER_KEYS:
            np.testing.assert_array_equal(getattr(part, key),
                                          getattr(whole, key)[start:start + n], err_msg=key)
    assert not np.array_equal(random_fleet(100, seed=5).balance, whole.balance[:100])
