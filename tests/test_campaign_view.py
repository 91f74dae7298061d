"""Notebook 08's tables and figures (SR-12 impact): pounds, human labels, legends clear of
the bars, and the executive summary quoting the notebook's own computation."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from matplotlib.patches import Rectangle

from specpkg.anomaly import campaign
from specpkg.anomaly.campaign import Campaign, Scenario
from specpkg.anomaly.pacing import days_needed
from specpkg.errors import ValidationError
from specpkg.meter.households import default_inputs
from specpkg.workbook import campaign_figures as figures
from specpkg.workbook import campaign_view as view

SPEC = Campaign(2_500, first_day=1, days=2, simulation_days=5, hourly_limit=50, seed=3,
                inputs=default_inputs().with_value("share_in_debt", 0.6))


@pytest.fixture(scope="module")
def report() -> campaign.Report:
    return campaign.report(SPEC, [30, 50, 100], count_quarantined=True)


def _clear_of_bars(figure) -> None:
    """The legend overlaps no bar (drawn, in display coordinates)."""
    figure.draw_without_rendering()
    (ax,) = figure.axes
    legend = ax.get_legend().get_window_extent()
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_height() > 0]
    assert bars
    for bar in bars:
        assert not legend.overlaps(bar.get_window_extent()), "the legend covers a bar"


def _legend(figure) -> list[str]:
    return [t.get_text() for t in figure.axes[0].get_legend().get_texts()]


def test_pounds_are_whole_pounds_rounded_half_up() -> None:
    assert [view.pounds(p) for p in (0, 149, 150, 123_456_789)] == [
        "£0", "£1", "£2", "£1,234,568"]


def test_outcomes_by_limit_stacks_delivered_and_held(report) -> None:
    figure = figures.outcomes_by_limit(report.limits, SPEC.hourly_limit)
    ax = figure.axes[0]
    assert _legend(figure) == [figures.DELIVERED, figures.QUARANTINED]
    heights = [int(p.get_height()) for p in ax.patches]
    assert heights == ([o.delivered for o in report.limits]
                       + [o.quarantined for o in report.limits])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["30", "50\n(chosen)", "100"]
    _clear_of_bars(figure)


def test_hourly_outcomes_counts_every_reset_once(report) -> None:
    figure = figures.hourly_outcomes(report.plan)
    total = sum(p.get_height() for p in figure.axes[0].patches)
    assert total == len(report.plan.batch)
    assert _legend(figure) == [f"hourly volume limit ({SPEC.hourly_limit})", figures.DELIVERED,
                               figures.QUARANTINED]
    assert figure.axes[0].get_xticklabels()[0].get_text() == "Fri 08:00"
    _clear_of_bars(figure)


def test_pacing_chart_draws_the_days_needed(report) -> None:
    resets, (hourly, _) = len(report.plan.batch), report.recommended
    figure = figures.pacing(resets, SPEC.days, hourly, [0, 2_000])
    ax = figure.axes[0]
    first, second = ax.lines[:2]
    for line, daily in ((first, 0), (second, 2_000)):
        x, y = line.get_data()
        assert list(y) == [days_needed(resets, int(v), daily) for v in x]
    marker = ax.lines[-1]
    assert list(marker.get_xdata()) == [hourly]
    assert _legend(figure) == ["no daily limit", "daily limit 2,000", "campaign of 2 days",
                               f"recommended sending rate: {hourly:,} an hour"]


def test_daily_plots_one_line_per_scenario(report) -> None:
    for what in figures.DAILY:
        figure = figures.daily(report.impact, what)
        assert _legend(figure)[:3] == [s.value for s in Scenario]
        base = figure.axes[0].lines[0].get_ydata()
        totals = report.impact.baseline
        expected = totals.recovered / 100 if what == "recovered" else (
            totals.balance / totals.meters / 100)
        assert np.allclose(base, expected)
    with pytest.raises(ValidationError) as err:
        figures.daily(report.impact, "debt")
    assert err.value.field == "what"


def test_tables_speak_pounds_and_human_labels(report) -> None:
    targets = view.targets_table(report)
    assert targets.iloc[0]["carrying debt on Time Debt Register 1"] == (
        f"{len(report.plan.targets):,}")
    limits = view.limits_table(report)
    for counted, head in view.READINGS.items():
        column = f"notifications each to the DCC and the Supplier in this run, {head}"
        assert list(limits[column]) == [f"{2 * r.reading(counted).quarantined:,}"
                                        for r in report.readings]
    assert limits.iloc[1]["hourly limit"] == "50 (chosen)"
    customers = view.customers_table(report.impact).set_index("scenario")
    assert list(customers.index) == [s.value for s in Scenario]
    every = report.impact.totals[Scenario.DELIVERED]
    written_off = customers.loc[Scenario.DELIVERED.value, "debt written off"]
    assert written_off == view.pounds(every.written_off)
    pacing = view.pacing_table(report)
    assert pacing.iloc[1]["days of sending"] <= SPEC.days


def test_limits_table_shows_both_readings_whatever_the_parameter() -> None:
    """Under either setting of MA-4 the table is the same: both readings side by side."""
    tables = [view.limits_table(campaign.report(SPEC, [30, 50], count_quarantined=flag))
              for flag in (True, False)]
    assert tables[0].equals(tables[1])
    held = [c for c in tables[0].columns if c.startswith("quarantined in this run, ")]
    assert len(held) == 2 and tables[0][held[0]].iloc[0] != tables[0][held[1]].iloc[0]


def test_recommendation_in_words_and_table_quote_the_simulation() -> None:
    from specpkg.anomaly.pacing import recommend

    advice = recommend(1_200, 2, ordinary_per_day=40, trials=30, side_trials=25, seed=4)
    text = view.recommendation_in_words(advice, (8, 18))
    assert f"Set the hourly threshold to {advice.threshold:,}" in text
    # counted in trials, never a rounded "100 %": over the side trials, not the threshold's
    clear = 25 - round(advice.sides[0].chance * 25)
    assert f"in {clear:,} of 25 simulated campaigns nothing is quarantined" in text
    assert advice.trials_with_quarantine(advice.sides[0]) == 25 - clear
    assert f"Send {advice.rate:,} resets an hour" in text
    table = view.recommendation_table(advice)
    assert list(table["setting"]) == [s.label for s in advice.sides]
    assert table.iloc[0]["hourly threshold"] == f"{advice.threshold:,}"
    for (_, row), side in zip(table.iterrows(), advice.sides, strict=True):
        assert row["chance of any quarantine"].endswith(
            f" % ({round(side.chance * 25)} of 25)")  # a count, never a bare rounded share


def test_registers_table_has_a_row_per_register() -> None:
    found = campaign.by_register(replace(SPEC, meters=400), count_quarantined=True)
    table = view.registers_table(found)
    assert list(table["register"]) == ["Time Debt Register 1", "Time Debt Register 2",
                                       "Payment Debt Register"]
    for (_, row), impact in zip(table.iterrows(), found.values(), strict=True):
        assert row["owed when planned"] == view.pounds(impact.plan.debt)


def test_supply_off_in_words_counts_households_and_hours(report) -> None:
    text = view.supply_off_in_words(report.impact)
    base = report.impact.baseline
    assert f"**{base.households_off:,} of the {base.meters:,} households**" in text
    assert f"{base.hours_off:,} household-hours" in text
    for name in (Scenario.DELIVERED, Scenario.HELD):
        spared = report.impact.totals[name].spared
        assert f"With {name}:" in text
        fewer = base.hours_off - report.impact.totals[name].hours_off
        # on the same basis as the hours each above: per household off without the scheme
        assert (f"about {fewer / base.households_off:.1f} hours for each household that is "
                "off without the scheme") in text
        verb = "is" if spared == 1 else "are"
        assert f"**{view.households(spared)} that would have been off {verb} never off**" in text
    assert view.households(1) == "1 household"
    assert view.households(2, verb=True) == "2 households are"
    assert "0 %" not in view._share(3, 1000)


def test_notebook_report_maps_the_notebook_parameters() -> None:
    found = view.notebook_report(
        meters=900, register="PaymentDebtRegister", campaign_first_day=2, campaign_days=2,
        simulation_days=6, hourly_limits=[20, 40], chosen_limit=40, daily_limit=300,
        working_hours=[9, 17], seed=4, assumptions="count_quarantined=false")
    spec = found.plan.spec
    assert (spec.meters, spec.register.value, spec.first_day, spec.days) == (
        900, "PaymentDebtRegister", 2, 2)
    assert (spec.simulation_days, spec.hourly_limit, spec.daily_limit) == (6, 40, 300)
    assert spec.working_hours == (9, 17) and spec.seed == 4
    assert found.count_quarantined is False
    assert [o.hourly_limit for o in found.limits] == [20, 40]


def test_the_summary_quotes_the_notebook_campaign() -> None:
    from specpkg.workbook import summary

    defaults = summary.notebook_defaults(summary.CAMPAIGN_NOTEBOOK)
    found = summary.notebook_campaign()
    assert found.plan.spec.meters == defaults["meters"]
    assert found.plan.spec.hourly_limit == defaults["chosen_limit"]
    assert [o.hourly_limit for o in found.limits] == sorted(defaults["hourly_limits"])


# --- pre-Release share, sensitivity, national -----------------------------------------------


def test_release_share_table_counts_every_reset_and_writes_off_only_on_the_release(
        report) -> None:
    from specpkg.anomaly.sweeps import by_release_share
    from specpkg.workbook import campaign_national as national

    table = national.release_share_table(by_release_share(report.plan, [0.0, 0.5, 1.0]))
    assert list(table["meters on the Release"]) == ["0 %", "50 %", "100 %"]
    written = table["every reset delivered: debt written off"]
    assert written.iloc[0] == "£0" != written.iloc[2]
    sent = table["resets sent"]
    held = table["at the chosen limit: held in quarantine"]
    assert sent.nunique() == 1 and held.nunique() == 1
    assert table.iloc[0]["at the chosen limit: delivered, refused by the meter with an alert"] \
        == f"{report.plan.outcome.delivered:,}"
    number = lambda v: int(v.replace(",", ""))  # noqa: E731
    for _, row in table.iterrows():  # the three outcomes at the chosen limit add up to those sent
        parts = [c for c in table.columns if c.startswith("at the chosen limit")]
        assert sum(number(row[c]) for c in parts) == number(row["resets sent"])


def test_sensitivity_swings_each_input_and_draws_a_tornado_per_headline() -> None:
    from specpkg.anomaly import sweeps
    from specpkg.workbook import campaign_national as national

    spec = replace(SPEC, meters=1_500, inputs=default_inputs())
    swings = sweeps.sensitivity(spec, ("share_in_debt", "share_short"))
    assert len(swings) == 2 * len(sweeps.HEADLINES)
    by = {(s.headline, s.input): s for s in swings}
    debt = by[("debt written off (£)", "share_in_debt")]
    assert debt.at_low < debt.base < debt.at_high  # more meters in debt, more written off
    off = by[("households off supply without the scheme", "share_short")]
    assert off.at_low < off.base < off.at_high
    first = [s for s in swings if s.headline == "households off supply without the scheme"]
    assert first[0].width >= first[1].width  # widest first
    figure = national.sensitivity_figure(swings, spec.meters)
    assert len(figure.axes) == len(sweeps.HEADLINES)
    # each bar carries its change in per cent of the figure at the inputs' values
    shown = {t.get_text() for t in figure.axes[0].texts}
    expected = {f"{national.percent_change(v, debt.base):+.0f} %"
                for v in (debt.at_low, debt.at_high)}
    assert expected <= shown, (expected, shown)
    assert "1,500 meters" in figure.texts[0].get_text()
    assert f"{debt.base:,.0f} at the inputs' values" in figure.axes[0].get_title()
    # a change from 0 is said as such; a large finite one keeps its number
    from specpkg.anomaly.sweeps import Swing

    drawn = national.sensitivity_figure(
        [Swing(h, "share_in_debt", 0.1, 0.3, base, low, high)
         for h, (base, low, high) in zip(sweeps.HEADLINES, [(0, 0, 5), (10, 8, 1200), (4, 4, 4)],
                                         strict=True)], 100)
    assert [[t.get_text() for t in ax.texts] for ax in drawn.axes] == [
        ["from 0"], ["-20 %", "+11900 %"], ["no change"]]
    # two changes of the same sign: both bars seen, their labels on rows of their own
    same = national.sensitivity_figure(
        [Swing(h, "share_in_debt", 0.1, 0.3, 100, 90, 80) for h in sweeps.HEADLINES], 100)
    ax = same.axes[0]
    bars = sorted((b.get_y(), b.get_width()) for b in ax.patches)
    assert [w for _, w in bars] == [-10, -20] and bars[0][0] + 0.4 <= bars[1][0] + 1e-9
    assert len({t.xy[1] for t in ax.texts}) == 2
    assert figure.axes[0].get_legend() is not None
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert "(I-2)" in " ".join(labels) and "_" not in " ".join(labels)  # words, not code


def test_threshold_sensitivity_follows_the_campaign_size_and_the_ordinary_traffic() -> None:
    """Issue 21: the recommended threshold with each input at its low and high: more meters
    in debt need a higher threshold and rate; more ordinary resets more headroom, the
    same rate; the table and sentence say it in words."""
    from specpkg.anomaly import sweeps
    from specpkg.anomaly.pacing import limits_needed
    from specpkg.workbook import campaign_national as national

    spec = replace(SPEC, meters=3_000, inputs=default_inputs(), ordinary_per_day=4)
    swings = sweeps.threshold_sensitivity(spec, trials=40)
    by = {s.input: s for s in swings}
    assert set(by) == {"share_in_debt", "share_tdr1", "ordinary_per_meter_year", "risk"}
    debt = by["share_in_debt"]
    assert debt.at_low[1] < debt.base[1] < debt.at_high[1]  # the rate follows the list
    assert debt.at_low[0] < debt.base[0] < debt.at_high[0]
    resets = len(campaign.find_targets(spec)[0])
    rate, threshold, _ = limits_needed(resets, spec.days, ordinary_per_day=4,
                                       working_hours=spec.working_hours, trials=40,
                                       seed=spec.seed)
    assert debt.base == (threshold, rate)
    ordinary = by["ordinary_per_meter_year"]
    assert ordinary.at_low[1] == ordinary.at_high[1] == ordinary.base[1]
    assert ordinary.at_low[0] < ordinary.at_high[0]
    assert [s.width for s in swings] == sorted((s.width for s in swings), reverse=True)
    table = national.threshold_sensitivity_table(swings)
    assert "_" not in " ".join(table["input"]) and "(I-2)" in " ".join(table["input"])
    assert table.iloc[0]["hourly threshold, as recommended"] == f"{threshold:,}"
    row = table.iloc[0]
    assert row["hourly threshold, input at its high"] == f"{swings[0].at_high[0]:,}"
    assert row["sending rate (an hour), input at its low"] == f"{swings[0].at_low[1]:,}"
    ranges = dict(zip(table["input"], table["plausible range"], strict=True))
    assert ranges[national.RISK_WORDS] == "1 % to 20 %"
    assert any(r.endswith("resets a meter a year") for r in ranges.values())
    words = national.threshold_sensitivity_in_words(swings)
    assert f": from {debt.at_low[0]:,} to {debt.at_high[0]:,}, because" in words
    with pytest.raises(StopIteration):
        next(s for s in swings if s.input == "share_pdr")  # the campaign's register only


def test_report_outcomes_marks_the_chosen_and_the_recommended_limit() -> None:
    found = campaign.report(SPEC, [30, 100], count_quarantined=True, trials=20)
    advice = found.recommendation
    assert advice is not None and advice.threshold not in (30, 100, SPEC.hourly_limit)
    labels = [t.get_text() for t in
              figures.report_outcomes(found).axes[0].get_xticklabels()]
    assert f"{SPEC.hourly_limit:,}\n(chosen)" in labels
    assert f"{advice.threshold:,}\n(recommended\nfor pacing)" in labels
    assert len(labels) == 4


def test_national_result_is_committed_with_its_parameters_and_command() -> None:
    from specpkg.anomaly import sweeps
    from specpkg.anomaly.pacing import DEFAULT_RISK
    from specpkg.meter.households import row
    from specpkg.workbook.campaign_national import NATIONAL_TRIALS

    found = sweeps.load_national()
    assert found["command"] == sweeps.COMMAND
    assert found["parameters"]["meters"] == row("national_meters").value
    p = found["parameters"]  # the file is the code's own run: regenerate it after a change
    assert (p["trials"], p["side_trials"], p["risk"]) == (*NATIONAL_TRIALS, DEFAULT_RISK)
    shares = dict(sweeps.supplier_shares())
    assert [s["supplier"] for s in found["suppliers"]] == list(shares)
    assert sum(s["meters"] for s in found["suppliers"]) == pytest.approx(
        found["parameters"]["meters"], abs=len(shares))


def test_a_small_run_of_the_same_code_agrees_with_the_national_result_in_proportion() -> None:
    """Per meter, a run at 1/50 of the fleet gives the committed national figures: meters
    by market share, resets, households and hours off within 10 %, pounds written off
    within what the few meters written off in the small run allow (at MA-19's share, a
    tenth of the resets write anything off: Register 1 within 20 %, the rarer two 50 %)."""
    from specpkg.anomaly import sweeps
    from specpkg.workbook import campaign_national as national

    whole = sweeps.load_national()
    small = national.national_run(whole["parameters"]["meters"] // 50)

    def per_meter(result: dict) -> dict[str, float]:
        rows = result["suppliers"]
        meters = sum(s["meters"] for s in rows)
        out = {k: sum(s[k] for s in rows) / meters
               for k in ("resets", "households_off", "hours_off")}
        for register in rows[0]["written_off"]:
            out[register] = sum(s["written_off"][register] for s in rows) / meters
        return out

    big, little = per_meter(whole), per_meter(small)
    slack = {"TimeDebtRegister1": 0.2, "TimeDebtRegister2": 0.5, "PaymentDebtRegister": 0.5}
    for key, value in big.items():
        assert little[key] == pytest.approx(value, rel=slack.get(key, 0.1)), key
    for a, b in zip(whole["suppliers"], small["suppliers"], strict=True):
        assert b["meters"] == pytest.approx(a["meters"] / 50, abs=1)


def test_national_table_adds_the_suppliers_up() -> None:
    from specpkg.anomaly import sweeps
    from specpkg.workbook import campaign_national as national

    found = sweeps.load_national()
    table = national.national_table(found)
    assert list(table["Supplier"]) == [*(s["supplier"] for s in found["suppliers"]),
                                       "all Suppliers"]
    meters = sum(s["meters"] for s in found["suppliers"])
    assert table.iloc[-1]["prepayment meters"] == f"{meters:,}"
    assert not table.astype(str).apply(lambda c: c.str.contains("True|False|nan")).any().any()
    for head in ("MA-4 yes", "MA-4 no"):  # shown to a tenth, so the rows add up to the total
        column = [float(v.replace(",", "")) for v in table[f"quarantined (mean), {head}"]]
        assert abs(sum(column[:-1]) - column[-1]) <= 0.05 * (len(column) - 1), head
    assert table.iloc[-1]["hourly threshold"] == "each its own"
    assert table.iloc[0]["hourly threshold"] == f"{found['suppliers'][0]['threshold']:,}"


def test_basis_and_chosen_limit_say_the_reading_the_share_and_why_not_the_recommendation(
        report) -> None:
    """Every table of notebook 08 names what it rests on (issue 21): the chosen limit, the
    reading of MA-4 and the share of meters on the Release (MA-19), default or not."""
    text = view.basis_in_words(report)
    assert f"a chosen hourly limit of {SPEC.hourly_limit:,}" in text
    assert "Of the scenarios" not in text  # no recommendation in this run: nothing to relate
    assert "quarantined resets count (MA-4 yes), the default reading" in text
    assert "100 % of meters on the Release's firmware (a setting of the run" in text
    other = campaign.report(replace(SPEC, release_share=0.1), [50], count_quarantined=False)
    text = view.basis_in_words(other)
    assert "only delivered resets count (MA-4 no), not the default" in text
    assert "10 % of meters on the Release's firmware (MA-19's value)" in text
    assert "is a setting of the run" in view.chosen_in_words(report)
    advised = campaign.report(SPEC, [50], count_quarantined=True, trials=5)
    advice = advised.recommendation
    basis = view.basis_in_words(advised)
    assert (f"*every reset delivered* is also what the recommendation gives (paced at "
            f"{advice.rate:,} an hour against a threshold of {advice.threshold:,}, "
            f"{advice.trials_with_quarantine(advice.sides[0])} of 5 simulated") in basis
    assert (f"*quarantined resets held* is the campaign sent at random against the chosen "
            f"limit of {SPEC.hourly_limit:,}") in basis
    words = view.chosen_in_words(advised)
    assert f"recommends is {advised.recommendation.threshold:,}" in words
    higher = replace(advised, impact=replace(advised.impact, plan=replace(
        advised.plan, spec=replace(SPEC, hourly_limit=advised.recommendation.threshold - 1))))
    assert "(above the chosen one)" in view.chosen_in_words(higher)
    lower = replace(advised, impact=replace(advised.impact, plan=replace(
        advised.plan, spec=replace(SPEC, hourly_limit=advised.recommendation.threshold + 1))))
    assert "(below the chosen one)" in view.chosen_in_words(lower)


def test_the_daily_threshold_has_a_side_either_way() -> None:
    from specpkg.anomaly.pacing import recommend

    advice = recommend(1_200, 2, ordinary_per_day=40, trials=30, seed=4)
    sides = {s.label: s for s in advice.sides}
    low, high = sides["daily threshold 10 % lower"], sides["daily threshold 10 % higher"]
    assert low.daily < advice.daily < high.daily and low.threshold == advice.threshold
    # one basis: the hourly threshold's sides keep the recommended daily one, and back
    assert sides["threshold 10 % lower"].daily == advice.daily
    assert sides["threshold 10 % higher"].daily == advice.daily
    assert sides["sent at random over the days"].daily == advice.daily
    assert low.chance >= sides["recommended"].chance >= high.chance
    assert low.chance > 0  # a daily threshold below the busiest day holds resets back
    text = view.recommendation_in_words(advice, (8, 18))
    assert f"set it at {low.daily:,} instead" in text
    table = view.recommendation_table(advice).set_index("setting")
    assert table.loc["daily threshold 10 % lower", "daily threshold"] == f"{low.daily:,}"


def test_figures_name_the_reading_of_ma4_they_draw(report) -> None:
    title = figures.outcomes_by_limit(report.limits, count_quarantined=False).axes[0].get_title()
    assert title.endswith("if only delivered resets count (MA-4 no)")
    title = figures.hourly_outcomes(report.plan).axes[0].get_title()
    assert title.endswith("if quarantined resets count (MA-4 yes)")


def test_national_table_gives_the_chance_of_a_quarantine_each_and_in_all() -> None:
    from specpkg.anomaly import sweeps
    from specpkg.workbook import campaign_national as national

    found = sweeps.load_national()
    table = national.national_table(found)
    chances = [s["chance_of_quarantine"] for s in found["suppliers"]]
    assert list(table["chance of any quarantine"])[:-1] == [f"{100 * c:.0f} %" for c in chances]
    none = float(np.prod([1 - c for c in chances]))
    assert table.iloc[-1]["chance of any quarantine"] == f"{100 * (1 - none):.0f} %"


def test_sensitivity_moves_the_share_of_meters_on_the_release() -> None:
    from specpkg.anomaly import sweeps

    assert "release_share" in sweeps.SENSITIVE
    spec = replace(SPEC, meters=1_500, inputs=default_inputs(), release_share=0.1)
    swings = sweeps.sensitivity(spec, ("release_share",))
    by = {s.headline: s for s in swings}
    debt = by["debt written off (£)"]
    assert debt.at_low == 0 < debt.base < debt.at_high  # none on the Release: nothing written off
    off = by["households off supply without the scheme"]
    assert off.at_low == off.base == off.at_high  # the baseline has no resets


def test_inputs_table_shows_values_as_people_write_them() -> None:
    """Issue 21: pounds for pence, percent for shares, basis points and per mille."""
    from specpkg.meter import households

    table = households.frame().set_index("id")
    shown = {i: (table.loc[i, "value"], table.loc[i, "unit"]) for i in table.index}
    assert shown["I-1"] == ("4,400,000", "meters")
    assert shown["I-2"] == ("7 %", "of meters")
    assert shown["I-6"] == ("£1,300", "pounds")
    assert shown["I-9"] == ("£3.85", "£ a week")
    assert shown["I-12"] == ("20 %", "of each top-up")
    assert shown["I-17"] == ("6.9 %", "of the week's cost")
    assert table.loc["I-6", "plausible range"] == "£500 to £2,000"
    assert table.loc["I-20", "plausible range"] == "fixed"
    assert not table["value"].str.contains(r"\.\d*0$").any()  # no trailing zeros


def test_release_share_in_words_gives_ma19s_value_and_the_runs() -> None:
    from specpkg.meter.households import row
    from specpkg.workbook import campaign_national as national

    default = row("release_share").value
    text = national.release_share_in_words(replace(SPEC, release_share=default))
    assert f"**{100 * default:.0f} %**" in text and "This run: the same." in text
    text = national.release_share_in_words(replace(SPEC, release_share=0.5))
    assert "This run: 50 %, a setting of the run." in text


def test_national_parameters_in_words_quote_the_committed_file() -> None:
    from specpkg.anomaly import sweeps
    from specpkg.workbook import campaign_national as national

    found = sweeps.load_national()
    text = national.parameters_in_words(found)
    assert f"Computed for {found['parameters']['meters']:,} prepayment meters" in text
    assert f"`{found['command']}`" in text and "{" not in text


def test_the_limits_table_shows_the_recommended_threshold_too() -> None:
    advised = campaign.report(SPEC, [30], count_quarantined=True, trials=5)
    table = view.limits_table(advised)
    threshold = advised.recommendation.threshold
    assert f"{threshold:,} (recommended, for paced sending)" in list(table["hourly limit"])
    assert f"{SPEC.hourly_limit:,} (chosen)" in list(table["hourly limit"])


def test_balance_in_words_gives_the_largest_difference_at_the_end(report) -> None:
    impact = report.impact
    ends = [t.balance[-1] / max(t.meters, 1) for t in impact.totals.values()]
    base = impact.totals[Scenario.NO_SCHEME].balance[-1] / max(impact.baseline.meters, 1)
    most = max(abs(v - base) for v in ends)
    assert f"by at most {most:.1f} pence" in view.balance_in_words(impact)
    ax = figures.daily(impact, "recovered").axes[0]
    assert ax.get_ylim()[0] == 0 and f"limit {SPEC.hourly_limit:,} an hour" in ax.get_title()


def test_chance_by_threshold_falls_step_by_step_to_the_recommended_threshold() -> None:
    """Issue 21: paced at the recommended rate, the chance of any quarantine never rises
    with the threshold, reaches the accepted risk first at the recommended threshold and
    is drawn with both marked."""
    from specpkg.anomaly.pacing import recommend

    advice = recommend(1_200, 2, ordinary_per_day=40, trials=50, side_trials=5, seed=4)
    points = advice.chance_by_threshold()
    assert len(advice.hourly_peaks) == 50
    chances = [c for _, c in points]
    assert chances == sorted(chances, reverse=True) and chances[-1] == 0.0
    first = next(t for t, c in points if c <= advice.risk)
    assert first == advice.threshold and points[0][0] < advice.rate <= advice.threshold
    figure = figures.chance_by_threshold(advice)
    labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert f"recommended threshold: {advice.threshold:,}" in labels
    assert f"the sending rate: {advice.rate:,} an hour" in labels


def test_release_only_recommendation_is_sized_for_the_meters_that_can_reset() -> None:
    """F-71: sent only to meters on the Release, the campaign needs a lower threshold and
    rate than sent to every meter carrying the debt."""
    from specpkg.anomaly.sweeps import limits_for
    from specpkg.workbook import campaign_national as national

    spec = replace(SPEC, meters=3_000, inputs=default_inputs(), release_share=0.3)
    found = campaign.report(spec, [50], count_quarantined=True)
    sent = len(found.plan.batch)
    reset = found.impact.totals[Scenario.DELIVERED].resets
    assert 0 < reset < sent
    every, only = limits_for(spec, sent, trials=30), limits_for(spec, reset, trials=30)
    assert only[0] < every[0] and only[1] < every[1] and limits_for(spec, 0) == (0, 0)
    words = national.release_only_in_words(spec, found.impact, risk=0.05, trials=30)
    assert f"sized for {sent:,} (threshold {every[0]:,}, rate {every[1]:,} an hour)" in words
    assert f"threshold of {only[0]:,} and a rate of {only[1]:,} an hour" in words
