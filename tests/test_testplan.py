"""The generated test analysis and report (TR-1, TR-2, TR-3)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from specpkg.duis.codes import Outcome, ResponseCode
from specpkg.errors import ValidationError
from specpkg.system.assumptions import Assumptions
from specpkg.system.variants import PRE_RELEASE, RELEASE, ch_combinations
from specpkg.testing import workdays
from specpkg.testing.effort import latest_starts
from specpkg.testing.impacts import CLAIMS, plan_holds
from specpkg.testing.report import export_analysis, markdown_table, report_markdown
from specpkg.testing.roles import UserRole
from specpkg.testing.testplan import (
    MATRIX_COLUMNS,
    NOT_ADMITTED,
    Phase,
    assumptions,
    build_test_matrix,
    default_dimensions,
    environment_window,
    load_phases,
    matrix_counts,
    participants,
    plot_gantt,
    scenario_cases,
    system_impacts,
    timetable,
)

START = date(2019, 3, 1)


@pytest.fixture(scope="module")
def matrix() -> pd.DataFrame:
    return build_test_matrix()


def test_tr1_matrix_is_the_full_product_of_its_dimensions(matrix):
    dims = default_dimensions()
    sizes = dims.sizes()
    assert sizes == {"device": 2, "debt register": 3, "payment mode": 2, "meter version": 2,
                     "Test CH variant": len(ch_combinations()), "User Role": 7}
    assert len(matrix) == dims.product == math.prod(sizes.values())
    key = ["device", "register", "payment_mode", "meter_version", "comms_hub", "role"]
    assert not matrix.duplicated(key).any()
    assert matrix["case_id"].is_unique
    assert list(matrix.columns) == MATRIX_COLUMNS
    assert list(dims.to_frame()["size"]) == list(sizes.values())


def test_tr1_expected_outcomes_and_counts(matrix):
    n_ch = len(ch_combinations())
    positive = matrix[matrix["positive"]]
    # ESME by IS and GSME by GS, release meters, every register, mode and CH
    assert len(positive) == 2 * 3 * 2 * 1 * n_ch
    assert set(zip(positive["device"], positive["role"], strict=True)) == {
        ("ESME", "IS"), ("GSME", "GS")}
    assert set(positive["meter_version"]) == {"release"}
    assert set(positive["expected_outcome"]) == {Outcome.SUCCESS.value}
    assert set(positive["expected_code"]) == {"I0"}
    by = matrix.groupby(["expected_outcome", "expected_code"]).size()
    assert by[(NOT_ADMITTED, "")] == 2 * 3 * 2 * 2 * n_ch * 5
    assert (
        by[(Outcome.REFUSED.value, ResponseCode.NOT_REGISTERED_SUPPLIER)]
        == 2 * 3 * 2 * 2 * n_ch * 1
    )
    assert (
        by[(Outcome.NOT_SUPPORTED.value, ResponseCode.NOT_SUPPORTED_BY_DEVICE)]
        == 2 * 3 * 2 * 1 * n_ch * 1
    )
    assert by.sum() == len(matrix)
    counts = matrix_counts(matrix)
    assert counts.iloc[-1]["expected_outcome"] == "total"
    assert counts.iloc[-1]["cases"] == len(matrix)
    assert counts.iloc[:-1]["cases"].sum() == len(matrix)


def test_tr1_every_case_expects_a_response_and_flags_are_consistent(matrix):
    # TR-5: a Service Response for every Service Request sent; roles refused at
    # admission to the environment (TR-4) send none.
    refused = matrix["expected_outcome"] == NOT_ADMITTED
    assert (matrix["response_expected"] == ~refused).all()
    assert matrix["threshold_adt"].all()  # Critical use cases (TR-10)
    assert (matrix["packet_inspection"] == (matrix["device"] == "GSME")).all()
    recovery = matrix[matrix["debt_recovery_affected"]]
    assert set(recovery["payment_mode"]) == {"prepayment"} and recovery["positive"].all()
    pre = matrix[matrix["meter_version"] == "pre-release"]
    assert not pre["positive"].any()
    assert set(pre["gbcs_label"]) == {PRE_RELEASE.gbcs_label}
    assert set(matrix[matrix["meter_version"] == "release"]["gbcs_label"]) == {RELEASE.gbcs_label}


def test_tr1_ineligible_roles_are_all_negative(matrix):
    for role in ("ES", "ED", "GT", "OU", "RSA"):
        rows = matrix[matrix["role"] == role]
        assert len(rows) and not rows["positive"].any()
    assert {UserRole.IS.value, UserRole.GS.value} == set(matrix[matrix["positive"]]["role"])


def test_tr1_the_anomaly_detection_scenarios_are_quarantined_when_run():
    """TR-1 with TR-10: the plan's anomaly-detection scenarios cover both devices, and each,
    run through the test environment's DCC, is quarantined with a notification to the
    User (packet inspection for the GSME's, volume thresholds for both)."""
    from specpkg.duis.codes import ResponseCode
    from specpkg.meter.registers import Device
    from specpkg.testing.scenarios import run_scenarios

    plan = scenario_cases()
    assert plan["scenario_id"].is_unique
    anomaly = plan[plan["requirement"] == "TR-10"]
    assert set(anomaly["device"]) == {d.value for d in Device}
    ran = run_scenarios().set_index("scenario_id").loc[anomaly["scenario_id"]]
    assert ran["as_expected"].eq(True).all(), ran
    assert ran["actual_outcome"].str.contains(ResponseCode.QUARANTINED.value).all(), ran
    assert ran["actual_outcome"].str.contains("packet inspection").sum() == 1
    assert ran["actual_outcome"].str.contains("volume ADT").sum() == 2


def test_tr2_the_analysis_claims_only_testing_the_plan_holds(matrix, reference):
    """TR-2: every part of the DCC Total System the specification says is impacted has
    its analysis row, with rationale, and the testing each row requires is in the test
    matrix or the scenarios, under either reading of an older meter's answer (MA-7)."""
    impacts = system_impacts()
    assert set(impacts["component"]) == set(CLAIMS)
    held = plan_holds(matrix)
    assert held["held_by_the_plan"].all(), held
    silent = Assumptions(pre_release_alerts=False)
    assert plan_holds(build_test_matrix(model=silent), silent)["held_by_the_plan"].all()
    text = (reference / "SECMP0002-solution-design-specification.txt").read_text()
    impacted = text.split("Impacts", 1)[1].split("SECAS Contact", 1)[0]
    systems = [line.strip("• ").strip() for line in impacted.splitlines()
               if line.strip().startswith("•") and "Systems" in line]
    assert systems == ["DCC Central Systems", "Party Interfacing Systems",
                       "Smart Metering Systems"]
    for system in systems:
        assert impacts["component"].str.startswith(system).any(), system
    assert (impacts["rationale"].str.strip() != "").all()
    table = assumptions()
    assert table["id"].is_unique and (table["rationale"].str.strip() != "").all()


def _not_held(matrix, scenarios=None, model=None) -> list[str]:
    held = plan_holds(matrix, model, scenarios)
    return list(held.loc[~held["held_by_the_plan"], "component"])


def test_tr2_a_plan_missing_what_the_analysis_requires_fails_its_claim(matrix):
    """The claims bite: each cut of the plan fails exactly the claim that needs it."""
    scenarios = scenario_cases()
    cuts = {
        "Smart Metering Systems: ESME and GSME": matrix[matrix["meter_version"] == "release"],
        "Communications Hub (CSPs)": matrix[matrix["comms_hub"] == matrix["comms_hub"].iloc[0]],
        "DCC Central Systems: access control": matrix[matrix["role"].isin(["IS", "GS"])],
        "DCC Central Systems: DSP Service Request processing": matrix[matrix["register"] != "PDR"],
        "DCC Central Systems: anomaly detection": matrix.assign(packet_inspection=True),
        "Party Interfacing Systems (Users)": matrix.assign(response_expected=False),
    }
    for component, cut in cuts.items():
        assert component in _not_held(cut), component
    for requirement, component in (
            ("TR-6", "Parse and Correlate software and Message Mapping Catalogue"),
            ("TR-2", "Other HAN Devices"),
            ("TR-10", "DCC Central Systems: anomaly detection")):
        without = scenarios[scenarios["requirement"] != requirement]
        assert _not_held(matrix, without) == [component], requirement
    # a matrix built for one reading of MA-7 does not hold under the other
    assert _not_held(matrix, model=Assumptions(pre_release_alerts=False)) == [
        "Smart Metering Systems: ESME and GSME"]


def test_tr3_timetable_is_consecutive_working_days():
    table = timetable(START)
    phases = load_phases()
    assert list(table["phase"]) == [p.name for p in phases]
    assert table["start"].iloc[0] == workdays.next_working_day(START)
    for row in table.itertuples():
        assert workdays.is_working_day(row.start) and workdays.is_working_day(row.end)
        assert workdays.count_working_days(row.start, row.end) == row.working_days
    for before, after in zip(table["end"].iloc[:-1], table["start"].iloc[1:], strict=True):
        assert after == workdays.add_working_days(before, 1)


def test_tr3_environment_window_is_at_least_15_working_days():
    window = environment_window(timetable(START))
    assert window.working_days >= 15
    assert workdays.count_working_days(window.first_day, window.last_day) == window.working_days


def test_tr3_timetable_over_christmas_skips_bank_holidays():
    table = timetable(date(2019, 12, 20))
    days = [d for row in table.itertuples() for d in pd.date_range(row.start, row.end).date]
    assert date(2019, 12, 25) in days  # calendar span includes it ...
    assert sum(workdays.is_working_day(d) for d in days) == table["working_days"].sum()


#: Bank holidays in England and Wales, 2019-2020, as GOV.UK publishes them
#: (https://www.gov.uk/bank-holidays): the Working Days of the SEC are counted on these.
#: Scotland has 2 January, the first Monday of August and St Andrew's Day besides.
ENGLAND_AND_WALES = {
    date(2019, 1, 1), date(2019, 4, 19), date(2019, 4, 22), date(2019, 5, 6),
    date(2019, 5, 27), date(2019, 8, 26), date(2019, 12, 25), date(2019, 12, 26),
    date(2020, 1, 1), date(2020, 4, 10), date(2020, 4, 13), date(2020, 5, 8),
    date(2020, 5, 25), date(2020, 8, 31), date(2020, 12, 25), date(2020, 12, 28),
}


@pytest.mark.parametrize("start", [date(2019, 12, 20), date(2019, 4, 12), date(2019, 7, 29),
                                   date(2019, 11, 25)], ids=str)
def test_tr3_the_timetable_counts_the_working_days_of_england_and_wales(start: date) -> None:
    """TR-3: the timetable's phases take the Working Days of England and Wales, counted
    here from the published list, not from the model's own calendar: over New Year,
    Easter, August and St Andrew's Day, where Scotland's bank holidays differ."""
    table = timetable(start)
    first, last = table["start"].iloc[0], table["end"].iloc[-1]
    assert last.year <= 2020
    working = [d for d in pd.date_range(first, last).date
               if d.weekday() < 5 and d not in ENGLAND_AND_WALES]
    assert len(working) == table["working_days"].sum()
    for row in table.itertuples():
        days = [d for d in working if row.start <= d <= row.end]
        assert days[0] == row.start and days[-1] == row.end and len(days) == row.working_days


def test_tr3_too_short_window_refused():
    phases = [Phase(1, "set-up", 5, False, "DCC", "", ""),
              Phase(2, "testing", 14, True, "Users", "", "")]
    with pytest.raises(ValidationError) as info:
        timetable(START, phases)
    assert info.value.field == "working_days"
    split = [Phase(1, "a", 10, True, "", "", ""), Phase(2, "b", 1, False, "", "", ""),
             Phase(3, "c", 10, True, "", "", "")]
    with pytest.raises(ValidationError, match="consecutive"):
        timetable(START, split)
    with pytest.raises(ValidationError):
        Phase(1, "empty", 0, True, "", "", "")


def test_tr3_participants_include_dcc_users_and_large_suppliers():
    table = participants()
    kinds = set(table["kind"])
    assert {"DCC", "User"} <= kinds
    text = " ".join(table["number"])
    assert "up to 10" in text and "at least 2" in text


def test_tr3_gantt_has_a_bar_per_phase():
    table = timetable(START)
    figure = plot_gantt(table)
    ax = figure.axes[0]
    assert len(ax.containers) == len(table)  # one bar per phase
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"{o}. {p}" for o, p in zip(table["order"], table["phase"], strict=True)]
    assert "15 Working Days" in ax.get_legend().get_texts()[0].get_text()
    plt.close(figure)


