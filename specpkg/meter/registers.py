"""The prepayment state of an ESME or GSME and its three Debt Registers (BR-1..BR-4).

Money is whole pence (``int``) throughout; nothing here ever makes a float.
The model follows the SMETS behaviour the specification relies on:

* Time Debt Registers 1 and 2 are recovered by time, a fixed amount per hour or
  per day (a daily amount is taken once a day, at the collection hour);
* the Payment Debt Register is recovered as a share of every top-up, given in
  basis points (1/100 of a per cent, as the DUIS ``DebtRecoveryPerPayment``);
* recovery only ever happens in prepayment mode (BR-3);
* a reset sets exactly one register to zero and touches nothing else, in either
  mode (BR-1, BR-2), and reports success iff the register is zero afterwards
  (BR-4);
* each register has its debt recovery settings (:class:`DebtRecovery`): the
  fields a ZigBee Smart Energy Change Debt carries for it (ZSE 1.2 Prepayment
  cluster, Change Debt: debt recovery method, start time, collection time,
  frequency, recovery amount, balance percentage; GBCS GCS04 sets them). A
  command that carries them sets them all (:func:`apply_debt_change`): the gas
  reset does; the electricity reset, DLMS method 5 ``set_total_amount_remaining``,
  carries only the register's value and leaves them alone (finding F-50).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any, TypeVar

from specpkg.errors import ValidationError

INT32_MAX = 2**31 - 1
BASIS_POINTS = 10_000


class Device(StrEnum):
    """The two target devices of the new commands (SR-8)."""

    ESME = "ESME"
    GSME = "GSME"


class DebtRegister(StrEnum):
    """The three Debt Registers; values are the DUIS element names."""

    TIME_DEBT_1 = "TimeDebtRegister1"
    TIME_DEBT_2 = "TimeDebtRegister2"
    PAYMENT_DEBT = "PaymentDebtRegister"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def field(self) -> str:
        """The MeterState field that holds this register."""
        return _FIELDS[self]


_LABELS = {
    DebtRegister.TIME_DEBT_1: "Time Debt Register 1",
    DebtRegister.TIME_DEBT_2: "Time Debt Register 2",
    DebtRegister.PAYMENT_DEBT: "Payment Debt Register",
}
_FIELDS = {
    DebtRegister.TIME_DEBT_1: "time_debt_1",
    DebtRegister.TIME_DEBT_2: "time_debt_2",
    DebtRegister.PAYMENT_DEBT: "payment_debt",
}


class PaymentMode(StrEnum):
    CREDIT = "credit"
    PREPAYMENT = "prepayment"


class RecoveryPeriod(StrEnum):
    HOURLY = "hourly"
    DAILY = "daily"


class RecoveryMethod(StrEnum):
    """How a register is recovered (ZSE Change Debt "Debt Recovery Method")."""

    TIME_BASED = "time-based"
    PAYMENT_BASED = "payment-based"


class SupplyState(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


E = TypeVar("E", bound=StrEnum)


def _parse_enum(kind: type[E], field: str, value: Any) -> E:
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        for member in kind:
            if value in (member.value, member.name) or value.lower() == member.value.lower():
                return member
    allowed = ", ".join(m.value for m in kind)
    raise ValidationError(field, f"unknown {field} {value!r}; expected one of {allowed}")


def parse_device(value: Any) -> Device:
    return _parse_enum(Device, "device", value)


def parse_register(value: Any) -> DebtRegister:
    return _parse_enum(DebtRegister, "register", value)


def parse_mode(value: Any) -> PaymentMode:
    return _parse_enum(PaymentMode, "mode", value)


def parse_period(value: Any) -> RecoveryPeriod:
    return _parse_enum(RecoveryPeriod, "period", value)


def check_int(field: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """An integer in [low, high]; floats and bools are refused (money is integral)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"must be an integer, got {type(value).__name__} {value!r}")
    if low is not None and value < low:
        raise ValidationError(field, f"must be at least {low}, got {value}")
    if high is not None and value > high:
        raise ValidationError(field, f"must be at most {high}, got {value}")
    return value


