"""Many prepayment meters at once, hour by hour, with numpy (BR-1..BR-3, SR-12 impact).

Exactly the semantics of :func:`specpkg.simulation.simulate` (one meter) for
the scenario of a bulk reset, vectorised over meters with int64 arrays:

* every meter is in prepayment mode and starts at ``START`` (midnight, so the
  hour of the day is ``hour % 24``);
* each hour applies first the events of that hour, in this order: the weekly
  top-up (every 168 hours from ``top_up_at``; the Payment Debt Register takes
  ``amount * bp // 10000``, capped at the register, then the supply state is
  recomputed), then the reset of one register, if due this hour (the register
  becomes 0, nothing else changes); then the hour of metering: consumption
  (none while the supply is disabled), time debt recovery (hourly rate each
  hour, daily rate at the collection hour, each capped at its register), then
  the supply state;
* hourly consumption is ``profile[hour % 24] * consumption_percent // 100``.

One difference is deliberate: the per-meter model refuses a balance beyond
32 bits (``MeterState`` validation); here int64 never overflows in any
realistic run, and nothing is refused.

Meters are processed in chunks (``chunk`` meters at a time) so that memory
stays bounded for a million meters; :func:`random_fleet` draws any range of
meters on its own (meter ``i`` depends only on the seed and ``i``), so that a
national fleet never needs to be held at once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import lru_cache

import numpy as np

from specpkg.errors import ValidationError
from specpkg.meter.households import FleetInputs, default_inputs, draw
from specpkg.meter.registers import (
    BASIS_POINTS,
    INT32_MAX,
    DebtRegister,
    MeterState,
    PaymentMode,
    RecoveryPeriod,
    SupplyState,
    TimeDebtRecovery,
    check_int,
)
from specpkg.meter.simulation import DAILY_PROFILE, Event, Reset, TopUp

REGISTERS: tuple[DebtRegister, ...] = tuple(DebtRegister)
WEEK = 24 * 7
NO_RESET = -1
#: :func:`random_fleet` draws meters in blocks of this many, each block from its own seed.
BLOCK = 1 << 14


@dataclass(frozen=True)
class Fleet:
    """Initial conditions of N prepayment meters, one array element per meter.

    ``hourly_1``/``hourly_2``: True for an hourly recovery rate, else daily.
    ``top_up_amount`` 0 means no top-ups. ``reset_hour`` -1 means no reset;
    ``reset_register`` indexes :data:`REGISTERS`.
    """

    balance: np.ndarray
    time_debt_1: np.ndarray
    time_debt_2: np.ndarray
    payment_debt: np.ndarray
    rate_1: np.ndarray
    hourly_1: np.ndarray
    rate_2: np.ndarray
    hourly_2: np.ndarray
    payment_recovery_bp: np.ndarray
    emergency_credit_limit: np.ndarray
    disablement_threshold: np.ndarray
    supply_enabled: np.ndarray
    collection_hour: np.ndarray
    top_up_amount: np.ndarray
    top_up_at: np.ndarray
    consumption_percent: np.ndarray
    reset_hour: np.ndarray
    reset_register: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.balance)
        for f in fields(self):
            value = np.asarray(getattr(self, f.name))
            if value.ndim != 1 or len(value) != n:
                raise ValidationError(f.name, f"must be a 1-d array of {n} values")
            if f.name in ("hourly_1", "hourly_2", "supply_enabled"):
                value = value.astype(bool)
            else:
                if value.dtype.kind not in "iu":
                    raise ValidationError(f.name, f"must hold integers, got {value.dtype}")
                value = value.astype(np.int64)
            object.__setattr__(self, f.name, value)
        ranges = {
            "balance": (-INT32_MAX, INT32_MAX), "time_debt_1": (0, INT32_MAX),
            "time_debt_2": (0, INT32_MAX), "payment_debt": (0, INT32_MAX),
            "rate_1": (0, INT32_MAX), "rate_2": (0, INT32_MAX),
            "payment_recovery_bp": (0, BASIS_POINTS), "emergency_credit_limit": (0, INT32_MAX),
            "disablement_threshold": (-INT32_MAX, INT32_MAX), "collection_hour": (0, 23),
            "top_up_amount": (0, INT32_MAX), "top_up_at": (0, WEEK - 1),
            "consumption_percent": (0, 10_000), "reset_hour": (NO_RESET, 24 * 366 * 5),
            "reset_register": (0, len(REGISTERS) - 1),
        }
        for name, (low, high) in ranges.items():
            value = getattr(self, name)
            if n and (value.min() < low or value.max() > high):
                raise ValidationError(name, f"values must be in [{low}, {high}]")

    def __len__(self) -> int:
        return len(self.balance)

    def slice(self, start: int, stop: int) -> Fleet:
        return Fleet(**{f.name: getattr(self, f.name)[start:stop] for f in fields(self)})

    def with_resets(self, hour: np.ndarray | int, register: DebtRegister | str) -> Fleet:
        """The same fleet with one register reset at ``hour`` (per meter; -1 = none)."""
        from specpkg.meter.registers import parse_register

        code = REGISTERS.index(parse_register(register))
        hours = np.broadcast_to(np.asarray(hour, dtype=np.int64), (len(self),)).copy()
        return replace(self, reset_hour=hours,
                       reset_register=np.full(len(self), code, dtype=np.int64))

    # the same meter for the per-meter model (differential tests, BR-1..BR-3)
    def meter_state(self, i: int, device: str = "ESME") -> MeterState:
        def period(hourly: bool) -> RecoveryPeriod:
            return RecoveryPeriod.HOURLY if hourly else RecoveryPeriod.DAILY

        return MeterState(
            device=device,
            mode=PaymentMode.PREPAYMENT,
            balance=int(self.balance[i]),
            time_debt_1=int(self.time_debt_1[i]),
            time_debt_2=int(self.time_debt_2[i]),
            payment_debt=int(self.payment_debt[i]),
            recovery_1=TimeDebtRecovery(int(self.rate_1[i]), period(bool(self.hourly_1[i]))),
            recovery_2=TimeDebtRecovery(int(self.rate_2[i]), period(bool(self.hourly_2[i]))),
            payment_recovery_bp=int(self.payment_recovery_bp[i]),
            emergency_credit_limit=int(self.emergency_credit_limit[i]),
            disablement_threshold=int(self.disablement_threshold[i]),
            supply=SupplyState.ENABLED if self.supply_enabled[i] else SupplyState.DISABLED,
            collection_hour=int(self.collection_hour[i]),
        )

    def events(self, i: int, hours: int) -> list[Event]:
        """Meter ``i``'s events: weekly top-ups, then its reset (same hour: top-up first)."""
        out: list[Event] = []
        amount = int(self.top_up_amount[i])
        if amount > 0:
            out.extend(TopUp(h, amount) for h in range(int(self.top_up_at[i]), hours, WEEK))
        if 0 <= self.reset_hour[i] < hours:
            out.append(Reset(int(self.reset_hour[i]), REGISTERS[int(self.reset_register[i])]))
        return out

    def consumption(self, i: int, hours: int,
                    profile: tuple[int, ...] = DAILY_PROFILE) -> list[int]:
        pct = int(self.consumption_percent[i])
        return [profile[h % 24] * pct // 100 for h in range(hours)]


def concat(fleets: list[Fleet]) -> Fleet:
    """One fleet of the meters of ``fleets``, in order."""
    if not fleets:
        raise ValidationError("fleets", "needs at least one fleet")
    return Fleet(**{f.name: np.concatenate([getattr(x, f.name) for x in fleets])
                    for f in fields(Fleet)})


#: The most meters one draw holds (about 0.5 GiB of columns): larger fleets are drawn
#: in chunks (``start``), as :mod:`specpkg.anomaly.campaign` does.
MAX_DRAW = 5_000_000


def random_fleet(n: int, seed: int = 0, *, start: int = 0,
                 inputs: FleetInputs | None = None) -> Fleet:
    """Meters ``start .. start+n-1`` of a prepayment fleet drawn from ``inputs`` (the
    calibrated table of :mod:`specpkg.meter.households` by default). A meter depends only
    on ``seed``, the inputs and its index, so a fleet drawn in chunks is the fleet drawn
    at once."""
    check_int("n", n, 0)
    if n > MAX_DRAW:
        raise ValidationError("n", f"{n:,} meters in one draw is above the maximum of "
                                   f"{MAX_DRAW:,}: draw the fleet in chunks (start=)")
    check_int("start", start, 0)
    check_int("seed", seed, 0)
    inputs = default_inputs() if inputs is None else inputs
    if not isinstance(inputs, FleetInputs):
        raise ValidationError("inputs", "must be FleetInputs")
    first, stop = start // BLOCK, max(-(-(start + n) // BLOCK), start // BLOCK + 1)
    blocks = [_random_block(seed, b, inputs) for b in range(first, stop)]
    offset = start - first * BLOCK
    return (blocks[0] if len(blocks) == 1 else concat(blocks)).slice(offset, offset + n)


@lru_cache(maxsize=16)
def _random_block(seed: int, block: int, inputs: FleetInputs) -> Fleet:
    """Meters ``block*BLOCK ..`` of the fleet ``seed``, from their own random stream."""
    rng = np.random.default_rng((seed, block))
    return Fleet(**draw(BLOCK, rng, inputs), reset_hour=np.full(BLOCK, NO_RESET),
                 reset_register=np.zeros(BLOCK, dtype=np.int64))


@dataclass(frozen=True)
class FleetResult:
    """Per meter and day (shape N x days): debt recovered (top-ups and time), balance at
    the end of the day, hours ending with the supply disabled; per meter, the debt its
    reset wrote off (the register's value when it was zeroed; 0 without a reset); and
    the final state. With ``hourly=True`` also every hour's values (shape hours x N)."""

    daily_recovered: np.ndarray
    daily_balance: np.ndarray
    daily_disabled_hours: np.ndarray
    written_off: np.ndarray
    final: dict[str, np.ndarray]
    hourly: dict[str, np.ndarray] | None = None
    #: Per meter, the longest run of consecutive hours ending with the supply disabled.
    longest_off: np.ndarray | None = None


HOURLY_KEYS = ("balance", "time_debt_1", "time_debt_2", "payment_debt", "supply_enabled",
               "recovered")


def _groups(values: np.ndarray, size: int) -> list[np.ndarray]:
    """Indices of the meters with each value 0..size-1 (values outside are dropped)."""
    order = np.argsort(values, kind="stable")
    bounds = np.searchsorted(values[order], np.arange(size + 1))
    return [order[bounds[k]:bounds[k + 1]] for k in range(size)]


def _run_chunk(fleet: Fleet, hours: int, profile: np.ndarray, hourly: bool) -> FleetResult:
    n = len(fleet)
    days = -(-hours // 24)
    bal = fleet.balance.copy()
    regs = [fleet.time_debt_1.copy(), fleet.time_debt_2.copy(), fleet.payment_debt.copy()]
    td1, td2, pd_ = regs
    supply = fleet.supply_enabled.copy()
    ecl, thr = fleet.emergency_credit_limit, fleet.disablement_threshold
    hod = np.arange(24)[:, None]
    coll = fleet.collection_hour[None, :]
    cons = profile[:, None] * fleet.consumption_percent[None, :] // 100  # 24 x n
    due1 = np.where(fleet.hourly_1[None, :] | (hod == coll), fleet.rate_1[None, :], 0)
    due2 = np.where(fleet.hourly_2[None, :] | (hod == coll), fleet.rate_2[None, :], 0)
    top_ups = _groups(np.where(fleet.top_up_amount > 0, fleet.top_up_at, WEEK), WEEK)
    reset_rows = np.flatnonzero((fleet.reset_hour >= 0) & (fleet.reset_hour < hours))
    reset_order = reset_rows[np.argsort(fleet.reset_hour[reset_rows], kind="stable")]
    reset_hours = fleet.reset_hour[reset_order]
    # days x n while running (contiguous rows), returned as n x days
    daily_recovered = np.zeros((days, n), dtype=np.int64)
    daily_balance = np.zeros((days, n), dtype=np.int64)
    daily_disabled = np.zeros((days, n), dtype=np.int16)
    record = {k: np.zeros((hours, n), dtype=bool if k == "supply_enabled" else np.int64)
              for k in HOURLY_KEYS} if hourly else None
    recovered = np.zeros(n, dtype=np.int64)
    written_off = np.zeros(n, dtype=np.int64)
    run_off = np.zeros(n, dtype=np.int32)
    longest = np.zeros(n, dtype=np.int32)
    take1 = np.empty(n, dtype=np.int64)
    take2 = np.empty(n, dtype=np.int64)
    used = np.empty(n, dtype=np.int64)
    available = np.empty(n, dtype=np.int64)
    for h in range(hours):
        h24, day = h % 24, h // 24
        recovered[:] = 0
        # events: the weekly top-up, then the reset
        idx = top_ups[h % WEEK]
        if len(idx):
            amount = fleet.top_up_amount[idx]
            taken = np.minimum(pd_[idx], amount * fleet.payment_recovery_bp[idx] // BASIS_POINTS)
            bal[idx] += amount - taken
            pd_[idx] -= taken
            recovered[idx] += taken
            supply[idx] = bal[idx] + ecl[idx] >= thr[idx]
        lo, hi = np.searchsorted(reset_hours, [h, h + 1])
        if hi > lo:
            rows = reset_order[lo:hi]
            codes = fleet.reset_register[rows]
            for code, register in enumerate(regs):
                hit = rows[codes == code]
                written_off[hit] = register[hit]
                register[hit] = 0
        # the hour of metering
        np.multiply(cons[h24], supply, out=used)
        np.minimum(td1, due1[h24], out=take1)
        np.minimum(td2, due2[h24], out=take2)
        td1 -= take1
        td2 -= take2
        bal -= used
        bal -= take1
        bal -= take2
        recovered += take1
        recovered += take2
        np.add(bal, ecl, out=available)
        np.greater_equal(available, thr, out=supply)
        daily_recovered[day] += recovered
        daily_disabled[day] += ~supply
        run_off += 1
        run_off *= ~supply
        np.maximum(longest, run_off, out=longest)
        if h24 == 23 or h == hours - 1:
            daily_balance[day] = bal
        if record is not None:
            for key, value in zip(HOURLY_KEYS, (bal, td1, td2, pd_, supply, recovered),
                                  strict=True):
                record[key][h] = value
    final = {"balance": bal, "time_debt_1": td1, "time_debt_2": td2, "payment_debt": pd_,
             "supply_enabled": supply}
    return FleetResult(np.ascontiguousarray(daily_recovered.T),
                       np.ascontiguousarray(daily_balance.T),
                       np.ascontiguousarray(daily_disabled.T), written_off, final, record,
                       longest)


def simulate_fleet(fleet: Fleet, hours: int = 30 * 24, *,
                   profile: tuple[int, ...] = DAILY_PROFILE, hourly: bool = False,
                   chunk: int = 1 << 17) -> FleetResult:
    """Run every meter of ``fleet`` for ``hours`` hours (see the module docstring)."""
    check_int("hours", hours, 1, 24 * 366 * 5)
    check_int("chunk", chunk, 1)
    if len(profile) != 24:
        raise ValidationError("profile", f"needs 24 hourly values, got {len(profile)}")
    prof = np.array([check_int("profile", int(v), 0, INT32_MAX) for v in profile], dtype=np.int64)
    parts = [_run_chunk(fleet.slice(s, s + chunk), hours, prof, hourly)
             for s in range(0, max(len(fleet), 1), chunk)]
    if len(parts) == 1:
        return parts[0]
    return FleetResult(
        np.concatenate([p.daily_recovered for p in parts]),
        np.concatenate([p.daily_balance for p in parts]),
        np.concatenate([p.daily_disabled_hours for p in parts]),
        np.concatenate([p.written_off for p in parts]),
        {k: np.concatenate([p.final[k] for p in parts]) for k in parts[0].final},
        {k: np.concatenate([p.hourly[k] for p in parts], axis=1)  # type: ignore[index]
         for k in HOURLY_KEYS} if hourly else None,
        np.concatenate([p.longest_off for p in parts]),  # type: ignore[misc]
    )
