"""Figures for the workbook: presentation only, every number comes from the model.

Figures are built without pyplot (no global state); a notebook shows one by
leaving it as the cell's value after ``%matplotlib inline``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from specpkg.meter.registers import DebtRegister
from specpkg.meter.simulation import REGISTER_COLUMNS

if TYPE_CHECKING:
    from specpkg.system.flow import Step
    from specpkg.testing.effort import Effort

COLOURS = {
    "TimeDebtRegister1": "#1f77b4",
    "TimeDebtRegister2": "#ff7f0e",
    "PaymentDebtRegister": "#2ca02c",
    "balance": "#444444",
}


def registers_over_time(
    runs: Mapping[str, pd.DataFrame], reset_hour: int | None = None, title: str = ""
) -> Figure:
    """One column of panels per run: the three registers (top) and balance (bottom), in £."""
    fig = Figure(figsize=(5.5 * len(runs), 6))
    axes = fig.subplots(2, len(runs), sharex=True, squeeze=False)
    for col, (name, frame) in enumerate(runs.items()):
        days = frame["hour"] / 24
        top, bottom = axes[0][col], axes[1][col]
        for register in REGISTER_COLUMNS:
            top.plot(days, frame[register] / 100, label=DebtRegister(register).label,
                     color=COLOURS[register])
        balance = frame["balance"] / 100
        bottom.plot(days, balance, color=COLOURS["balance"], label="meter balance")
        _honest_range(bottom, balance)
        top.set_title(name)
        top.set_ylabel("debt (£)")
        bottom.set_ylabel("balance (£)")
        bottom.set_xlabel("day")
        if reset_hour is not None:
            for ax in (top, bottom):
                ax.axvline(reset_hour / 24, color="red", linestyle="--", linewidth=1)
            top.annotate("reset", (reset_hour / 24, top.get_ylim()[1] * 0.92), color="red")
        top.legend(fontsize=8, loc="center right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _honest_range(ax, values: pd.Series) -> None:
    """Start a money axis at zero, so that a balance that does not move (credit mode)
    shows as the flat line it is, not as noise magnified on a narrow range."""
    low, high = min(0.0, float(values.min())), max(0.0, float(values.max()))
    span = (high - low) or 1.0
    ax.set_ylim(low - 0.05 * span, high + 0.15 * span)


def _lane(actor: str) -> str:
    return "DCC" if actor.startswith("DCC") else actor


def message_path(steps: Sequence[Step], title: str = "") -> Figure:
    """A sequence diagram of one request (SR-6): a lane per party, in the order
    they first act, and an arrow per message from the party that sends it to the
    party that acts next (the last goes back to the User). A step that sends
    nothing (a check) is a note on its party's lane."""
    lanes: list[str] = []
    for step in steps:
        if _lane(step.actor) not in lanes:
            lanes.append(_lane(step.actor))
    if "User" not in lanes:
        lanes.insert(0, "User")
    x = {lane: i for i, lane in enumerate(lanes)}
    fig = Figure(figsize=(2.6 * len(lanes) + 1, 0.6 * len(steps) + 1.4))
    ax = fig.subplots()
    bottom = -len(steps) - 0.5
    for lane, i in x.items():
        ax.plot([i, i], [0.2, bottom], color="#999999", linewidth=1, zorder=0)
        ax.text(i, 0.45, lane, ha="center", va="bottom", fontweight="bold")
    for n, step in enumerate(steps, 1):
        sender = _lane(step.actor)
        receiver = _lane(steps[n].actor) if n < len(steps) else "User"
        label = f"{n}. {step.action}" + (f" ({len(step.data)} bytes)" if step.data else "")
        if not step.data or receiver == sender:
            ax.text(x[sender] + 0.05, -n, f"{label}: {step.result}", va="center", fontsize=8,
                    style="italic", color="#555555")
            continue
        ax.annotate("", xy=(x[receiver], -n), xytext=(x[sender], -n),
                    arrowprops={"arrowstyle": "->", "color": "#1f77b4"})
        ax.text((x[sender] + x[receiver]) / 2, -n + 0.12, label, ha="center", va="bottom",
                fontsize=8)
    ax.set_xlim(-0.6, len(lanes) - 0.4)
    ax.set_ylim(bottom, 1.0)
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


#: Colours of request outcomes: success green, the others never green.
OUTCOME_COLOURS = {
    "success": "#2ca02c", "refused": "#d62728", "quarantined": "#ff7f0e",
    "meter version": "#9467bd", "meter rejected": "#8c564b", "not signed": "#7f7f7f",
    "command could": "#e377c2", "device did not": "#bcbd22",
}