@dataclass(frozen=True)
class TimeDebtRecovery:
    """A time-based recovery rate: ``rate`` pence per ``period``."""

    rate: int
    period: RecoveryPeriod = RecoveryPeriod.DAILY

    def __post_init__(self) -> None:
        check_int("rate", self.rate, 0, INT32_MAX)
        object.__setattr__(self, "period", parse_period(self.period))


@dataclass(frozen=True)
class DebtRecovery:
    """One register's debt recovery settings, the fields of a ZSE Change Debt other than
    the debt amount (ZSE 1.2 Prepayment cluster, Change Debt command): ``method``;
    time-based: ``amount`` pence per ``period``, from ``start_time`` (ZigBee UTC
    seconds), a daily amount taken at ``collection_time`` (minutes after midnight);
    payment-based: ``balance_bp`` basis points of each payment."""

    method: RecoveryMethod
    amount: int = 0
    period: RecoveryPeriod = RecoveryPeriod.HOURLY
    balance_bp: int = 0
    start_time: int = 0
    collection_time: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", _parse_enum(RecoveryMethod, "method", self.method))
        object.__setattr__(self, "period", parse_period(self.period))
        check_int("amount", self.amount, 0, INT32_MAX)
        check_int("balance_bp", self.balance_bp, 0, BASIS_POINTS)
        check_int("start_time", self.start_time, 0, 2**32 - 1)
        check_int("collection_time", self.collection_time, 0, 2**16 - 1)


#: What a meter holds for the settings a MeterState does not model by itself: the
#: Time Debt Registers time-based, the Payment Debt Register payment-based (as GCS04
#: sets them), nothing else set.
DEFAULT_RECOVERY = (DebtRecovery(RecoveryMethod.TIME_BASED),
                    DebtRecovery(RecoveryMethod.TIME_BASED),
                    DebtRecovery(RecoveryMethod.PAYMENT_BASED))


@dataclass(frozen=True)
class MeterState:
    """One meter's prepayment state. Registers and balance are pence."""

    device: Device
    mode: PaymentMode
    balance: int
    time_debt_1: int = 0
    time_debt_2: int = 0
    payment_debt: int = 0
    recovery_1: TimeDebtRecovery = TimeDebtRecovery(0)
    recovery_2: TimeDebtRecovery = TimeDebtRecovery(0)
    payment_recovery_bp: int = 0
    emergency_credit_limit: int = 0
    disablement_threshold: int = 0
    supply: SupplyState = SupplyState.ENABLED
    credit_charges: int = 0
    collection_hour: int = 0
    #: Per register (in DebtRegister order) the recovery settings beyond those above:
    #: a Time Debt Register's rate and period live in ``recovery_1``/``recovery_2``, the
    #: Payment Debt Register's percentage in ``payment_recovery_bp`` (one truth each);
    #: :func:`recovery_of` gives a register's whole :class:`DebtRecovery`.
    recovery_detail: tuple[DebtRecovery, DebtRecovery, DebtRecovery] = DEFAULT_RECOVERY

    def __post_init__(self) -> None:
        object.__setattr__(self, "device", parse_device(self.device))
        object.__setattr__(self, "mode", parse_mode(self.mode))
        object.__setattr__(self, "supply", _parse_enum(SupplyState, "supply", self.supply))
        check_int("balance", self.balance, -INT32_MAX, INT32_MAX)
        for register in DebtRegister:
            check_int(register.field, getattr(self, register.field), 0, INT32_MAX)
        for name in ("recovery_1", "recovery_2"):
            if not isinstance(getattr(self, name), TimeDebtRecovery):
                raise ValidationError(name, "must be a TimeDebtRecovery")
        check_int("payment_recovery_bp", self.payment_recovery_bp, 0, BASIS_POINTS)
        check_int("emergency_credit_limit", self.emergency_credit_limit, 0, INT32_MAX)
        check_int("disablement_threshold", self.disablement_threshold, -INT32_MAX, INT32_MAX)
        check_int("credit_charges", self.credit_charges, 0)
        check_int("collection_hour", self.collection_hour, 0, 23)
        detail = self.recovery_detail
        if (not isinstance(detail, tuple) or len(detail) != len(DebtRegister)
                or not all(isinstance(d, DebtRecovery) for d in detail)):
            raise ValidationError("recovery_detail", "one DebtRecovery per Debt Register")

    def register(self, register: DebtRegister | str) -> int:
        return int(getattr(self, parse_register(register).field))

    def registers(self) -> dict[DebtRegister, int]:
        return {r: self.register(r) for r in DebtRegister}

    def as_dict(self) -> dict[str, Any]:
        """Flat field -> value view (enums as their values), for tables."""
        out: dict[str, Any] = {}
        # recovery_of gives each register's settings whole: not flattened here
        for f in (f for f in fields(self) if f.name != "recovery_detail"):
            value = getattr(self, f.name)
            if isinstance(value, TimeDebtRecovery):
                out[f"{f.name}_rate"] = value.rate
                out[f"{f.name}_period"] = value.period.value
            else:
                out[f.name] = value.value if isinstance(value, StrEnum) else value
        return out


