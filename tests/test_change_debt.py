"""What a GSME does with every field of the Change Debt, and what the reset leaves (BR-1, SR-1).

A ZigBee Smart Energy Change Debt (ZSE 1.2 Prepayment cluster, command 0x02) carries,
beside the debt amount and its type, the debt recovery method, start time,
collection time, frequency, recovery amount and balance percentage, and a GSME sets
them all for the register the amount type names (GBCS GCS04 sets them so). The gas
reset is a Change Debt, so it overwrites the register's recovery settings with what
it carries; the electricity reset, DLMS Charge method 5, carries only the value
and leaves them alone (finding F-50).
"""

from __future__ import annotations

import dataclasses

import pytest

from specpkg.gbcs import debt_messages, gbz, messages, reset_messages
from specpkg.meter.registers import (
    DebtRecovery,
    DebtRegister,
    Device,
    RecoveryMethod,
    apply_debt_change,
    recovery_of,
    top_up,
)
from specpkg.system.flow import make_testbed
from specpkg.testing.scenarios import SR23_VALUES

METHODS = {gbz.RecoveryMethod.TIME_BASED: RecoveryMethod.TIME_BASED,
           gbz.RecoveryMethod.PAYMENT_BASED: RecoveryMethod.PAYMENT_BASED}


def _change_debt(command: bytes) -> gbz.ChangeDebt:
    (component,) = messages.decode(command).apdu.payload.components
    return component.frame.payload


def _gcs04_methods() -> dict[DebtRegister, RecoveryMethod]:
    """The recovery method GCS04 (SR 2.3 Update Debt) sets for each register; the
    workbook's GCS04 encoder reproduces the RTDS 2.3 GCS04 vectors byte for byte."""
    payload = debt_messages.gcs04_payload(SR23_VALUES[Device.GSME])
    return {c.frame.payload.register: METHODS[c.frame.payload.recovery_method]
            for c in payload.components}


@pytest.mark.parametrize("register", list(DebtRegister))
def test_sr1_the_gsme_applies_every_field_of_the_change_debt(register: DebtRegister) -> None:
    """SR-1: the meter model sets the register from the debt amount and its recovery
    settings from every other field of the reset's Change Debt, none ignored."""
    result = make_testbed().run("GSME", register)
    change = _change_debt(result.command)
    carried = DebtRecovery(METHODS[change.recovery_method], change.recovery_amount,
                           {gbz.RecoveryFrequency.HOURLY: "hourly",
                            gbz.RecoveryFrequency.DAILY: "daily"}[change.frequency],
                           change.balance_percentage, change.recovery_start_time,
                           change.collection_time)
    assert result.after.register(register) == change.debt_amount == 0
    assert recovery_of(result.after, register) == carried
    for other in DebtRegister:
        if other is not register:
            assert recovery_of(result.after, other) == recovery_of(result.before, other)


@pytest.mark.parametrize("register", list(DebtRegister))
def test_sr1_a_gas_reset_keeps_each_registers_recovery_method_as_gcs04_sets_it(
        register: DebtRegister) -> None:
    """SR-1 mirrors GCS04: the reset's Change Debt recovers the register by the method
    GCS04 gives it (the Payment Debt Register payment-based, the Time Debt Registers
    time-based), and the meter's register keeps that method after the reset."""
    expected = _gcs04_methods()[register]
    result = make_testbed().run("GSME", register)
    assert METHODS[_change_debt(result.command).recovery_method] is expected
    assert recovery_of(result.after, register).method is expected


@pytest.mark.parametrize("register", list(DebtRegister))
def test_br1_sr1_a_gas_reset_never_makes_recovery_harsher(register: DebtRegister) -> None:
    """BR-1, SR-1: a reset writes off debt; it sets no recovery of its own. Whatever the
    Change Debt carries, no recovery amount or balance percentage of any register is
    higher after the gas reset than before (a reset carrying a recovery amount of
    2,000,000 fails here)."""
    result = make_testbed().run("GSME", register)
    for reg in DebtRegister:
        before, after = recovery_of(result.before, reg), recovery_of(result.after, reg)
        assert after.amount <= before.amount and after.balance_bp <= before.balance_bp, reg


