"""The prepayment households of the fleet model, calibrated to published figures (SR-12
impact; notebook 08).

Every input of :func:`specpkg.meter.fleet.random_fleet` is a row of
``data/campaign/inputs.csv`` with its value, unit, plausible low and high, its
basis (``published``, ``derived``, ``calibrated``, ``illustrative`` or a model
``assumption``) and its source. :class:`FleetInputs` holds them; a campaign or a
sensitivity run changes one by name (:meth:`FleetInputs.with_value`).

How a household is drawn (one meter, from its block's random stream):

* it is in debt with probability ``share_in_debt``; a meter in debt carries debt on
  Time Debt Register 1, 2 and the Payment Debt Register with the probabilities
  ``share_tdr1``, ``share_tdr2``, ``share_pdr`` (at least one: else Register 1),
  each debt drawn evenly between 20 % and 180 % of its mean;
* recovery: Register 1 at ``weekly_recovery`` a week (50 % to 150 %), daily at the
  collection hour, or hourly for ``hourly_share`` of them; Register 2 hourly at
  ``tdr2_weekly_recovery`` a week; the Payment Debt Register takes
  ``pdr_recovery_bp`` of each top-up (50 % to 150 %), only where it holds debt;
* consumption: evenly between ``consumption_low`` and ``consumption_high`` percent
  of the medium household's daily profile;
* a weekly top-up at its own hour, sized to what the week costs (consumption and
  time debt recovery, grossed up for the share of the top-up taken by the Payment
  Debt Register): ``share_short`` of the households top up less, by a shortfall
  drawn from an exponential of mean ``shortfall_permille``; the others 5 % to 30 %
  more; the balance at the start is where the household's week has got to (a household
  that tops up short has used its emergency credit up long ago), so a household that
  runs out does so at its own hour, for about its shortfall's share of each week.

``share_short`` and ``shortfall_permille`` are calibrated (:func:`calibrate`) so that
without the scheme the share of households off supply for more than 3 hours at a
time in 14 days, and the share of those off 24 hours or more, are the published
targets (rows I-18 and I-19).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields, replace
from functools import cache
from typing import Any

import numpy as np

from specpkg.errors import ValidationError
from specpkg.paths import DATA_DIR

INPUTS_CSV = DATA_DIR / "campaign" / "inputs.csv"
COLUMNS = ("id", "input", "value", "unit", "low", "high", "basis", "source", "note")
BASES = ("published", "derived", "calibrated", "illustrative", "assumption")
WEEK = 24 * 7
#: The medium household's cost per day (pence) at 100 % consumption.
PROFILE_DAY = 197


def check_share(field: str, value: object) -> float:
    """A share in [0, 1] (a float or an int 0/1), else a ValidationError naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValidationError(field, f"must be a share between 0 and 1, got {value!r}")
    return float(value)


def on_release(meters: np.ndarray, share: float, seed: int) -> np.ndarray:
    """Which of ``meters`` (fleet indices) run firmware of the Release, at ``share`` (MA-19):
    a meter's firmware depends only on the seed and its index (a hash of both, so a
    fleet cut into chunks gets the same answer), and about ``share`` of them are."""
    meters = np.asarray(meters, dtype=np.uint64)
    salt = np.uint64(seed * 0x9E3779B97F4A7C15 % (1 << 64))
    mixed = (meters + salt) * np.uint64(0xBF58476D1CE4E5B9)
    mixed ^= mixed >> np.uint64(31)
    mixed *= np.uint64(0x94D049BB133111EB)
    mixed ^= mixed >> np.uint64(29)
    return (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53) < share


@dataclass(frozen=True)
class InputRow:
    """One row of the inputs table."""

    id: str
    input: str
    value: float
    unit: str
    low: float
    high: float
    basis: str
    source: str
    note: str


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(where, f"must be a number, got {text!r}") from None
    return int(value) if value.is_integer() and "." not in text else value


@cache
def table() -> tuple[InputRow, ...]:
    """The rows of ``data/campaign/inputs.csv``, checked: value within [low, high]."""
    with INPUTS_CSV.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValidationError("inputs", f"columns must be {COLUMNS}")
        rows = []
        for row in reader:
            found = InputRow(row["id"], row["input"], _number(row["value"], row["input"]),
                             row["unit"], _number(row["low"], row["input"]),
                             _number(row["high"], row["input"]), row["basis"],
                             row["source"], row["note"])
            if found.basis not in BASES or not found.low <= found.value <= found.high:
                raise ValidationError(found.input, "basis unknown or value outside its range")
            rows.append(found)
    return tuple(rows)


def row(name: str) -> InputRow:
    for found in table():
        if found.input == name:
            return found
    raise ValidationError("input", f"no input named {name!r}")