@dataclass(frozen=True)
class ResetOutcome:
    """What a reset reports (BR-4): success iff the register is zero afterwards."""

    register: DebtRegister
    before: int
    after: int

    @property
    def success(self) -> bool:
        return self.after == 0

    def report(self) -> dict[str, str | bool]:
        """What leaves the device: register and verdict, no amounts (BR-5)."""
        return {"register": self.register.value, "success": self.success}


@dataclass(frozen=True)
class ResetReport:
    """What the DCC learns from a device's response: which register and whether it
    is zero now. It carries no amount, so nothing personal (BR-4, BR-5)."""

    register: DebtRegister
    success: bool

    def __post_init__(self) -> None:
        object.__setattr__(self, "register", parse_register(self.register))
        if not isinstance(self.success, bool):
            raise ValidationError("success", "must be True or False")


def verdict(success: bool) -> str:
    """How a meter's log and the simulation name an outcome (BR-4)."""
    return "success" if success else "failure"


def outcome_of(register: DebtRegister | str, after: MeterState, before: MeterState) -> ResetOutcome:
    """Judge a reset by the state it left behind, whatever executed it (BR-4)."""
    reg = parse_register(register)
    return ResetOutcome(reg, before.register(reg), after.register(reg))


def reset(state: MeterState, register: DebtRegister | str) -> tuple[MeterState, ResetOutcome]:
    """Reset one Debt Register to zero; nothing else changes (BR-1, BR-2, BR-4).

    Works the same in credit and prepayment mode and is idempotent.
    """
    reg = parse_register(register)
    after = replace(state, **{reg.field: 0})
    return after, outcome_of(reg, after, state)


def write_register(state: MeterState, register: DebtRegister | str, value: int,
                   absolute: bool = True) -> MeterState:
    """What a debt command does to one register: set it to ``value`` (absolute) or
    add ``value`` to it (incremental); ValidationError if the result would leave
    0..2**31-1 (MeterState refuses it, naming the register: the meter refuses the
    command then). Nothing else changes."""
    reg = parse_register(register)
    check_int("value", value, -INT32_MAX, INT32_MAX)
    new = value if absolute else state.register(reg) + value
    return replace(state, **{reg.field: new})


_REGISTERS = tuple(DebtRegister)
_TIME_RECOVERY = {DebtRegister.TIME_DEBT_1: "recovery_1", DebtRegister.TIME_DEBT_2: "recovery_2"}


def recovery_of(state: MeterState, register: DebtRegister | str) -> DebtRecovery:
    """The whole recovery settings of one register."""
    reg = parse_register(register)
    detail = state.recovery_detail[_REGISTERS.index(reg)]
    if reg in _TIME_RECOVERY:
        time = getattr(state, _TIME_RECOVERY[reg])
        return replace(detail, amount=time.rate, period=time.period)
    return replace(detail, balance_bp=state.payment_recovery_bp)