@pytest.mark.parametrize("register", list(DebtRegister))
def test_f50_a_gas_reset_overwrites_the_recovery_settings_an_electricity_reset_keeps_them(
        register: DebtRegister) -> None:
    """F-50: the same reset on both fuels. On the GSME the register's recovery settings
    are what the Change Debt carries (all 0 but the method); on the ESME (method 5,
    a value only) they are as before. New payment debt after a Payment Debt Register
    reset is then recovered from a top-up on the ESME and not on the GSME."""
    runs = {d: make_testbed().run(d, register) for d in Device}
    gas, electric = runs[Device.GSME], runs[Device.ESME]
    assert recovery_of(electric.after, register) == recovery_of(electric.before, register)
    assert recovery_of(gas.after, register) == DebtRecovery(
        recovery_of(gas.before, register).method)
    assert recovery_of(gas.before, register) != recovery_of(gas.after, register)
    if register is DebtRegister.PAYMENT_DEBT:
        taken = {d: top_up(apply_debt_change(r.after, register, 500, absolute=False), 1_000)[1]
                 for d, r in runs.items()}
        assert taken[Device.ESME] > 0 == taken[Device.GSME]


def test_a_change_debt_outside_the_model_is_not_half_applied() -> None:
    """A Change Debt whose frequency the meter model does not cover (weekly) is no debt
    operation the meter can carry out: neither its amount nor its settings apply."""
    change = gbz.ChangeDebt(1, 0, gbz.RecoveryMethod.TIME_BASED,
                            gbz.DebtAmountType.TYPE1_ABSOLUTE,
                            frequency=gbz.RecoveryFrequency.WEEKLY)
    payload = gbz.Gbz((gbz.change_debt_component(change, sequence=0, last=True),))
    (op,) = reset_messages.operations(payload)
    assert op.register is None and op.recovery is None and "not modelled" in op.description
    daily = dataclasses.replace(change, frequency=gbz.RecoveryFrequency.DAILY, recovery_amount=7)
    (op,) = reset_messages.operations(gbz.Gbz((gbz.change_debt_component(daily, 0, True),)))
    assert op.recovery == DebtRecovery(RecoveryMethod.TIME_BASED, 7, "daily")


def test_recovery_settings_take_words_and_refuse_every_field_out_of_its_range() -> None:
    """BR-1, SR-1: a Change Debt's recovery settings are checked field by field, each
    refusal naming the field (ZSE 1.2 Prepayment cluster: 32-bit amounts, basis points
    to 10,000, UTC seconds, minutes after midnight)."""
    from specpkg.errors import ValidationError
    from specpkg.meter.registers import RecoveryPeriod

    words = DebtRecovery("payment-based", period="daily")
    assert words.method is RecoveryMethod.PAYMENT_BASED
    assert words.period is RecoveryPeriod.DAILY
    highest = DebtRecovery(RecoveryMethod.TIME_BASED, 2**31 - 1, balance_bp=10_000,
                           start_time=2**32 - 1, collection_time=2**16 - 1)
    assert (highest.amount, highest.balance_bp, highest.start_time,
            highest.collection_time) == (2**31 - 1, 10_000, 2**32 - 1, 2**16 - 1)
    for field, value in (("amount", 2**31), ("amount", -1), ("balance_bp", 10_001),
                         ("balance_bp", -1), ("start_time", 2**32), ("start_time", -1),
                         ("collection_time", 2**16), ("collection_time", -1),
                         ("amount", 1.5), ("method", "weekly"), ("period", "fortnightly")):
        kwargs = {"method": RecoveryMethod.TIME_BASED, field: value}
        with pytest.raises(ValidationError) as refused:
            DebtRecovery(**kwargs)
        assert refused.value.field == field, (field, value)
