"""The hourly simulation: recovery, resets mid-period, integer money."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from specpkg.errors import ValidationError
from specpkg.meter.registers import DebtRegister, reset
from specpkg.meter.simulation import (
    REGISTER_COLUMNS,
    ModeChange,
    Reset,
    TopUp,
    example_meter,
    reset_matrix,
    simulate,
    state_diff,
    weekly_top_ups,
)

HOURS = 30 * 24
TOP_UPS = weekly_top_ups(HOURS, 2_000)


def test_frame_shape_and_integer_money() -> None:
    frame = simulate(example_meter(), HOURS, events=TOP_UPS)
    assert len(frame) == HOURS
    for column in ["balance", *REGISTER_COLUMNS, "recovered"]:
        assert frame[column].dtype == "int64"
    assert frame["time"].iloc[0] == pd.Timestamp("2019-06-27T00:00Z")


def test_reset_stops_recovery_in_prepayment() -> None:
    """BR-3: after a mid-period reset of TDR1 in prepayment no more TDR1 is recovered,
    and the consumer keeps the money that recovery would have taken."""
    reset_hour = 15 * 24
    base = simulate(example_meter(), HOURS, events=TOP_UPS)
    with_reset = simulate(
        example_meter(), HOURS, events=[*TOP_UPS, Reset(reset_hour, DebtRegister.TIME_DEBT_1)]
    )
    after = with_reset.iloc[reset_hour:]
    assert (after["TimeDebtRegister1"] == 0).all()
    assert base["TimeDebtRegister1"].iloc[-1] > 0
    saved = base["TimeDebtRegister1"].iloc[reset_hour - 1] - base["TimeDebtRegister1"].iloc[-1]
    assert with_reset["balance"].iloc[-1] - base["balance"].iloc[-1] == saved
    for other in ("TimeDebtRegister2", "PaymentDebtRegister"):
        assert with_reset[other].equals(base[other])


def test_reset_in_credit_mode_changes_no_recovery() -> None:
    """BR-3: in credit mode a reset zeroes the register but recovery stays at nil."""
    base = simulate(example_meter(mode="credit"), HOURS, events=TOP_UPS)
    with_reset = simulate(
        example_meter(mode="credit"), HOURS, events=[*TOP_UPS, Reset(100, "PaymentDebtRegister")]
    )
    assert (base["recovered"] == 0).all() and (with_reset["recovered"] == 0).all()
    assert with_reset["balance"].equals(base["balance"])
    assert (with_reset["PaymentDebtRegister"].iloc[100:] == 0).all()


def test_mode_change_starts_recovery() -> None:
    frame = simulate(example_meter(mode="credit"), 48, events=[ModeChange(24, "prepayment")])
    assert (frame["recovered"].iloc[:24] == 0).all()
    assert frame["recovered"].iloc[24:].sum() > 0


def test_simulation_is_deterministic() -> None:
    events = [*TOP_UPS, Reset(200, "TimeDebtRegister2")]
    assert simulate(example_meter(), HOURS, events=events).equals(
        simulate(example_meter(), HOURS, events=events)
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"hours": 0}, "hours"),
        ({"consumption": [1, 2, 3]}, "consumption"),
        ({"consumption": -1}, "consumption"),
        ({"events": [TopUp(10_000, 5)]}, "event.hour"),
        ({"events": [TopUp(3, 0)]}, "amount"),
    ],
)
def test_bad_simulation_input(kwargs: dict, field: str) -> None:
    arguments = {"hours": 48, **kwargs}  # the parametrize dict is shared: never mutate it
    with pytest.raises(ValidationError) as caught:
        simulate(example_meter(), arguments.pop("hours"), **arguments)
    assert caught.value.field == field


def test_bad_event_register() -> None:
    with pytest.raises(ValidationError, match="unknown register"):
        Reset(3, "TimeDebtRegister3")


def test_events_column_says_what_happened_each_hour() -> None:
    """The simulation's event log: a reset says its register and verdict (BR-4), a mode
    change its mode, a top-up its amount; a mode change recovers nothing itself."""
    meter = dataclasses.replace(example_meter(), time_debt_2=0)
    frame = simulate(meter, 6, consumption=0, events=[
        TopUp(1, 500), Reset(2, "TimeDebtRegister1"), ModeChange(3, "credit"),
        Reset(4, "TimeDebtRegister2")])
    assert list(frame["events"]) == [
        "", "top-up 500", "reset TimeDebtRegister1 (success)", "mode credit",
        "reset TimeDebtRegister2 (success)", ""]
    assert list(frame["recovered"].iloc[3:]) == [0, 0, 0]


@pytest.mark.parametrize("event", ["top up", dataclasses.make_dataclass("Tariff", ["hour"])(1)])
def test_an_unknown_event_is_refused_naming_it(event) -> None:
    """Only top-ups, resets and mode changes are events: anything else is refused as
    such, before the run (one without an hour used to fail with an AttributeError)."""
    with pytest.raises(ValidationError) as caught:
        simulate(example_meter(), 2, events=[TopUp(0, 100), event])
    assert caught.value.field == "event" and isinstance(caught.value.reason, str)


@pytest.mark.parametrize("consumption", [-1, [1, -1], [1, 2.5]])
def test_consumption_must_be_whole_pence_not_below_zero(consumption) -> None:
    """Consumption is integral money (never negative), one value or one per hour."""
    with pytest.raises(ValidationError) as caught:
        simulate(example_meter(), 2, consumption=consumption)
    assert caught.value.field == "consumption" and isinstance(caught.value.reason, str)


def test_consumption_wrong_length_says_so() -> None:
    with pytest.raises(ValidationError) as caught:
        simulate(example_meter(), 3, consumption=[1, 2])
    assert caught.value.field == "consumption" and isinstance(caught.value.reason, str)


def test_constant_and_zero_consumption() -> None:
    """A single value is used every hour; zero consumption is allowed."""
    frame = simulate(example_meter(mode="credit"), 5, consumption=7)
    assert list(frame["consumption"]) == [7] * 5
    assert list(simulate(example_meter(), 3, consumption=[0, 0, 0])["consumption"]) == [0, 0, 0]


def test_simulation_length_limit_is_five_years_of_366_days() -> None:
    limit = 24 * 366 * 5
    with pytest.raises(ValidationError) as caught:
        simulate(example_meter(), limit + 1, consumption=0)
    assert caught.value.field == "hours"


def test_an_event_before_the_first_hour_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        simulate(example_meter(), 24, events=[TopUp(-1, 100)])
    assert caught.value.field == "event.hour"


def test_weekly_top_ups_first_at_hour_ten_then_every_week() -> None:
    assert weekly_top_ups(24 * 15, 2_000) == [TopUp(10, 2_000), TopUp(178, 2_000),
                                              TopUp(346, 2_000)]
    assert weekly_top_ups(30, 5, every_hours=12, at=1) == [TopUp(1, 5), TopUp(13, 5),
                                                           TopUp(25, 5)]
    assert weekly_top_ups(30, 5, every_hours=1, at=28) == [TopUp(28, 5), TopUp(29, 5)]
    with pytest.raises(ValidationError) as caught:
        weekly_top_ups(30, 5, every_hours=0)
    assert caught.value.field == "every_hours" and caught.value.reason


def test_br1_state_diff_flags_exactly_the_reset_register() -> None:
    """BR-1 evidence: the before/after table marks only the reset register as changed."""
    before = example_meter()
    after, _ = reset(before, DebtRegister.TIME_DEBT_2)
    diff = state_diff(before, after)
    assert list(diff.columns) == ["field", "before", "after", "changed"]
    assert list(diff.loc[diff["changed"], "field"]) == ["time_debt_2"]
    row = diff.set_index("field").loc["time_debt_2"]
    assert (row["before"], row["after"]) == (1_500, 0)
    assert len(diff) == len(before.as_dict())


@pytest.mark.parametrize("mode", ["prepayment", "credit"])
def test_br1_br2_reset_matrix_one_row_per_register(mode: str) -> None:
    """BR-1, BR-2: resetting each register of the example meter zeroes that register
    only, changes one field and succeeds, in either mode."""
    matrix = reset_matrix("GSME", mode)
    before = example_meter("GSME", mode)
    assert list(matrix["reset"]) == REGISTER_COLUMNS
    for row in matrix.to_dict("records"):
        for register in DebtRegister:
            expected = 0 if register.value == row["reset"] else before.register(register)
            assert row[register.value] == expected
        assert row["balance"] == before.balance
        assert row["fields changed"] == 1 and row["success"] is True
        assert row["payment mode after"] == mode  # BR-2: the reset leaves the mode alone


def test_simulation_bounds_one_hour_and_events_up_to_the_last_hour() -> None:
    """One hour is a simulation; an event may fall in the last hour but not after it;
    runs longer than 73 days are allowed (the limit is five years of 366 days)."""
    assert len(simulate(example_meter(), 1, consumption=0)) == 1
    last = simulate(example_meter(), 24, consumption=0, events=[TopUp(23, 100)])
    assert last["events"].iloc[23] == "top-up 100"
    with pytest.raises(ValidationError) as caught:
        simulate(example_meter(), 24, consumption=0, events=[TopUp(24, 100)])
    assert caught.value.field == "event.hour"
    assert len(simulate(example_meter(), 1_800, consumption=0)) == 1_800


def test_each_row_is_the_state_at_the_end_of_its_hour() -> None:
    """Row n is hour n after START: its mode and supply, and everything recovered in it,
    by top-ups and by time alike; events of one hour are listed in order."""
    meter = dataclasses.replace(example_meter(), collection_hour=1)
    frame = simulate(meter, 3, consumption=0,
                     events=[TopUp(1, 1_000), Reset(1, "TimeDebtRegister2")])
    assert list(frame["time"]) == [pd.Timestamp("2019-06-27T00:00Z") + pd.Timedelta(hours=h)
                                   for h in range(3)]
    assert list(frame["mode"]) == ["prepayment"] * 3
    assert list(frame["supply"]) == ["enabled"] * 3
    # hour 1: 100 from the top-up, 50 daily TDR1 at the collection hour, TDR2 reset first
    assert list(frame["recovered"]) == [2, 150, 0]
    assert frame["events"].iloc[1] == "top-up 1000; reset TimeDebtRegister2 (success)"


def test_consumption_is_checked_before_the_run_starts() -> None:
    """Bad consumption is refused as such even when an event of an earlier hour is bad
    too: the whole input is checked before the first hour is run."""
    consumption = [0] * 5 + [-1] + [0] * 4
    for values in (consumption, -1):
        with pytest.raises(ValidationError) as caught:
            simulate(example_meter(), 10, consumption=values, events=[TopUp(0, 0)])
        assert caught.value.field == "consumption"


def test_br3_the_example_meter_gives_a_tenth_of_each_top_up_to_payment_debt() -> None:
    """The workbook's example recovers 10% of every top-up (1,000 basis points)."""
    from specpkg.meter.registers import top_up

    assert top_up(example_meter(), 10_000)[1] == 1_000
    assert top_up(example_meter(), 9_999)[1] == 999


def test_the_example_meter_supplies_on_500p_of_emergency_credit_and_no_more() -> None:
    """The workbook's example keeps supplying down to a balance of -500p (its emergency
    credit) and is disabled one penny below."""
    from specpkg.meter.registers import SupplyState, supply_after

    meter = example_meter()
    assert supply_after(dataclasses.replace(meter, balance=-500)) is SupplyState.ENABLED
    assert supply_after(dataclasses.replace(meter, balance=-501)) is SupplyState.DISABLED