def frame() -> Any:
    """The inputs table for the notebook: every input with its unit, range, basis, source."""
    import pandas as pd

    rows = []
    for r in table():
        unit, shown = shown_in_words(r.unit)
        rows.append({
            "id": r.id, "input": r.note, "value": shown(r.value), "unit": unit,
            "plausible range": ("fixed" if r.low == r.high
                                else f"{shown(r.low)} to {shown(r.high)}"),
            "basis": r.basis, "source": r.source})
    return pd.DataFrame(rows)


def _figure(value: float) -> str:
    return f"{value:,.1f}".removesuffix(".0")


#: How a unit of the table reads: (its first words, the unit shown, value -> text).
_UNITS = (
    ("pence a week", "£ a week", lambda v: f"£{v / 100:,.2f}"),
    ("pence", "pounds", lambda v: f"£{v / 100:,.0f}" if v % 100 == 0 else f"£{v / 100:,.2f}"),
    ("basis points of ", "of ", lambda v: f"{_figure(v / 100)} %"),
    ("per mille of ", "of ", lambda v: f"{_figure(v / 10)} %"),
    ("share of ", "of ", lambda v: f"{_figure(100 * v)} %"),
    ("percent of ", "of ", lambda v: f"{_figure(v)} %"),
)


def shown_in_words(unit: str) -> tuple[str, Any]:
    """A unit of the inputs table as a reader wants it (pounds, percent) and how to show
    a value in it: ``130000`` pence is ``£1,300``, ``0.07`` a share is ``7 %``."""
    for prefix, words, shown in _UNITS:
        if unit.startswith(prefix):
            return words + unit.removeprefix(prefix), shown
    return unit, lambda v: f"{v:,}"


#: The inputs that are shares in [0, 1]; the others are whole numbers.
SHARES = ("share_in_debt", "share_tdr1", "share_tdr2", "share_pdr", "hourly_share",
          "share_short")


@dataclass(frozen=True)
class FleetInputs:
    """The inputs :func:`specpkg.meter.fleet.random_fleet` draws households from."""

    share_in_debt: float
    share_tdr1: float
    share_tdr2: float
    share_pdr: float
    mean_debt: int
    tdr2_debt_percent: int
    pdr_debt_percent: int
    weekly_recovery: int
    hourly_share: float
    tdr2_weekly_recovery: int
    pdr_recovery_bp: int
    emergency_credit: int
    consumption_low: int
    consumption_high: int
    share_short: float
    shortfall_permille: int

    def __post_init__(self) -> None:
        from specpkg.meter.registers import check_int

        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SHARES:
                if isinstance(value, bool) or not isinstance(value, int | float) \
                        or not 0 <= value <= 1:
                    raise ValidationError(f.name, f"must be a share in [0, 1], got {value!r}")
                object.__setattr__(self, f.name, float(value))
            else:
                check_int(f.name, value, 0, 2_000_000)
        if not 0 < self.consumption_low <= self.consumption_high:
            raise ValidationError("consumption_low", "must be above 0 and at most "
                                                     "consumption_high")
        if self.pdr_recovery_bp > 6_666:  # 150 % of it must stay within a whole top-up
            raise ValidationError("pdr_recovery_bp", "must be at most 6666")

    @classmethod
    def defaults(cls) -> FleetInputs:
        """The values of the inputs table."""
        return cls(**{f.name: row(f.name).value for f in fields(cls)})

    def with_value(self, name: str, value: Any) -> FleetInputs:
        """The same inputs with one changed (a ValidationError names an unknown one)."""
        if name not in {f.name for f in fields(self)}:
            raise ValidationError("input", f"no fleet input named {name!r}")
        if name not in SHARES and isinstance(value, float) and value.is_integer():
            value = int(value)
        return replace(self, **{name: value})


@cache
def default_inputs() -> FleetInputs:
    return FleetInputs.defaults()


