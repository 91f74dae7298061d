"""Notebook 08's national figures, the pre-Release share and the sensitivity (tables and a
figure; SR-12 impact, SR-4). Presentation only: every number comes from
:mod:`specpkg.anomaly.sweeps` and :mod:`specpkg.anomaly.campaign`. Money in integer
pence, shown in whole pounds.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from specpkg.anomaly.campaign import Campaign, Impact, Scenario
from specpkg.anomaly.sweeps import (
    HEADLINES,
    ThresholdSwing,
    chance_of_any_quarantine,
    limits_for,
    national,
    threshold_range,
)
from specpkg.meter import households
from specpkg.meter.registers import DebtRegister
from specpkg.workbook.campaign_view import campaign_spec, pounds

#: A change in per cent, signed ("+40 %").
PERCENT_CHANGE = FuncFormatter(lambda v, _: f"{v:+.0f} %" if v else "0")

# --- the national fleet -------------------------------------------------------------------

#: Trials of the national recommendation per Supplier: for the threshold, for each side.
NATIONAL_TRIALS = (100, 100)


def national_spec(meters: int) -> Campaign:
    """The national campaign: notebook 08's default campaign (Time Debt Register 1, sent
    from day 4 over 3 days, 14 days simulated), every Supplier at its own recommendation."""
    return campaign_spec(meters=meters, register="TimeDebtRegister1", campaign_first_day=4,
                         campaign_days=3, simulation_days=14, chosen_limit=1_000_000,
                         daily_limit=0, working_hours=(8, 18), seed=2019)


def release_share_table(impacts: dict[float, Impact]) -> pd.DataFrame:
    """Per share of meters on firmware of the Release (MA-19): the resets sent (the same at
    every share: a refused reset still counts against the thresholds, SR-4), each in one
    of three outcomes at the chosen limit (held in quarantine, delivered and refused by a
    meter from before the Release, delivered and reset), which add up to those sent; then,
    with every reset delivered (the quarantines released), the registers reset, the pounds
    written off and the household-hours off supply avoided."""
    rows = []
    for share, found in impacts.items():
        plan = found.plan
        every, held = found.totals[Scenario.DELIVERED], found.totals[Scenario.HELD]
        rows.append({
            "meters on the Release": f"{100 * share:.0f} %",
            "resets sent": f"{len(plan.batch):,}",
            "at the chosen limit: held in quarantine": f"{plan.outcome.quarantined:,}",
            "at the chosen limit: delivered, refused by the meter with an alert":
                f"{plan.refused_by_meter:,}",
            "at the chosen limit: delivered, register reset": f"{held.resets:,}",
            "every reset delivered: registers reset": f"{every.resets:,}",
            "every reset delivered: debt written off": pounds(every.written_off),
            "every reset delivered: household-hours off supply avoided":
                f"{found.baseline.hours_off - every.hours_off:,}",
        })
    return pd.DataFrame(rows)


def release_share_in_words(spec: Campaign) -> str:
    """MA-19's share of meters on the Release's firmware, why, and this run's (Markdown)."""
    found = households.row("release_share")
    run = ("the same" if spec.release_share == found.value
           else f"{100 * spec.release_share:.0f} %, a setting of the run")
    return (f"MA-19 assumes **{100 * found.value:.0f} %** of meters on the new firmware when "
            f"the campaign runs: {found.source.removeprefix('model assumption MA-19: ')}. "
            f"This run: {run}. The same campaign, the same resets sent and decided, at "
            "several shares:")


def input_label(name: str) -> str:
    """An input of the households' table as a reader knows it: the opening words of its
    note, wrapped, with its ID in the table (``mean debt on Time Debt Register 1 (I-6)``)."""
    row = households.row(name)
    words = row.note.split(";")[0].split(" (")[0].removeprefix("of the meters in debt: ")
    return textwrap.fill(f"{words} ({row.id})", 28, break_on_hyphens=False)


def percent_change(value: float, base: float) -> float:
    """How far ``value`` is from ``base``, in per cent of ``base`` (0 when both are 0)."""
    if base == 0:
        return 0.0 if value == 0 else float("inf") if value > 0 else float("-inf")
    return 100 * (value - base) / abs(base)


