"""Hour-by-hour simulation of one meter with top-ups, mode changes and resets.

Each hour applies, in order: the events of that hour (top-ups, resets, mode
changes, as listed), then :func:`specpkg.registers.advance_hour`. The clock is
fixed (``START``) so that every run is reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd

from specpkg.errors import ValidationError
from specpkg.meter.registers import (
    DebtRegister,
    Device,
    MeterState,
    PaymentMode,
    RecoveryPeriod,
    TimeDebtRecovery,
    advance_hour,
    check_int,
    parse_mode,
    parse_register,
    reset,
    set_mode,
    top_up,
    verdict,
)

START = datetime(2019, 6, 27, tzinfo=UTC)

#: A household's hourly consumption cost in pence, midnight to 23:00.
DAILY_PROFILE: tuple[int, ...] = (
    4,
    3,
    3,
    3,
    3,
    4,
    8,
    12,
    10,
    7,
    6,
    6,
    7,
    6,
    6,
    7,
    10,
    16,
    20,
    18,
    14,
    11,
    8,
    5,
)


@dataclass(frozen=True)
class TopUp:
    hour: int
    amount: int


@dataclass(frozen=True)
class Reset:
    hour: int
    register: DebtRegister

    def __post_init__(self) -> None:
        object.__setattr__(self, "register", parse_register(self.register))


@dataclass(frozen=True)
class ModeChange:
    hour: int
    mode: PaymentMode

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", parse_mode(self.mode))


Event = TopUp | Reset | ModeChange

REGISTER_COLUMNS = [r.value for r in DebtRegister]


def weekly_top_ups(hours: int, amount: int, every_hours: int = 24 * 7, at: int = 10) -> list[TopUp]:
    """A top-up of ``amount`` pence every ``every_hours`` hours, first at hour ``at``."""
    check_int("every_hours", every_hours, 1)
    return [TopUp(h, amount) for h in range(at, hours, every_hours)]


def _consumption(consumption: int | Sequence[int] | None, hours: int) -> list[int]:
    if consumption is None:
        return [DAILY_PROFILE[h % 24] for h in range(hours)]
    if isinstance(consumption, int) and not isinstance(consumption, bool):
        return [check_int("consumption", consumption, 0)] * hours
    values = list(consumption)
    if len(values) != hours:
        raise ValidationError("consumption", f"needs {hours} hourly values, got {len(values)}")
    return [check_int("consumption", v, 0) for v in values]


def _apply(state: MeterState, event: Event) -> tuple[MeterState, int, str]:
    if isinstance(event, TopUp):
        after, recovered = top_up(state, event.amount)
        return after, recovered, f"top-up {event.amount}"
    if isinstance(event, Reset):
        after, outcome = reset(state, event.register)
        return after, 0, f"reset {event.register.value} ({verdict(outcome.success)})"
    return set_mode(state, event.mode), 0, f"mode {event.mode.value}"


def simulate(
    initial: MeterState,
    hours: int = 30 * 24,
    *,
    events: Iterable[Event] = (),
    consumption: int | Sequence[int] | None = None,
    start: datetime = START,
) -> pd.DataFrame:
    """Run the meter for ``hours`` hours; one row per hour, state at its end."""
    check_int("hours", hours, 1, 24 * 366 * 5)
    per_hour = _consumption(consumption, hours)
    by_hour: dict[int, list[Event]] = {}
    for event in events:
        if not isinstance(event, Event):
            raise ValidationError("event", f"unknown event {event!r}")
        check_int("event.hour", event.hour, 0, hours - 1)
        by_hour.setdefault(event.hour, []).append(event)
    state = initial
    rows = []
    for hour in range(hours):
        when = start + timedelta(hours=hour)
        recovered, notes = 0, []
        for event in by_hour.get(hour, []):
            state, taken, note = _apply(state, event)
            recovered += taken
            notes.append(note)
        state, taken = advance_hour(state, when.hour, per_hour[hour])
        recovered += taken
        rows.append(
            {
                "hour": hour,
                "time": when,
                "mode": state.mode.value,
                "balance": state.balance,
                **{r.value: state.register(r) for r in DebtRegister},
                "recovered": recovered,
                "consumption": per_hour[hour],
                "supply": state.supply.value,
                "events": "; ".join(notes),
            }
        )
    frame = pd.DataFrame(rows)
    int_cols = ["hour", "balance", *REGISTER_COLUMNS, "recovered", "consumption"]
    return frame.astype({c: "int64" for c in int_cols})


def example_meter(device: Device | str = Device.ESME,
                  mode: PaymentMode | str = PaymentMode.PREPAYMENT) -> MeterState:
    """A meter carrying debt on all three registers (the workbook's running example):
    50p a day (the default period) and 2p an hour of time debt, 10% of each top-up to
    payment debt, 500p of emergency credit, disabled below a zero threshold (the default)."""
    return MeterState(
        device=device,
        mode=mode,
        balance=1_000,
        time_debt_1=3_000,
        time_debt_2=1_500,
        payment_debt=5_000,
        recovery_1=TimeDebtRecovery(50),
        recovery_2=TimeDebtRecovery(2, RecoveryPeriod.HOURLY),
        payment_recovery_bp=1_000,
        emergency_credit_limit=500,
    )


def state_diff(before: MeterState, after: MeterState) -> pd.DataFrame:
    """Field-by-field before/after table with a ``changed`` flag (BR-1 evidence)."""
    old, new = before.as_dict(), after.as_dict()
    frame = pd.DataFrame({"field": list(old), "before": list(old.values()),
                          "after": [new[k] for k in old]})
    frame["changed"] = frame["before"] != frame["after"]
    return frame


def reset_matrix(device: str, mode: str) -> pd.DataFrame:
    """Reset each register in turn on the example meter: what each leaves behind."""
    before = example_meter(device, mode)
    rows = []
    for register in DebtRegister:
        after, outcome = reset(before, register)
        rows.append({
            "reset": register.value,
            **{r.value: after.register(r) for r in DebtRegister},
            "balance": after.balance,
            "fields changed": int(state_diff(before, after)["changed"].sum()),
            "payment mode after": after.mode.value,
            "success": outcome.success,
        })
    return pd.DataFrame(rows)