def test_tr3_export_writes_csv_and_markdown(tmp_path, matrix):
    paths = export_analysis(tmp_path / "testing", START)
    names = {p.name for p in paths}
    assert {"test_matrix.csv", "matrix_counts.csv", "timetable.csv", "participants.csv",
            "assumptions.csv", "effort.csv", "minimum_test_set.csv", "test_report.md"} <= names
    assert all(p.is_file() for p in paths)
    again = pd.read_csv(tmp_path / "testing" / "test_matrix.csv")
    assert len(again) == len(matrix)
    report = (tmp_path / "testing" / "test_report.md").read_text()
    assert report == report_markdown(START)
    for heading in ("Scope", "DCC Total System", "Assumptions", "timetable", "Participants",
                    "Effort and cost", "Minimum test set", "Latest start"):
        assert heading in report
    minimum = pd.read_csv(tmp_path / "testing" / "minimum_test_set.csv")
    assert f"{len(minimum)} of {len(matrix)} cases cover" in report
    for deadline in latest_starts():
        assert f"| {deadline.implementation.isoformat()} |" in report
        assert f"| {deadline.latest_start.isoformat()} |" in report
    assert f"Full product: {len(matrix)} cases" in report
    # deterministic: writing twice gives the same bytes
    first = {p.name: p.read_bytes() for p in paths}
    export_analysis(tmp_path / "testing", START)
    assert {p.name: p.read_bytes() for p in paths} == first


def test_markdown_table_escapes_pipes():
    text = markdown_table(pd.DataFrame([{"a": "x|y", "b": 1}]))
    assert text.splitlines() == ["| a | b |", "| --- | --- |", "| x\\|y | 1 |"]


def test_f17_latest_start_meets_the_implementation_date() -> None:
    """F-17: testing started on the latest start ends the Working Day before each IMP-1
    date; a day later misses it."""
    from specpkg.testing import schedule

    days = sum(p.working_days for p in load_phases())
    found = schedule.deadlines(days)
    assert [d.implementation for d in found] == [date(2019, 6, 27), date(2019, 11, 7)]
    for deadline in found:
        table = timetable(deadline.latest_start)
        assert table["end"].iloc[-1] < deadline.implementation
        late = timetable(workdays.next_working_day(deadline.latest_start + timedelta(days=1)))
        assert late["end"].iloc[-1] >= deadline.implementation
