"""Figures of a bulk debt relief campaign (notebook 08, the executive summary; SR-12
impact). Presentation only: every number comes from :mod:`specpkg.anomaly.campaign`.
Legends name things as the working group does and sit outside the plotting area, so
that they never cover a bar; a figure that depends on a reading of MA-4 says which.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from specpkg.anomaly.campaign import Impact, LimitOutcome, Plan, Report, Scenario
from specpkg.anomaly.engine import DISPOSITION_CODES, Disposition
from specpkg.anomaly.pacing import Recommendation, days_needed
from specpkg.errors import ValidationError
from specpkg.meter.simulation import START

DELIVERED = "delivered to the meter"
QUARANTINED = "held in quarantine"
COLOURS = {DELIVERED: "#2a7f3f", QUARANTINED: "#c8602a"}
SCENARIO_COLOURS = {Scenario.NO_SCHEME: "#555555", Scenario.DELIVERED: "#2a7f3f",
                    Scenario.HELD: "#c8602a"}
THOUSANDS = FuncFormatter(lambda v, _: f"{v:,.0f}")
_POUNDS = FuncFormatter(lambda v, _: f"£{v:,.0f}")
_POUNDS_PENCE = FuncFormatter(lambda v, _: f"£{v:,.2f}")
DAILY = ("recovered", "balance")
#: A reading of MA-4 in words, for the titles of the figures that depend on it.
READING_TITLES = {True: "quarantined resets count (MA-4 yes)",
                  False: "only delivered resets count (MA-4 no)"}


# --- figures --------------------------------------------------------------------------


def _legend_below(ax, columns: int = 3) -> None:
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=columns, frameon=False,
              fontsize=9)


def outcomes_by_limit(outcomes: Sequence[LimitOutcome], chosen: int | None = None, *,
                      count_quarantined: bool = True,
                      recommended: int | None = None) -> Figure:
    """Stacked bars: the campaign's resets delivered and quarantined at each hourly limit,
    under the reading of MA-4 the outcomes were computed with (named in the title); the
    chosen limit and the recommended threshold (for paced sending) named under their bars."""
    figure = Figure(figsize=(9.5, 3.6))  # room for the two- and three-line limit labels
    ax = figure.subplots()

    def label(limit: int) -> str:
        notes = [n for n, at in (("chosen", chosen), ("recommended\nfor pacing", recommended))
                 if at == limit]
        return f"{limit:,}" + (f"\n({', '.join(notes)})" if notes else "")

    labels = [label(o.hourly_limit) for o in outcomes]
    delivered = [o.delivered for o in outcomes]
    held = [o.quarantined for o in outcomes]
    ax.bar(labels, delivered, color=COLOURS[DELIVERED], label=DELIVERED)
    ax.bar(labels, held, bottom=delivered, color=COLOURS[QUARANTINED], label=QUARANTINED)
    ax.yaxis.set_major_formatter(THOUSANDS)
    ax.margins(y=0.12)
    ax.set_xlabel("hourly volume limit (resets in any rolling hour)")
    ax.set_ylabel("resets")
    total = delivered[0] + held[0] if outcomes else 0
    ax.set_title(f"{total:,} resets sent at random, at each hourly limit, if "
                 f"{READING_TITLES[count_quarantined]}")
    # beside the plot: below it the two- and three-line limit labels leave no room
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    figure.tight_layout()
    return figure


def report_outcomes(report: Report) -> Figure:
    """:func:`outcomes_by_limit` at every limit of ``report`` (those asked, the chosen one
    and the recommended threshold), under the reading of MA-4 it was decided with."""
    advice = report.recommendation
    return outcomes_by_limit([r.reading(report.count_quarantined) for r in report.readings],
                             report.plan.spec.hourly_limit,
                             count_quarantined=report.count_quarantined,
                             recommended=advice.threshold if advice else None)


def chance_by_threshold(advice: Recommendation) -> Figure:
    """The chance of any quarantine against the hourly threshold, paced at the recommended
    rate (:meth:`Recommendation.chance_by_threshold`): where the recommended threshold and
    the accepted risk sit on it."""
    points = advice.chance_by_threshold()
    figure = Figure(figsize=(7, 3.4))
    ax = figure.subplots()
    ax.step([t for t, _ in points], [100 * c for _, c in points], where="post",
            color="#1f77b4", linewidth=2,
            label=f"chance over {advice.trials:,} simulated campaigns")
    ax.axvline(advice.rate, color="black", linestyle=":", linewidth=1,
               label=f"the sending rate: {advice.rate:,} an hour")
    ax.axvline(advice.threshold, color="#2a7f3f", linewidth=1.5,
               label=f"recommended threshold: {advice.threshold:,}")
    ax.axhline(100 * advice.risk, color="#c8602a", linestyle="--", linewidth=1,
               label=f"accepted risk: {100 * advice.risk:.0f} %")
    ax.set_xlabel("hourly threshold (resets in any rolling hour)")
    ax.set_ylabel("chance of any quarantine (%)")
    ax.set_ylim(0, 105)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"Paced at {advice.rate:,} an hour: the chance of a quarantine at each "
                 "threshold")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    figure.tight_layout()
    return figure


def hourly_outcomes(plan: Plan, *, count_quarantined: bool = True) -> Figure:
    """The campaign hour by hour: resets delivered and quarantined, and the hourly limit,
    under the reading of MA-4 the plan was decided with (named in the title)."""
    hour = plan.batch.timestamp // 3600
    first = int(hour.min()) if len(hour) else 0
    span = int(hour.max()) - first + 1 if len(hour) else 1
    codes = plan.result.disposition
    counts = {name: np.bincount(hour[codes == DISPOSITION_CODES.index(d)] - first,
                                minlength=span)
              for name, d in ((DELIVERED, Disposition.DELIVERED),
                              (QUARANTINED, Disposition.QUARANTINED))}
    busy = np.flatnonzero(counts[DELIVERED] + counts[QUARANTINED])
    labels = [(START + timedelta(hours=first + int(h))).strftime("%a %H:00") for h in busy]
    figure = Figure(figsize=(11, 4))
    ax = figure.subplots()
    x = np.arange(len(busy))
    ax.bar(x, counts[DELIVERED][busy], color=COLOURS[DELIVERED], label=DELIVERED)
    ax.bar(x, counts[QUARANTINED][busy], bottom=counts[DELIVERED][busy],
           color=COLOURS[QUARANTINED], label=QUARANTINED)
    limit = plan.spec.hourly_limit
    ax.axhline(limit, color="black", linestyle="--", linewidth=1,
               label=f"hourly volume limit ({limit:,})")
    ax.set_xticks(x, labels, rotation=90, fontsize=8)
    ax.set_ylabel("resets sent in the hour")
    ax.yaxis.set_major_formatter(THOUSANDS)
    ax.set_title(f"The campaign hour by hour with a limit of {limit:,} resets an hour, if "
                 f"{READING_TITLES[count_quarantined]}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    figure.tight_layout()
    return figure


def pacing(resets: int, days: int, recommended: int, daily_limits: Sequence[int] = (0,),
           working_hours: tuple[int, int] = (8, 18)) -> Figure:
    """Days a paced campaign of ``resets`` needs at each hourly limit (one line per daily
    limit; 0: none), against the ``days`` wanted and the recommended hourly limit."""
    figure = Figure(figsize=(8, 4))
    ax = figure.subplots()
    limits = np.unique(np.linspace(max(1, recommended // 4), recommended * 3, 200).astype(int))
    top = 1
    for k, daily in enumerate(daily_limits):
        needed = [days_needed(resets, int(x), daily, working_hours) for x in limits]
        top = max(top, max(needed, default=1))
        label = f"daily limit {daily:,}" if daily else "no daily limit"
        # each line narrower than the one before, so that coinciding lines stay visible
        ax.step(limits, needed, where="post", label=label, linewidth=1.5 + 2.0 / (k + 1))
    ax.axhline(days, color="black", linestyle="--", linewidth=1,
               label=f"campaign of {days} day{'s' if days != 1 else ''}")
    ax.plot([recommended], [days_needed(resets, recommended, 0, working_hours)], "o",
            color="#c8602a", label=f"recommended sending rate: {recommended:,} an hour")
    low, high = working_hours
    ax.set_xlabel(f"resets sent an hour, paced evenly\n{low:02d}:00 to {high:02d}:00")
    ax.set_ylabel("days needed")
    ax.set_ylim(0, min(top, days * 6) + 0.5)
    ax.xaxis.set_major_formatter(THOUSANDS)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"Days needed to send {resets:,} resets without a quarantine")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    figure.tight_layout()
    return figure


def daily(impact: Impact, what: str = "recovered") -> Figure:
    """Per day and scenario: debt recovered from all meters, or the mean balance (£);
    the days the resets are sent shaded."""
    if what not in DAILY:
        raise ValidationError("what", f"must be one of {', '.join(DAILY)}, got {what!r}")
    spec = impact.plan.spec
    figure = Figure(figsize=(9, 4))
    ax = figure.subplots()
    days = np.arange(spec.simulation_days)
    for name, totals in impact.totals.items():
        values = (totals.recovered if what == "recovered"
                  else totals.balance / max(totals.meters, 1)) / 100
        ax.plot(days, values, marker="o", label=name.value, color=SCENARIO_COLOURS[name])
    sent = impact.plan.batch.timestamp // 86_400
    if len(sent):
        ax.axvspan(int(sent.min()) - 0.5, int(sent.max()) + 0.5, alpha=0.1, color="#1f77b4",
                   label="resets sent")
    ticks = days[::max(1, len(days) // 14)]
    ax.set_xticks(ticks, [(START + timedelta(days=int(d))).strftime("%a %d %b") for d in ticks],
                  rotation=90, fontsize=8)
    if what == "recovered":
        ax.set_ylabel("debt recovered (£ per day)")
        ax.set_title("Debt recovered from all customers each day (limit "
                     f"{spec.hourly_limit:,} an hour; {100 * spec.release_share:.0f} % of meters "
                     "on the Release)", fontsize=10)
        ax.set_ylim(bottom=0)  # from zero, so that the drop is not exaggerated
        ax.yaxis.set_major_formatter(_POUNDS)
    else:
        ax.set_ylabel("mean balance at end of day")
        ax.set_title("The average customer's credit balance")
        ax.yaxis.set_major_formatter(_POUNDS_PENCE)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    figure.tight_layout()
    return figure