def outcome_colour(label: str, index: int) -> str:
    """The colour of an outcome (by its first words), else one of the others in turn."""
    for start, colour in OUTCOME_COLOURS.items():
        if str(label).startswith(start):
            return colour
    others = ["#17becf", "#1f77b4", "#aec7e8", "#ffbb78"]
    return others[index % len(others)]


def stacked_counts(counts: pd.DataFrame, xlabel: str = "", title: str = "") -> Figure:
    """Horizontal stacked bars (SR-4): one bar per row of ``counts`` (a tuple
    index is joined with " / "), one colour per column (success always green),
    lengths the counts."""
    labels = [" / ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in counts.index]
    fig = Figure(figsize=(8, 0.5 * len(labels) + 1.8))
    ax = fig.subplots()
    left = [0] * len(labels)
    for n, column in enumerate(counts.columns):
        values = [int(v) for v in counts[column]]
        ax.barh(labels, values, left=left, label=str(column), color=outcome_colour(column, n))
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def implementation_timeline(approvals: Sequence[date]) -> Figure:
    """IMP-1: each approval date (a row) joined to its implementation date, over the two
    decision windows; an approval after the second deadline gets a cross (no date)."""
    import matplotlib.dates as mdates

    from specpkg.testing import implementation as imp

    days = sorted(set(approvals))
    fig = Figure(figsize=(9, 0.45 * len(days) + 1.8))
    ax = fig.subplots()
    start = min(days[0], date(2017, 12, 1))
    ax.axvspan(mdates.date2num(start), mdates.date2num(imp.FIRST_DECISION_DEADLINE),
               color="tab:blue", alpha=0.12, label="approved by 27 May 2018: 27 June 2019")
    ax.axvspan(mdates.date2num(imp.FIRST_DECISION_DEADLINE),
               mdates.date2num(imp.SECOND_DECISION_DEADLINE), color="tab:orange", alpha=0.12,
               label="approved by 7 Oct 2018: 7 Nov 2019")
    shown: set[str] = set()

    def once(label: str) -> str:
        """The legend label the first time, none after (one legend entry per marker)."""
        if label in shown:
            return "_nolegend_"
        shown.add(label)
        return label

    for y, approval in enumerate(days):
        outcome = imp.implementation_date(approval)
        x = mdates.date2num(approval)
        ax.plot(x, y, "o", color="black", label=once("approval"))
        if outcome.specified:
            ax.plot([x, mdates.date2num(outcome.date)], [y, y], color="gray", lw=1)
            ax.plot(mdates.date2num(outcome.date), y, "s", color="tab:green",
                    label=once("implementation date"))
        else:
            ax.plot(x, y, "x", color="tab:red", ms=12, label=once("no date given"))
    ax.set_yticks(range(len(days)), [d.isoformat() for d in days])
    ax.set_ylim(-0.8, len(days) - 0.2)  # room for the markers on the first and last rows
    ax.invert_yaxis()
    ax.set_ylabel("approval date")
    ax.xaxis.set_major_locator(mdates.MonthLocator((1, 7)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.set_xlim(mdates.date2num(start) - 30,
                mdates.date2num(max(days[-1], imp.SECOND_IMPLEMENTATION_DATE)) + 45)
    ax.set_title("SECMP0002: approval date to recommended implementation date")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    return fig


def effort_by_phase(effort: Effort, title: str = "") -> Figure:
    """TR-3, TR-4: participant days (Users) and environment days (DCC) per test phase,
    side by side; the legend below the axes, clear of the bars."""
    from specpkg.testing.effort import EffortSide, days_text

    names = [f"{p.phase.order}. {p.phase.name}" for p in effort.phases]
    sides = [(EffortSide.PARTICIPANT, "participant days (Users)", "#1f77b4"),
             (EffortSide.ENVIRONMENT, "environment days (DCC test environment)", "#ff7f0e")]
    fig = Figure(figsize=(8, 0.55 * len(names) + 2.2))
    ax = fig.subplots()
    height = 0.38
    for n, (side, label, colour) in enumerate(sides):
        ys = [i + (n - 0.5) * height for i in range(len(names))]
        days = [p.tenths[side] / 10 for p in effort.phases]
        bars = ax.barh(ys, days, height=height, label=label, color=colour)
        ax.bar_label(bars, labels=[days_text(p.tenths[side]) for p in effort.phases],
                     padding=2, fontsize=8)
    ax.margins(x=0.12)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel("days of effort (rounded up to a tenth)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize=8,
              frameon=False)
    ax.set_title(title or "SECMP0002 testing effort per phase")
    fig.tight_layout()
    return fig
