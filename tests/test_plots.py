"""Figures of the workbook: built from the model, without pyplot (SR-6)."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from specpkg.system.flow import Step, make_testbed
from specpkg.workbook import plots


def _arrows(fig: Figure) -> list:
    (ax,) = fig.axes
    return [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]


def _labels(fig: Figure) -> list[str]:
    (ax,) = fig.axes
    return [t.get_text() for t in ax.texts]


def test_message_path_of_a_successful_reset() -> None:
    """User -> DCC -> User -> DCC -> CH -> meter -> DCC -> User: seven messages, one check."""
    result = make_testbed().run("GSME", "TimeDebtRegister1")
    fig = plots.message_path(result.steps, "GSME reset")
    assert isinstance(fig, Figure)
    labels = _labels(fig)
    assert labels[:4] == ["User", "DCC", "Communications Hub", "GSME"]
    assert len(_arrows(fig)) == 7
    assert any(label.startswith("2. validates and checks access: accepted") for label in labels)
    assert fig.axes[0].get_title() == "GSME reset"


def test_message_path_of_a_refused_request_has_user_and_dcc_only() -> None:
    steps = (Step("User", "sends the DUIS request", "signed XML", b"<x/>"),
             Step("DCC", "validates and checks access", "refused: UNKNOWN_DEVICE"))
    labels = _labels(plots.message_path(steps))
    assert labels[:2] == ["User", "DCC"] and "Communications Hub" not in labels
    assert len(_arrows(plots.message_path(steps))) == 1


def test_stacked_counts_draws_one_segment_per_non_empty_cell() -> None:
    """SR-4 chart: bars per (device, version), stacked by outcome."""
    import pandas as pd

    counts = pd.DataFrame({"success": [3, 0], "not supported": [0, 3]},
                          index=pd.MultiIndex.from_tuples([("ESME", "release"),
                                                           ("ESME", "pre-release")]))
    fig = plots.stacked_counts(counts, "requests", "outcomes")
    (ax,) = fig.axes
    widths = [p.get_width() for p in ax.patches]
    assert sorted(widths) == [0, 0, 3, 3]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ESME / release", "ESME / pre-release"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["success", "not supported"]


def test_balance_axis_starts_at_zero_so_a_flat_balance_looks_flat() -> None:
    """Notebook 01's credit-mode panel: a constant balance is not magnified."""
    import pandas as pd

    frame = pd.DataFrame({"hour": [0, 24, 48], "TimeDebtRegister1": [100, 0, 0],
                          "TimeDebtRegister2": [0, 0, 0], "PaymentDebtRegister": [0, 0, 0],
                          "balance": [1000, 1000, 1000]})
    fig = plots.registers_over_time({"credit mode": frame})
    balance_axis = fig.axes[1]
    low, high = balance_axis.get_ylim()
    assert low <= 0 and high >= 10 and (high - low) > 10
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["Time Debt Register 1", "Time Debt Register 2", "Payment Debt Register"]


def test_success_is_always_green_in_outcome_charts() -> None:
    import pandas as pd

    counts = pd.DataFrame({"meter version does not support the reset": [3, 0],
                           "success: register is zero": [0, 3]}, index=["old", "new"])
    fig = plots.stacked_counts(counts)
    colours = {p.get_label(): p.patches[0].get_facecolor() for p in fig.axes[0].containers}
    assert colours["success: register is zero"][:3] == pytest.approx((0x2C / 255, 0xA0 / 255,
                                                                      0x2C / 255))
    assert colours["meter version does not support the reset"] != colours[
        "success: register is zero"]


def test_implementation_timeline_keeps_every_marker_inside() -> None:
    from datetime import date

    fig = plots.implementation_timeline([date(2018, 3, 1), date(2018, 10, 8)])
    ax = fig.axes[0]
    low, high = sorted(ax.get_ylim())
    assert low < 0 - 0.5 and high > 1 + 0.1  # room around the first and last rows
    assert {t.get_text() for t in ax.get_legend().get_texts()} >= {
        "approval", "implementation date", "no date given"}


def test_effort_chart_has_a_bar_per_phase_and_side_and_a_legend_clear_of_them() -> None:
    """TR-3, TR-4: participant against environment days per phase, each bar as long as
    its phase's days, labelled in words, the legend below the axes."""
    from specpkg.testing import effort

    planned = effort.estimate()
    fig = plots.effort_by_phase(planned)
    (ax,) = fig.axes
    widths = [round(bar.get_width(), 1) for bar in ax.patches]
    assert widths == [p.tenths[s] / 10 for s in effort.EffortSide for p in planned.phases]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        f"{p.phase.order}. {p.phase.name}" for p in planned.phases]
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        "participant days (Users)", "environment days (DCC test environment)"]
    fig.draw_without_rendering()
    box = legend.get_window_extent()
    assert box.y1 < ax.get_window_extent().y0
    assert not any(box.overlaps(bar.get_window_extent()) for bar in ax.patches)
