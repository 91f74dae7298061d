"""The register model: BR-1..BR-5 and typed errors for bad input."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specpkg.errors import ValidationError
from specpkg.meter.registers import (
    DebtRegister,
    Device,
    MeterState,
    PaymentMode,
    RecoveryPeriod,
    ResetOutcome,
    ResetReport,
    SupplyState,
    TimeDebtRecovery,
    advance_hour,
    outcome_of,
    reset,
    set_mode,
    top_up,
    write_register,
)
from specpkg.meter.simulation import example_meter

amounts = st.integers(0, 2**31 - 1)


@st.composite
def meters(draw: st.DrawFn) -> MeterState:
    return MeterState(
        device=draw(st.sampled_from(Device)),
        mode=draw(st.sampled_from(PaymentMode)),
        balance=draw(st.integers(-100_000, 1_000_000)),
        time_debt_1=draw(amounts),
        time_debt_2=draw(amounts),
        payment_debt=draw(amounts),
        recovery_1=TimeDebtRecovery(
            draw(st.integers(0, 10_000)), draw(st.sampled_from(RecoveryPeriod))
        ),
        recovery_2=TimeDebtRecovery(
            draw(st.integers(0, 10_000)), draw(st.sampled_from(RecoveryPeriod))
        ),
        payment_recovery_bp=draw(st.integers(0, 10_000)),
        emergency_credit_limit=draw(st.integers(0, 5_000)),
        disablement_threshold=draw(st.integers(-1_000, 1_000)),
        collection_hour=draw(st.integers(0, 23)),
    )


def test_reset_touches_one_register() -> None:
    """BR-1: only the named register changes; every other field stays."""
    before = example_meter("GSME", "prepayment")
    after, outcome = reset(before, DebtRegister.TIME_DEBT_2)
    assert after.time_debt_2 == 0
    changed = {
        f.name for f in dataclasses.fields(MeterState)
        if getattr(before, f.name) != getattr(after, f.name)
    }
    assert changed == {"time_debt_2"}
    assert outcome == ResetOutcome(DebtRegister.TIME_DEBT_2, before=1_500, after=0)


@pytest.mark.parametrize("device", list(Device))
@pytest.mark.parametrize("register", list(DebtRegister))
def test_reset_every_register_on_every_device(device: Device, register: DebtRegister) -> None:
    """BR-1: each of the three registers on ESME and GSME resets independently."""
    before = example_meter(device.value)
    assert before.register(register) > 0
    after, outcome = reset(before, register)
    assert after.register(register) == 0 and outcome.success
    for other in DebtRegister:
        if other is not register:
            assert after.register(other) == before.register(other)


@pytest.mark.parametrize("mode", list(PaymentMode))
def test_reset_works_in_both_modes(mode: PaymentMode) -> None:
    """BR-2: the command is usable in credit and in prepayment mode."""
    before = example_meter("ESME", mode.value)
    after, outcome = reset(before, "PaymentDebtRegister")
    assert outcome.success and after.payment_debt == 0 and after.mode is mode


def test_no_recovery_in_credit_mode() -> None:
    """BR-3: in credit mode neither time nor payment debt is recovered."""
    state = example_meter("ESME", "credit")
    after, recovered = advance_hour(state, 0, consumption=10)
    assert recovered == 0 and after.registers() == state.registers()
    assert after.balance == state.balance and after.credit_charges == 10
    after, recovered = top_up(state, 2_000)
    assert recovered == 0 and after.payment_debt == state.payment_debt


def test_prepayment_recovers_time_and_payment_debt() -> None:
    """BR-3 (the other side): prepayment mode does recover, so a reset matters there."""
    state = example_meter("GSME", "prepayment")
    after, recovered = advance_hour(state, state.collection_hour, consumption=0)
    assert recovered == 50 + 2
    assert after.time_debt_1 == 3_000 - 50 and after.time_debt_2 == 1_500 - 2
    after, recovered = top_up(state, 2_000)
    assert recovered == 200 and after.balance == state.balance + 1_800


def test_outcome_success_iff_zero() -> None:
    """BR-4: the outcome is judged by the register after execution."""
    before = example_meter()
    assert outcome_of("TimeDebtRegister1", before, before).success is False
    after, _ = reset(before, "TimeDebtRegister1")
    assert outcome_of("TimeDebtRegister1", after, before).success is True
    zero = dataclasses.replace(before, time_debt_1=0)
    assert outcome_of("TimeDebtRegister1", zero, zero).success is True


def test_outcome_carries_no_register_values() -> None:
    """BR-5: what the device reports is success or failure, not the debt."""
    _, outcome = reset(example_meter(), DebtRegister.PAYMENT_DEBT)
    reported = outcome.report()
    assert reported == {"register": "PaymentDebtRegister", "success": True}
    assert not any(isinstance(v, int) and not isinstance(v, bool) for v in reported.values())


def test_reset_is_idempotent() -> None:
    once, first = reset(example_meter(), DebtRegister.TIME_DEBT_1)
    twice, second = reset(once, DebtRegister.TIME_DEBT_1)
    assert once == twice and first.success and second.success


def test_supply_disabled_below_threshold_and_restored_by_top_up() -> None:
    state = dataclasses.replace(example_meter(), balance=-400, emergency_credit_limit=500)
    after, _ = advance_hour(state, 5, consumption=200)
    assert after.supply is SupplyState.DISABLED
    again, _ = advance_hour(after, 6, consumption=200)
    assert again.balance == after.balance - 2  # no consumption while disabled, only debt
    restored, _ = top_up(again, 5_000)
    assert restored.supply is SupplyState.ENABLED


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("register", "TimeDebtRegister9", "unknown register"),
        ("mode", "postpaid", "unknown mode"),
        ("device", "HCALCS", "unknown device"),
        ("time_debt_1", -1, "at least 0"),
        ("balance", 10.5, "must be an integer"),
        ("payment_recovery_bp", 10_001, "at most 10000"),
        ("rate", -5, "at least 0"),
    ],
)
def test_bad_input_names_the_field(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        if field == "register":
            reset(example_meter(), value)  # type: ignore[arg-type]
        elif field == "rate":
            TimeDebtRecovery(value)  # type: ignore[arg-type]
        else:
            dataclasses.replace(example_meter(), **{field: value})
    assert caught.value.field == field and message in str(caught.value)


def test_money_must_not_be_bool_or_float() -> None:
    with pytest.raises(ValidationError):
        top_up(example_meter(), 10.0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        dataclasses.replace(example_meter(), payment_debt=True)


@given(meters(), st.sampled_from(DebtRegister))
def test_property_reset_touches_only_that_register(state: MeterState, reg: DebtRegister) -> None:
    after, _ = reset(state, reg)
    assert after == dataclasses.replace(state, **{reg.field: 0})


@given(meters(), st.sampled_from(DebtRegister))
def test_property_reset_idempotent(state: MeterState, reg: DebtRegister) -> None:
    once, _ = reset(state, reg)
    twice, outcome = reset(once, reg)
    assert once == twice and outcome.success


@given(meters(), st.integers(0, 23), st.integers(0, 1_000), st.integers(1, 100_000))
def test_property_credit_mode_never_recovers(
    state: MeterState, hour: int, consumption: int, amount: int
) -> None:
    credit = dataclasses.replace(state, mode=PaymentMode.CREDIT)
    after, recovered = advance_hour(credit, hour, consumption)
    assert recovered == 0 and after.registers() == credit.registers()
    after, recovered = top_up(credit, amount)
    assert recovered == 0 and after.registers() == credit.registers()


@given(meters(), st.sampled_from(DebtRegister), st.integers(0, 2**31 - 1))
def test_property_success_iff_zero(state: MeterState, reg: DebtRegister, left: int) -> None:
    """BR-4 for any executor: a device that leaves ``left`` behind reports success iff 0."""
    after = dataclasses.replace(state, **{reg.field: left})
    assert outcome_of(reg, after, state).success is (left == 0)


# ------------------------------------------------------------------ what a debt command writes


def _refusal(call, *args, **kwargs) -> ValidationError:
    """The ValidationError ``call`` raises; it must name a field and say why in words."""
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    assert isinstance(caught.value.reason, str) and caught.value.reason
    return caught.value


@pytest.mark.parametrize("register", list(DebtRegister))
def test_br1_write_register_sets_or_adds_and_touches_nothing_else(register) -> None:
    """BR-1: an absolute write (the default) sets the register, an incremental one adds."""
    before = example_meter()
    set_to = write_register(before, register, 7)
    assert set_to == dataclasses.replace(before, **{register.field: 7})
    added = write_register(before, register, -before.register(register) + 3, absolute=False)
    assert added == dataclasses.replace(before, **{register.field: 3})


@pytest.mark.parametrize("value", [-(2**31), 2**31, 1.5, True])
def test_br1_write_register_refuses_a_value_outside_int32(value) -> None:
    """A command value that is not a 32-bit signed integer is refused as such."""
    assert _refusal(write_register, example_meter(), DebtRegister.TIME_DEBT_1,
                    value).field == "value"


@pytest.mark.parametrize(("value", "absolute"), [(-1, True), (-3_001, False),
                                                 (2**31 - 1, False)])
def test_br1_write_register_refuses_a_register_left_outside_its_range(value, absolute) -> None:
    """The meter refuses a write that would leave the register below 0 or above
    2**31-1; the refusal names the register and the state is left as it was."""
    before = example_meter()  # time_debt_1 = 3000
    error = _refusal(write_register, before, "TimeDebtRegister1", value, absolute)
    assert error.field == "time_debt_1"


def test_br4_reset_report_takes_a_register_name_and_refuses_a_non_bool() -> None:
    """BR-4: what the DCC learns is a register and a bool success, nothing else."""
    report = ResetReport("PaymentDebtRegister", True)
    assert report.register is DebtRegister.PAYMENT_DEBT and report.success is True
    assert _refusal(ResetReport, DebtRegister.TIME_DEBT_1, 1).field == "success"
    assert _refusal(ResetReport, DebtRegister.TIME_DEBT_1, 1).reason == "must be True or False"


def test_as_dict_flattens_recoveries_and_enums_for_tables() -> None:
    """The table view: one column per field, a recovery as its rate and period, enums
    as their values (what notebook 01 shows before and after a reset)."""
    state = example_meter("GSME", "credit")
    flat = state.as_dict()
    assert flat["device"] == "GSME" and flat["mode"] == "credit" and flat["supply"] == "enabled"
    assert (flat["recovery_1_rate"], flat["recovery_1_period"]) == (50, "daily")
    assert (flat["recovery_2_rate"], flat["recovery_2_period"]) == (2, "hourly")
    assert flat["time_debt_1"] == 3_000 and flat["balance"] == 1_000
    assert "recovery_1" not in flat and "recovery_detail" not in flat  # recovery_of gives it
    assert len(flat) == len(dataclasses.fields(MeterState)) - 1 + 2


def test_br3_set_mode_to_prepayment_applies_the_disablement_rule() -> None:
    """A meter switched into prepayment with too little credit is disabled at once;
    back in credit mode it is enabled again."""
    credit = dataclasses.replace(example_meter("ESME", "credit"), balance=-900,
                                 emergency_credit_limit=500)
    prepayment = set_mode(credit, "prepayment")
    assert prepayment.mode is PaymentMode.PREPAYMENT
    assert prepayment.supply is SupplyState.DISABLED
    assert set_mode(prepayment, PaymentMode.CREDIT).supply is SupplyState.ENABLED


@pytest.mark.parametrize(("hour", "consumption", "field"), [
    (24, 0, "hour_of_day"), (-1, 0, "hour_of_day"), (3, -1, "consumption"),
    (3, 2**31, "consumption")])
def test_advance_hour_refuses_an_hour_or_consumption_out_of_range(hour, consumption,
                                                                  field) -> None:
    assert _refusal(advance_hour, example_meter(), hour, consumption).field == field


def test_br3_daily_time_debt_is_taken_once_at_the_collection_hour() -> None:
    """BR-3: a daily recovery takes its amount at the collection hour and not before."""
    daily = TimeDebtRecovery(40, RecoveryPeriod.DAILY)
    state = dataclasses.replace(example_meter(), recovery_1=daily, recovery_2=daily,
                                collection_hour=5)
    before_hour, taken = advance_hour(state, 4, 0)
    assert taken == 0 and before_hour.registers() == state.registers()
    at_hour, taken = advance_hour(state, 5, 0)
    assert taken == 80 and at_hour.time_debt_2 == state.time_debt_2 - 40
    assert at_hour.balance == state.balance - 80


def test_br3_credit_mode_always_supplies_and_the_threshold_itself_is_enough() -> None:
    """Credit mode never disables supply; in prepayment a balance plus emergency credit
    exactly at the disablement threshold still supplies."""
    off = dataclasses.replace(example_meter(mode="credit"), supply=SupplyState.DISABLED)
    assert advance_hour(off, 3, 5)[0].supply is SupplyState.ENABLED
    at_threshold = dataclasses.replace(example_meter(), balance=-500, emergency_credit_limit=500,
                                       disablement_threshold=0, time_debt_1=0, time_debt_2=0)
    assert advance_hour(at_threshold, 3, 0)[0].supply is SupplyState.ENABLED


def test_br3_a_top_up_recovers_payment_debt_out_of_the_amount() -> None:
    state = example_meter()  # 10% of each top-up, 5000 payment debt
    after, recovered = top_up(state, 3_000)
    assert recovered == 300 and after.payment_debt == state.payment_debt - 300
    assert _refusal(top_up, state, 2**31).field == "amount"


def test_as_dict_values_are_plain_strings_and_ints() -> None:
    flat = example_meter().as_dict()
    assert all(type(v) in (str, int) for v in flat.values())


# ------------------------------------------------------------------ the ranges a meter holds

#: (field, lowest, highest) a MeterState holds; None: no upper bound (a running total).
_RANGES = [
    ("balance", -(2**31 - 1), 2**31 - 1),
    ("time_debt_1", 0, 2**31 - 1),
    ("time_debt_2", 0, 2**31 - 1),
    ("payment_debt", 0, 2**31 - 1),
    ("payment_recovery_bp", 0, 10_000),
    ("emergency_credit_limit", 0, 2**31 - 1),
    ("disablement_threshold", -(2**31 - 1), 2**31 - 1),
    ("credit_charges", 0, None),
    ("collection_hour", 0, 23),
]


@pytest.mark.parametrize(("field", "low", "high"), _RANGES)
def test_meter_state_holds_each_value_up_to_its_bounds_and_refuses_past_them(
        field: str, low: int, high: int | None) -> None:
    """BR-1..BR-3 work on int32 registers and money: each field accepts its lowest and
    highest value and refuses one past either end (and a float), naming the field."""
    base = example_meter()
    assert getattr(dataclasses.replace(base, **{field: low}), field) == low
    refused = [low - 1, 0.5]
    if high is None:
        assert getattr(dataclasses.replace(base, **{field: 2**40}), field) == 2**40
    else:
        assert getattr(dataclasses.replace(base, **{field: high}), field) == high
        refused.append(high + 1)
    for value in refused:
        assert _refusal(dataclasses.replace, base, **{field: value}).field == field


def test_a_refused_integer_names_the_type_it_got() -> None:
    """A float where money is expected is refused saying it got a float."""
    error = _refusal(dataclasses.replace, example_meter(), balance=12.5)
    assert "float" in error.reason


@pytest.mark.parametrize("field", ["recovery_1", "recovery_2"])
def test_a_recovery_must_be_a_time_debt_recovery(field: str) -> None:
    """A recovery rate given as a bare number is refused, naming the recovery."""
    assert _refusal(dataclasses.replace, example_meter(), **{field: 50}).field == field


def test_time_debt_recovery_rate_is_an_int32_and_period_is_parsed() -> None:
    """BR-3: a time debt rate is 0..2**31-1 pence; the period is read from its name."""
    assert TimeDebtRecovery(2**31 - 1).rate == 2**31 - 1
    assert _refusal(TimeDebtRecovery, 2**31).field == "rate"
    assert TimeDebtRecovery(5, "HOURLY").period is RecoveryPeriod.HOURLY
    assert TimeDebtRecovery(5, "Daily").period is RecoveryPeriod.DAILY
    assert _refusal(TimeDebtRecovery, 5, "weekly").field == "period"


@pytest.mark.parametrize(("field", "kind"), [("device", Device), ("mode", PaymentMode),
                                             ("supply", SupplyState)])
def test_meter_state_reads_its_enums_from_text_and_lists_the_choices_when_refusing(
        field: str, kind: type) -> None:
    """Device, mode and supply are read from their value or name in any case; an
    unknown one is refused naming the field and listing exactly the accepted values."""
    base = example_meter()
    for member in kind:
        for text in (member.value, member.name, member.value.upper()):
            assert getattr(dataclasses.replace(base, **{field: text}), field) is member
    error = _refusal(dataclasses.replace, base, **{field: "unknown"})
    assert error.field == field
    listed = error.reason.rsplit("expected one of ", 1)[1].split(", ")
    assert [getattr(dataclasses.replace(base, **{field: text}), field) for text in listed] \
        == list(kind)


def test_br3_a_time_debt_register_set_to_payment_based_recovery_recovers_nothing_by_the_hour(
        ) -> None:
    """BR-3 with a ZSE Change Debt's method (ZSE 1.2 Prepayment cluster): a Time Debt
    Register a Change Debt switched to payment-based recovery takes nothing hour by hour;
    the other one still does, exactly its hourly due."""
    from specpkg.meter.registers import DebtRecovery, RecoveryMethod, set_recovery

    start = dataclasses.replace(example_meter("GSME", "prepayment"), balance=100_000,
                                time_debt_1=10_000, time_debt_2=10_000,
                                recovery_1=TimeDebtRecovery(24, RecoveryPeriod.HOURLY),
                                recovery_2=TimeDebtRecovery(36, RecoveryPeriod.HOURLY))
    switched = set_recovery(start, DebtRegister.TIME_DEBT_1,
                            DebtRecovery(RecoveryMethod.PAYMENT_BASED, 24, RecoveryPeriod.HOURLY))
    after, taken = advance_hour(switched, 10, 0)
    assert after.time_debt_1 == 10_000  # payment-based: not recovered by time
    assert taken == 10_000 - after.time_debt_2 > 0
    both, both_taken = advance_hour(start, 10, 0)
    assert both.time_debt_1 < 10_000 and both_taken == taken + (10_000 - both.time_debt_1)


def test_recovery_of_takes_the_time_registers_rate_and_period_from_the_meter() -> None:
    """A time register's recovery is the meter's own rate and period, whatever the detail
    row last recorded (the detail holds only what the rate and period do not)."""
    from specpkg.meter.registers import RecoveryPeriod, TimeDebtRecovery, recovery_of

    state = example_meter()
    hourly = TimeDebtRecovery(7, RecoveryPeriod.HOURLY)
    moved = dataclasses.replace(state, recovery_1=hourly)
    assert state.recovery_1.period is not RecoveryPeriod.HOURLY
    found = recovery_of(moved, DebtRegister.TIME_DEBT_1)
    assert (found.amount, found.period) == (7, RecoveryPeriod.HOURLY)


def test_a_debt_change_is_absolute_unless_it_says_otherwise() -> None:
    """A debt operation writes the register's new value (the reset writes 0) unless it is
    marked as an adjustment (relative)."""
    from specpkg.meter.registers import apply_debt_change

    state = example_meter()
    owed = state.time_debt_1
    assert apply_debt_change(state, DebtRegister.TIME_DEBT_1, 100).time_debt_1 == 100
    assert apply_debt_change(state, DebtRegister.TIME_DEBT_1, 100,
                             absolute=False).time_debt_1 == owed + 100