def sensitivity_figure(swings: Sequence, meters: int) -> Figure:
    """A tornado per headline figure: each input at its low and high, widest first, as
    the change in per cent of the figure at the inputs' values, so the fleet of the run
    (``meters``) does not change the reading; each bar carries its value, each panel the
    figure the bars move from."""
    figure = Figure(figsize=(12, 6.8))
    axes = figure.subplots(1, len(HEADLINES))
    for ax, headline in zip(axes, HEADLINES, strict=True):
        mine = [s for s in swings if s.headline == headline][::-1]
        base = mine[0].base if mine else 0
        ends = []
        for k, s in enumerate(mine):
            changes = [percent_change(v, base) for v in (s.at_low, s.at_high)]
            if all(abs(c) < 0.5 for c in changes):
                ax.annotate("no change", (0, k), xytext=(3, 0), textcoords="offset points",
                            va="center", fontsize=7, color="#555555")
            # the low's bar just below the row's line, the high's just above: two changes
            # of the same sign are both seen, each with its own label
            for change, colour, label, y in zip(changes, ("#1f77b4", "#c8602a"),
                                                ("input at its low", "input at its high"),
                                                (k - 0.2, k + 0.2), strict=True):
                shown = max(min(change, 1e4), -1e4)  # an infinite change drawn to the edge
                ax.barh(y, shown, height=0.4, color=colour, label=label if k == 0 else None)
                if abs(change) >= 0.5:
                    ends.append(shown)
                    ax.annotate("from 0" if math.isinf(change) else f"{change:+.0f} %",
                                (shown, y), xytext=(3 if shown > 0 else -3, 0),
                                textcoords="offset points", va="center",
                                ha="left" if shown > 0 else "right", fontsize=7)
        ax.axvline(0, color="black", linewidth=1)
        ax.set_yticks(np.arange(len(mine)), [input_label(s.input) for s in mine], fontsize=8)
        ax.set_title(textwrap.fill(headline, 30) + f"\n{base:,.0f} at the inputs' values",
                     fontsize=9)
        reach = max([abs(e) for e in ends] or [10])
        ax.set_xlim(-1.7 * reach if min(ends or [0]) < 0 else -0.15 * reach,
                    1.7 * reach if max(ends or [0]) > 0 else 0.15 * reach)
        ax.xaxis.set_major_locator(MaxNLocator(3, symmetric=True))
        ax.xaxis.set_major_formatter(PERCENT_CHANGE)
        ax.set_xlabel("change", fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
    axes[0].legend(loc="upper center", bbox_to_anchor=(1.7, -0.14), ncol=2, frameon=False,
                   fontsize=9)
    figure.suptitle("How far each headline figure moves, in per cent, with each input at "
                    "its plausible low and high, the others at their values "
                    f"(a fleet of {meters:,} meters)", fontsize=10)
    # fixed margins for the wrapped input names (tight_layout cannot fit them all)
    figure.subplots_adjust(left=0.17, right=0.97, wspace=1.15, bottom=0.17, top=0.86)
    return figure


#: How the sensitivity of the threshold names the accepted risk (a setting of the run).
RISK_WORDS = "the accepted risk of a quarantine (a setting of the run)"


def _swing_input(s: ThresholdSwing) -> tuple[str, str]:
    """The input of a swing in words, and its plausible range as a reader reads it."""
    if s.input == "risk":
        return RISK_WORDS, f"{100 * s.low:.0f} % to {100 * s.high:.0f} %"
    row = households.row(s.input)
    unit, shown = households.shown_in_words(row.unit)
    after = f" {unit}" if unit == row.unit else ""  # a unit the values do not show
    return (input_label(s.input).replace("\n", " "),
            f"{shown(s.low)} to {shown(s.high)}{after}")


def threshold_sensitivity_table(swings: Sequence[ThresholdSwing]) -> pd.DataFrame:
    """The recommended hourly threshold and sending rate with each input at its plausible
    low and high, the others at their values; widest swing first."""
    rows = []
    for s in swings:
        name, span = _swing_input(s)
        rows.append({
            "input": name, "plausible range": span,
            "hourly threshold, input at its low": f"{s.at_low[0]:,}",
            "hourly threshold, as recommended": f"{s.base[0]:,}",
            "hourly threshold, input at its high": f"{s.at_high[0]:,}",
            "sending rate (an hour), input at its low": f"{s.at_low[1]:,}",
            "sending rate (an hour), as recommended": f"{s.base[1]:,}",
            "sending rate (an hour), input at its high": f"{s.at_high[1]:,}",
            "headroom (resets an hour), input at its low": f"{s.at_low[0] - s.at_low[1]:,}",
            "headroom (resets an hour), input at its high": f"{s.at_high[0] - s.at_high[1]:,}",
        })
    return pd.DataFrame(rows)


def release_only_in_words(spec: Campaign, impact: Impact, *, risk: float,
                          trials: int) -> str:
    """The recommendation if the Supplier sends only to meters on the Release's firmware
    (as finding F-71 recommends), beside the one for every meter carrying the debt."""
    sent = len(impact.plan.batch)
    on_release = impact.totals[Scenario.DELIVERED].resets
    every, only = limits_for(spec, sent, risk=risk, trials=trials), limits_for(
        spec, on_release, risk=risk, trials=trials)
    return (f"This page's campaign sends a reset to every one of the {sent:,} meters that "
            f"carry the debt, whatever their firmware, so its thresholds are sized for "
            f"{sent:,} (threshold {every[0]:,}, rate {every[1]:,} an hour). A Supplier that "
            f"sends only to the {on_release:,} meters it knows run the Release (as finding "
            f"F-71 recommends) writes off the same debt with a threshold of {only[0]:,} and a "
            f"rate of {only[1]:,} an hour, and spends no notifications on refusals.")


def threshold_sensitivity_in_words(swings: Sequence[ThresholdSwing]) -> str:
    """What moves the recommended threshold most, and what that means for a Supplier."""
    widest = swings[0]
    name, _ = _swing_input(widest)
    base = widest.base[0]
    least = min(swings, key=lambda s: s.width)
    least_name, _ = _swing_input(least)
    lowest, highest = threshold_range(swings)
    return (f"Across these ranges the recommended hourly threshold runs from {lowest:,} to "
            f"{highest:,} (recommended: {base:,}). It moves most with {name}: from "
            f"{widest.at_low[0]:,} to {widest.at_high[0]:,}, because the threshold follows "
            "the campaign's own size: it is the pace that sends the list in its days plus a "
            "few resets an hour of headroom. It moves least with "
            f"{least_name}: {least.at_low[0]:,} to {least.at_high[0]:,}. So a Supplier "
            "works its threshold out from its own list of meters, with the same rule, rather "
            "than taking the figure of this page.")


#: The national result's two readings of MA-4, as the column heads say them.
_READINGS = {"counted": "MA-4 yes", "not_counted": "MA-4 no"}


def national_table(found: dict) -> pd.DataFrame:
    """The national result per Supplier and in all: meters, resets, pounds written off per
    register, the recommended threshold and rate, the chance of any quarantine there (in
    all: that at least one Supplier sees one, the Suppliers' campaigns independent), the
    quarantines and notifications to expect under both readings of MA-4, and the
    supply-off hours."""
    rows = []
    keys = ("meters", "resets", "households_off", "hours_off", "hours_off_with_resets")
    total = {k: 0 for k in keys}
    written = {r.value: 0 for r in DebtRegister}
    held = {"counted": 0.0, "not_counted": 0.0}
    for s in [*found["suppliers"], None]:
        if s is None:
            s = {**total, "supplier": "all Suppliers", "share": 1.0, "written_off": written,
                 "quarantined": held, "threshold": None, "rate": None,
                 "chance_of_quarantine": chance_of_any_quarantine(found["suppliers"])}
        else:
            for k in keys:
                total[k] += s[k]
            for r in written:
                written[r] += s["written_off"][r]
            for r in held:
                held[r] += s["quarantined"][r]
        rows.append({
            "Supplier": s["supplier"], "market share": f"{100 * s['share']:.0f} %",
            "prepayment meters": f"{s['meters']:,}", "resets": f"{s['resets']:,}",
            **{f"written off, {DebtRegister(r).label}": pounds(v)
               for r, v in s["written_off"].items()},
            "hourly threshold": ("each its own" if s["threshold"] is None
                                 else f"{s['threshold']:,}"),
            "sending rate (an hour)": ("each its own" if s["rate"] is None
                                       else f"{s['rate']:,}"),
            "chance of any quarantine": f"{100 * s['chance_of_quarantine']:.0f} %",
            **{f"quarantined (mean), {head}": f"{s['quarantined'][key]:,.1f}"
               for key, head in _READINGS.items()},
            **{f"notifications each (mean), {head}": f"{2 * s['quarantined'][key]:,.1f}"
               for key, head in _READINGS.items()},
            "households off supply, no scheme": f"{s['households_off']:,}",
            "hours off supply, no scheme": f"{s['hours_off']:,}",
            "hours off avoided": f"{s['hours_off'] - s['hours_off_with_resets']:,}",
        })
    return pd.DataFrame(rows)


def parameters_in_words(found: dict) -> str:
    """The committed national result's parameters and how to regenerate it (Markdown)."""
    p = found["parameters"]
    low, high = p["working_hours"]
    minutes = found.get("seconds", 0) // 60
    return (f"Computed for {p['meters']:,} prepayment meters: a reset of "
            f"{DebtRegister(p['register']).label} sent over {p['days']} working days from "
            f"day {p['first_day']}, {low:02d}:00 to {high:02d}:00, {p['simulation_days']} days "
            f"simulated, seed {p['seed']}; {100 * p['release_share']:.0f} % of meters on the "
            f"Release's firmware (MA-19); {p['ordinary_per_day']:,} ordinary resets a "
            f"working day in all; each Supplier's threshold from {p['trials']:,} simulated "
            f"campaigns and its chance of a quarantine from {p['side_trials']:,} more, in "
            f"steps of {100 / p['side_trials']:g} % (one campaign each), to set beside the "
            f"{100 * p['risk']:.0f} % risk its threshold was set for; the "
            "figures of households and hours are every reset delivered, each Supplier paced "
            "at its recommendation. Regenerate "
            f"with `{found['command']}` ({minutes} minutes on the 2-core machine).")


def national_run(meters: int) -> dict:
    """The national computation at ``meters`` meters (the committed file at I-1's count)."""
    return national(national_spec(meters), trials=NATIONAL_TRIALS[0],
                    side_trials=NATIONAL_TRIALS[1])
