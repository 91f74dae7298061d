"""Figures for the workbook: presentation only, every number comes from the model.

Figures are built without pyplot (no global state); a notebook shows one by
leaving it as the cell's value after ``%matplotlib inline``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure

from specpkg.simulation import REGISTER_COLUMNS

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