def set_recovery(state: MeterState, register: DebtRegister | str,
                 recovery: DebtRecovery) -> MeterState:
    """The state with one register's recovery settings replaced, all of them."""
    reg = parse_register(register)
    detail = list(state.recovery_detail)
    detail[_REGISTERS.index(reg)] = recovery
    if reg in _TIME_RECOVERY:
        own = {_TIME_RECOVERY[reg]: TimeDebtRecovery(recovery.amount, recovery.period)}
    else:
        own = {"payment_recovery_bp": recovery.balance_bp}
    return replace(state, recovery_detail=tuple(detail), **own)  # type: ignore[arg-type]


def apply_debt_change(state: MeterState, register: DebtRegister | str, value: int,
                      absolute: bool = True, recovery: DebtRecovery | None = None) -> MeterState:
    """What one debt operation does to a meter: the register written as
    :func:`write_register`, and, where the command carries them (a ZSE Change Debt
    carries every field, so the gas reset does), all of the register's recovery
    settings replaced by those it carries; ``None`` (DLMS method 4 or 5, the
    electricity reset) leaves them as they were (finding F-50)."""
    after = write_register(state, register, value, absolute)
    return after if recovery is None else set_recovery(after, register, recovery)


def supply_after(state: MeterState) -> SupplyState:
    """Prepayment supply is disabled once balance plus emergency credit falls
    below the disablement threshold; credit mode never disables."""
    if state.mode is PaymentMode.CREDIT:
        return SupplyState.ENABLED
    available = state.balance + state.emergency_credit_limit
    return SupplyState.ENABLED if available >= state.disablement_threshold else SupplyState.DISABLED


def top_up(state: MeterState, amount: int) -> tuple[MeterState, int]:
    """Apply a top-up; in prepayment mode the Payment Debt Register takes its
    share first (BR-3). Returns the new state and the amount recovered."""
    check_int("amount", amount, 1, INT32_MAX)
    recovered = 0
    method = recovery_of(state, DebtRegister.PAYMENT_DEBT).method
    payment_based = method is RecoveryMethod.PAYMENT_BASED
    if state.mode is PaymentMode.PREPAYMENT and payment_based:
        recovered = min(state.payment_debt, amount * state.payment_recovery_bp // BASIS_POINTS)
    after = replace(
        state,
        balance=state.balance + amount - recovered,
        payment_debt=state.payment_debt - recovered,
    )
    return replace(after, supply=supply_after(after)), recovered


def time_recovery_due(recovery: TimeDebtRecovery, hour_of_day: int, collection_hour: int) -> int:
    """The amount a time debt recovery asks for in this hour (before capping)."""
    if recovery.period is RecoveryPeriod.HOURLY or hour_of_day == collection_hour:
        return recovery.rate
    return 0


def advance_hour(state: MeterState, hour_of_day: int, consumption: int) -> tuple[MeterState, int]:
    """One hour of metering: consumption, then time debt recovery (prepayment
    only, BR-3), then the supply state. Returns the new state and the amount
    of debt recovered in the hour."""
    check_int("hour_of_day", hour_of_day, 0, 23)
    check_int("consumption", consumption, 0, INT32_MAX)
    if state.mode is PaymentMode.CREDIT:
        after = replace(state, credit_charges=state.credit_charges + consumption)
        return replace(after, supply=SupplyState.ENABLED), 0
    used = consumption if state.supply is SupplyState.ENABLED else 0
    take_1, take_2 = (
        min(state.register(reg), time_recovery_due(getattr(state, name), hour_of_day,
                                                   state.collection_hour))
        if recovery_of(state, reg).method is RecoveryMethod.TIME_BASED else 0
        for reg, name in _TIME_RECOVERY.items())
    after = replace(
        state,
        balance=state.balance - used - take_1 - take_2,
        time_debt_1=state.time_debt_1 - take_1,
        time_debt_2=state.time_debt_2 - take_2,
    )
    return replace(after, supply=supply_after(after)), take_1 + take_2


def set_mode(state: MeterState, mode: PaymentMode | str) -> MeterState:
    after = replace(state, mode=parse_mode(mode))
    return replace(after, supply=supply_after(after))
