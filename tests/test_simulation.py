"""The hourly simulation: recovery, resets mid-period, integer money."""

from __future__ import annotations

import pandas as pd
import pytest

from specpkg.errors import ValidationError
from specpkg.meter.registers import DebtRegister
from specpkg.meter.simulation import (
    REGISTER_COLUMNS,
    ModeChange,
    Reset,
    TopUp,
    example_meter,
    simulate,
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
