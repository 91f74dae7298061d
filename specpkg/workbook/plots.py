"""Figures for the workbook: presentation only, every number comes from the model.

Figures are built without pyplot (no global state); a notebook shows one by
leaving it as the cell's value after ``%matplotlib inline``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from specpkg.meter.simulation import REGISTER_COLUMNS

if TYPE_CHECKING:
    from specpkg.system.flow import Step

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
            top.plot(days, frame[register] / 100, label=register, color=COLOURS[register])
        bottom.plot(days, frame["balance"] / 100, color=COLOURS["balance"], label="meter balance")
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


def stacked_counts(counts: pd.DataFrame, xlabel: str = "", title: str = "") -> Figure:
    """Horizontal stacked bars (SR-4): one bar per row of ``counts`` (a tuple
    index is joined with " / "), one colour per column, lengths the counts."""
    labels = [" / ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in counts.index]
    fig = Figure(figsize=(8, 0.5 * len(labels) + 1.8))
    ax = fig.subplots()
    left = [0] * len(labels)
    for column in counts.columns:
        values = [int(v) for v in counts[column]]
        ax.barh(labels, values, left=left, label=str(column))
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
