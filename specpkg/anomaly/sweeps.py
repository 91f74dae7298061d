"""A campaign swept over what it depends on (notebook 08, the executive summary; SR-12
impact, SR-4): the share of meters on firmware of the Release (MA-19), the household
inputs of ``data/campaign/inputs.csv`` (a sensitivity of the headline figures), and the
national fleet split per Supplier by market share.

Every figure is computed by :mod:`specpkg.anomaly.campaign`, the notebook's code.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from specpkg.anomaly.campaign import (
    CHUNK,
    MAX_LIMITS,
    Campaign,
    Impact,
    Plan,
    Scenario,
    by_register,
    find_targets,
    impact,
    run,
)
from specpkg.anomaly.pacing import DEFAULT_RISK, limits_needed, ordinary_per_day, recommend
from specpkg.errors import ValidationError
from specpkg.meter import households
from specpkg.meter.households import check_share
from specpkg.meter.registers import DebtRegister
from specpkg.paths import DATA_DIR


def by_release_share(plan_: Plan, shares: list[float], *,
                     chunk: int = CHUNK) -> dict[float, Impact]:
    """The same plan (the same resets sent, the same decisions: every reset counts against
    the thresholds, SR-4) with each share of meters on firmware of the Release (MA-19)."""
    if len(shares) > MAX_LIMITS:
        raise ValidationError("shares", f"at most {MAX_LIMITS} shares, got {len(shares)}")
    found = {}
    for share in sorted({check_share("release_share", x) for x in shares}):
        moved = replace(plan_, spec=replace(plan_.spec, release_share=share))
        found[share] = impact(moved, chunk=chunk)
    return found


# --- sensitivity of the headline figures to the household inputs ---------------------------

#: The inputs the sensitivity varies between their low and high (data/campaign/inputs.csv).
SENSITIVE = ("share_in_debt", "mean_debt", "weekly_recovery", "share_tdr1", "share_short",
             "shortfall_permille", "emergency_credit", "release_share")
#: The inputs of the table that are the campaign's own settings, not the households'.
CAMPAIGN_INPUTS = ("release_share",)
#: The headline figures, each from an :class:`Impact` (pence, households, hours).
HEADLINES = {
    "debt written off (£)": lambda i: i.totals[Scenario.DELIVERED].written_off / 100,
    "households off supply without the scheme": lambda i: i.baseline.households_off,
    "household-hours off supply the scheme avoids":
        lambda i: i.baseline.hours_off - i.totals[Scenario.DELIVERED].hours_off,
}


@dataclass(frozen=True)
class Swing:
    """One headline at one input's low and high (the others at their values)."""

    headline: str
    input: str
    low: float
    high: float
    base: float
    at_low: float
    at_high: float

    @property
    def width(self) -> float:
        return abs(self.at_high - self.at_low)


def sensitivity(spec: Campaign, names: tuple[str, ...] = SENSITIVE, *,
                count_quarantined: bool = True) -> list[Swing]:
    """Each headline of :data:`HEADLINES` with each input at its low and high, widest
    swing first per headline (a tornado); the share of meters on the Release (MA-19) is
    moved on the campaign, the others on its households."""
    if len(names) > len(SENSITIVE) * 3:
        raise ValidationError("names", "too many inputs")

    def figures(name: str | None = None, value: float = 0) -> dict[str, float]:
        moved = (spec if name is None
                 else replace(spec, **{name: value}) if name in CAMPAIGN_INPUTS
                 else replace(spec, inputs=spec.inputs.with_value(name, value)))
        found = run(moved, count_quarantined=count_quarantined)
        return {headline: float(f(found)) for headline, f in HEADLINES.items()}

    base = figures()
    swings = []
    for name in names:
        found = households.row(name)
        low, high = figures(name, found.low), figures(name, found.high)
        swings += [Swing(h, name, found.low, found.high, base[h], low[h], high[h])
                   for h in HEADLINES]
    return sorted(swings, key=lambda s: (list(HEADLINES).index(s.headline), -s.width))


# --- sensitivity of the recommended threshold ---------------------------------------------

#: The share input (data/campaign/inputs.csv) of the meters carrying debt on each register.
REGISTER_SHARE = {DebtRegister.TIME_DEBT_1: "share_tdr1", DebtRegister.TIME_DEBT_2: "share_tdr2",
                  DebtRegister.PAYMENT_DEBT: "share_pdr"}
#: The accepted risk of a quarantine that the sensitivity tries: a setting of the run, not
#: an input of the table (the recommendation's own default is 5 %).
RISK_RANGE = (0.01, 0.2)


@dataclass(frozen=True)
class ThresholdSwing:
    """The recommended (hourly threshold, sending rate) with one input at its low and high,
    the others at their values (``input`` ``"risk"``: the accepted risk of a quarantine)."""

    input: str
    low: float
    high: float
    base: tuple[int, int]
    at_low: tuple[int, int]
    at_high: tuple[int, int]

    @property
    def width(self) -> int:
        return abs(self.at_high[0] - self.at_low[0])


def threshold_range(swings: Sequence[ThresholdSwing]) -> tuple[int, int]:
    """The lowest and highest recommended hourly threshold across ``swings``."""
    ends = [x for s in swings for x in (s.at_low[0], s.at_high[0])]
    return min(ends), max(ends)


