"""Figures of the workbook: built from the model, without pyplot (SR-6)."""

from __future__ import annotations

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
             Step("DCC", "validates and checks access", "refused: E913"))
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