def draw(n: int, rng: np.random.Generator, inputs: FleetInputs) -> dict[str, np.ndarray]:
    """The arrays of :class:`specpkg.meter.fleet.Fleet` for ``n`` households (module
    docstring); ``reset_hour`` and ``reset_register`` are left to the caller."""
    p = inputs

    def spread(mean: float, low: int = 50, high: int = 151) -> np.ndarray:
        return (rng.integers(low, high, n) * int(mean)) // 100

    in_debt = rng.random(n) < p.share_in_debt
    tdr2 = in_debt & (rng.random(n) < p.share_tdr2)
    pdr = in_debt & (rng.random(n) < p.share_pdr)
    tdr1 = in_debt & ((rng.random(n) < p.share_tdr1) | ~(tdr2 | pdr))
    mean_2 = p.mean_debt * p.tdr2_debt_percent // 100
    mean_p = p.mean_debt * p.pdr_debt_percent // 100
    time_debt_1 = np.where(tdr1, spread(p.mean_debt, 20, 181), 0)
    time_debt_2 = np.where(tdr2, spread(mean_2, 20, 181), 0)
    payment_debt = np.where(pdr, spread(mean_p, 20, 181), 0)
    hourly_1 = rng.random(n) < p.hourly_share
    weekly_1 = spread(p.weekly_recovery)
    rate_1 = np.where(hourly_1, np.maximum(weekly_1 // WEEK, 1), np.maximum(weekly_1 // 7, 1))
    rate_2 = np.full(n, max(p.tdr2_weekly_recovery // WEEK, 1), dtype=np.int64)
    bp = np.where(pdr, spread(p.pdr_recovery_bp), 0)
    consumption = rng.integers(p.consumption_low, p.consumption_high + 1, n)
    weekly_cost = (PROFILE_DAY * 7 * consumption // 100
                   + np.where(tdr1, rate_1 * np.where(hourly_1, WEEK, 7), 0)
                   + np.where(tdr2, rate_2 * WEEK, 0))
    short = rng.random(n) < p.share_short
    shortfall = np.minimum(rng.exponential(p.shortfall_permille / 1000, n), 0.9)
    cover = np.where(short, 1 - shortfall, 1 + rng.uniform(0.05, 0.30, n))
    net = weekly_cost * cover  # credit the household adds each week, after the PDR's share
    top_up = np.ceil(net / (1 - bp / 10_000)).astype(np.int64)
    top_up_at = rng.integers(0, WEEK, n)
    # Where the household's week has got to: the last top-up came 168 - top_up_at hours ago.
    # A household that tops up short has used up its emergency credit weeks ago: each top-up
    # lifts it from the limit, and it is off again for the shortfall's share of the week.
    ecl = np.full(n, p.emergency_credit, dtype=np.int64)
    balance = np.floor(net - weekly_cost * (WEEK - top_up_at) / WEEK).astype(np.int64)
    balance = np.maximum(balance - np.where(short, ecl, 0), -ecl)
    return {
        "balance": balance, "time_debt_1": time_debt_1, "time_debt_2": time_debt_2,
        "payment_debt": payment_debt, "rate_1": rate_1, "hourly_1": hourly_1,
        "rate_2": rate_2, "hourly_2": np.ones(n, dtype=bool), "payment_recovery_bp": bp,
        "emergency_credit_limit": ecl, "disablement_threshold": np.zeros(n, dtype=np.int64),
        "supply_enabled": balance + ecl >= 0,
        "collection_hour": np.where(rng.random(n) < 0.5, 0, rng.integers(0, 24, n)),
        "top_up_amount": top_up, "top_up_at": top_up_at, "consumption_percent": consumption,
    }


@dataclass(frozen=True)
class Households:
    """What the fleet model says of its households without the scheme (the calibration's
    measures): the share off supply more than 3 hours at a time, the share of those off
    24 hours or more at a time, and the mean hours off of a household that is off."""

    meters: int
    off: float
    long_share: float
    mean_hours: float


def measure(inputs: FleetInputs, meters: int = 20_000, days: int = 14,
            seed: int = 2019) -> Households:
    """Run the fleet without the scheme and measure it (rows I-18, I-19)."""
    from specpkg.meter.fleet import random_fleet, simulate_fleet

    run = simulate_fleet(random_fleet(meters, seed, inputs=inputs), days * 24)
    longest = run.longest_off
    off = longest > 3
    hours = run.daily_disabled_hours.sum(axis=1)
    return Households(meters, float(off.mean()) if meters else 0.0,
                      float((longest[off] >= 24).mean()) if off.any() else 0.0,
                      float(hours[off].mean()) if off.any() else 0.0)


def calibrate(meters: int = 20_000, seed: int = 2019, rounds: int = 3) -> FleetInputs:
    """``share_short`` and ``shortfall_permille`` fitted to the targets I-18 and I-19 by
    alternating bisections (the one moves the share off, the other the long share).
    Used to set the table's values; its test checks the table still meets the targets."""
    inputs = default_inputs()
    off_target, long_target = row("target_off_fortnight").value, row("target_long_share").value

    def bisect(name: str, low: float, high: float, target: float, pick: str,
               whole: bool) -> FleetInputs:
        nonlocal inputs
        for _ in range(12 if not whole else 8):
            mid = (low + high) / 2
            value = round(mid) if whole else round(mid, 4)
            found = getattr(measure(inputs.with_value(name, value), meters, seed=seed), pick)
            low, high = (mid, high) if found < target else (low, mid)
        value = round((low + high) / 2) if whole else round((low + high) / 2, 4)
        inputs = inputs.with_value(name, value)
        return inputs

    for _ in range(rounds):
        bisect("share_short", 0.0, 0.5, off_target, "off", whole=False)
        bisect("shortfall_permille", 10, 600, long_target, "long_share", whole=True)
    return inputs