def limits_for(spec: Campaign, resets: int, *, risk: float = DEFAULT_RISK,
               trials: int = 200) -> tuple[int, int]:
    """The recommended (hourly threshold, sending rate) for ``resets`` resets of ``spec``'s
    campaign with its ordinary traffic (:func:`~specpkg.anomaly.pacing.limits_needed`);
    (0, 0) for none. With the resets sent only to meters on the Release (F-71), fewer."""
    if not resets:
        return 0, 0
    rate, threshold, _ = limits_needed(
        resets, spec.days, ordinary_per_day=spec.ordinary_per_day,
        working_hours=spec.working_hours, risk=risk, trials=trials, seed=spec.seed)
    return threshold, rate


def threshold_sensitivity(spec: Campaign, *, risk: float = DEFAULT_RISK,
                          trials: int = 200) -> list[ThresholdSwing]:
    """What the recommendation (SR-12, TR-10) depends on: the hourly threshold and the rate
    of :func:`~specpkg.anomaly.pacing.limits_needed` with the share of meters in debt
    (I-2), the share with debt on the campaign's register, the ordinary resets (MA-20)
    and the accepted risk each at its low and high; widest swing of the threshold first."""

    def limits(moved: Campaign, at_risk: float) -> tuple[int, int]:
        return limits_for(moved, len(find_targets(moved)[0]), risk=at_risk, trials=trials)

    def moved(name: str, value: float) -> Campaign:
        if name == "ordinary_per_meter_year":
            return replace(spec, ordinary_per_day=ordinary_per_day(spec.meters, value))
        return replace(spec, inputs=spec.inputs.with_value(name, value))

    base = limits(spec, risk)
    swings = []
    for name in ("share_in_debt", REGISTER_SHARE[spec.register], "ordinary_per_meter_year"):
        found = households.row(name)
        swings.append(ThresholdSwing(name, found.low, found.high, base,
                                     limits(moved(name, found.low), risk),
                                     limits(moved(name, found.high), risk)))
    low, high = RISK_RANGE
    swings.append(ThresholdSwing("risk", low, high, base, limits(spec, low), limits(spec, high)))
    return sorted(swings, key=lambda s: -s.width)


# --- the national fleet, per Supplier ------------------------------------------------------

SUPPLIERS_CSV = DATA_DIR / "campaign" / "supplier_shares.csv"
RESULT_JSON = DATA_DIR / "results" / "campaign_national.json"
#: The command that regenerates :data:`RESULT_JSON`.
COMMAND = "python -m benchmarks.bench_campaign --national"


def supplier_shares() -> list[tuple[str, float]]:
    """The Suppliers and their market shares (data/campaign/supplier_shares.csv)."""
    with SUPPLIERS_CSV.open(encoding="utf-8", newline="") as handle:
        rows = [(r["supplier"], float(r["share"])) for r in csv.DictReader(handle)]
    if abs(sum(s for _, s in rows) - 1) > 1e-9:
        raise ValidationError("supplier_shares", "the shares must add to 1")
    return rows


def national(spec: Campaign, *, trials: int = 100, side_trials: int = 10,
             risk: float = DEFAULT_RISK, progress: bool = False) -> dict:
    """The campaign run by every Supplier on its share of ``spec.meters`` (its own fleet,
    seed ``spec.seed + k``, its ordinary traffic MA-20 in proportion), each sending at
    its recommended rate against its recommended threshold (set for ``risk``): pounds
    written off per register, the quarantines and notifications to expect at that
    threshold under both readings of MA-4, and the supply-off hours.
    A JSON-ready dict (pence, counts)."""
    rows = []
    for k, (supplier, share) in enumerate(supplier_shares()):
        meters = round(spec.meters * share)
        own = replace(spec, meters=meters, seed=spec.seed + k,
                      ordinary_per_day=round(spec.ordinary_per_day * share))
        registers = by_register(own, count_quarantined=True)
        main = registers[own.register]
        advice = recommend(len(main.plan.targets), own.days,
                           ordinary_per_day=own.ordinary_per_day,
                           working_hours=own.working_hours, risk=risk, trials=trials,
                           side_trials=side_trials, seed=own.seed) if len(
                               main.plan.targets) else None
        at = advice.sides[0] if advice else None
        base, every = main.baseline, main.totals[Scenario.DELIVERED]
        rows.append({
            "supplier": supplier, "share": share, "meters": meters,
            "written_off": {r.value: i.totals[Scenario.DELIVERED].written_off
                            for r, i in registers.items()},
            "resets": len(main.plan.targets),
            "threshold": advice.threshold if advice else 0,
            "rate": advice.rate if advice else 0,
            "chance_of_quarantine": at.chance if at else 0.0,
            "quarantined": {"counted": at.quarantined[True] if at else 0.0,
                            "not_counted": at.quarantined[False] if at else 0.0},
            "households_off": base.households_off, "hours_off": base.hours_off,
            "hours_off_with_resets": every.hours_off, "spared": every.spared,
        })
        if progress:
            print(f"{supplier}: {meters:,} meters done", flush=True)
    return {"parameters": {"meters": spec.meters, "register": spec.register.value,
                           "first_day": spec.first_day, "days": spec.days,
                           "simulation_days": spec.simulation_days,
                           "working_hours": list(spec.working_hours), "seed": spec.seed,
                           "ordinary_per_day": spec.ordinary_per_day,
                           "release_share": spec.release_share, "risk": risk,
                           "trials": trials, "side_trials": side_trials},
            "command": COMMAND, "suppliers": rows}


def chance_of_any_quarantine(suppliers: list[dict]) -> float:
    """The chance that at least one Supplier's campaign sees a quarantine, each at its own
    recommended threshold (the Suppliers' campaigns independent)."""
    clear = 1.0
    for s in suppliers:
        clear *= 1 - s["chance_of_quarantine"]
    return 1 - clear


def load_national(path=RESULT_JSON) -> dict:
    """The committed national result (regenerate with :data:`COMMAND`)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
