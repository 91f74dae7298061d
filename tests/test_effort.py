"""The testing effort, its cost, the minimum test set and the latest start (TR-1, TR-3, TR-4,
IMP-1)."""

from __future__ import annotations

import csv
import dataclasses
from datetime import timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from specpkg.duis.codes import ResponseCode
from specpkg.errors import ValidationError
from specpkg.system.assumptions import Assumptions
from specpkg.system.variants import ch_combinations
from specpkg.testing import effort, minimumset, schedule, workdays
from specpkg.testing.capacity import load_capacity_assumptions
from specpkg.testing.effort import EffortAssumptions, EffortRow, EffortSide, Per
from specpkg.testing.minimumset import CasePath, coverage, lower_bound, minimum_test_set
from specpkg.testing.testplan import build_test_matrix, load_phases, scenario_cases, timetable

FUNCTIONAL, ONBOARDING = "Functional testing", "Onboarding and connectivity"


@pytest.fixture(scope="module")
def matrix() -> pd.DataFrame:
    return build_test_matrix()


@pytest.fixture(scope="module")
def open_matrix() -> pd.DataFrame:
    return build_test_matrix(model=Assumptions(open_to_all_roles=True))


@pytest.fixture(scope="module")
def planned(matrix) -> effort.Effort:
    return effort.estimate(matrix)


def _rows() -> list[dict[str, str]]:
    with effort.EFFORT_CSV.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _write(folder: Path, rows: list[dict[str, str]]) -> Path:
    path = folder / "effort.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(_rows()[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _minutes(found: effort.Effort, phase: str, side: EffortSide) -> int:
    return next(p.minutes[side] for p in found.phases if p.phase.name == phase)


def _rate(what: str, side: EffortSide) -> int:
    """Minutes each of an effort row, as the effort file gives it."""
    return next(r.minutes for r in effort.load_effort_assumptions().rows
                if r.what == what and r.side is side)


# --------------------------------------------------------------------------- effort (TR-3, TR-4)


def test_tr4_admission_refusals_are_counted_apart_from_runs(matrix, planned):
    sent = matrix["response_expected"]
    assert planned.load.runs == int(sent.sum()) == 288
    assert planned.load.cases[CasePath.ADMISSION] == int((~sent).sum()) == 720
    table = planned.table().set_index("phase")
    assert table.loc["3. Functional testing", "runs"] == 288
    assert table.loc["2. Onboarding and connectivity", "admission refusals"] == 720
    assert table.loc["total", "runs"] + table.loc["total", "admission refusals"] == len(matrix)


def test_tr4_an_admission_refusal_costs_once_per_role_not_per_case(matrix, planned):
    """Keeping one refused case per role changes no effort; every run dropped does."""
    one_each = pd.concat([matrix[matrix["response_expected"]],
                          matrix[~matrix["response_expected"]].drop_duplicates("role")])
    assert [p.minutes for p in effort.estimate(one_each).phases] == [
        p.minutes for p in planned.phases]
    meter_case = matrix.index[matrix["expected_code"] == "I0"][0]
    fewer = effort.estimate(matrix.drop(index=meter_case))
    for side in EffortSide:
        assert _minutes(planned, FUNCTIONAL, side) - _minutes(fewer, FUNCTIONAL, side) == _rate(
            "reset reaching the meter", side)
    assert fewer.load.runs == planned.load.runs - 1


def test_tr3_a_test_sms_is_set_up_only_for_cases_that_send_a_request(matrix, planned):
    """Set-up effort follows the configurations (mode x version x Test CH) of the runs."""
    refused_only = effort.estimate(matrix[~matrix["response_expected"]])
    assert refused_only.load.configurations == 0
    assert _minutes(refused_only, "Environment set-up", EffortSide.ENVIRONMENT) == _rate(
        "Release deployment", EffortSide.ENVIRONMENT)
    sent = minimum_test_set(matrix).query("response_expected")
    configurations = set(zip(sent["payment_mode"], sent["meter_version"], sent["comms_hub"],
                             strict=True))
    assert effort.estimate(sent).load.configurations == len(configurations) < (
        planned.load.configurations)


def test_tr4_cases_by_path_follow_the_response_code_stage(matrix, planned):
    paths = matrix["expected_code"].map(minimumset.case_path)
    assert set(matrix.loc[paths == CasePath.METER, "expected_code"]) == {
        "I0",
        ResponseCode.NOT_SUPPORTED_BY_DEVICE,
    }
    assert set(matrix.loc[paths == CasePath.DCC, "expected_code"]) == {
        ResponseCode.NOT_REGISTERED_SUPPLIER
    }
    assert planned.load.cases[CasePath.METER] == planned.load.cases[CasePath.DCC] == 144


def test_f8_an_open_environment_has_no_admission_refusals(open_matrix, planned):
    found = effort.estimate(open_matrix)
    assert found.load.runs == len(open_matrix) and found.load.cases[CasePath.ADMISSION] == 0
    assert found.load.refused_roles == 0
    assert _minutes(found, FUNCTIONAL, EffortSide.PARTICIPANT) > _minutes(
        planned, FUNCTIONAL, EffortSide.PARTICIPANT)


def test_tr3_effort_changes_when_the_assumptions_file_changes(tmp_path, matrix, planned):
    rows = _rows()
    for row in rows:
        if row["what"] == "reset reaching the meter" and row["side"] == "participant":
            row["value"] = str(2 * int(row["value"]))
        if row["per"] == "day" and row["side"] == "environment":
            row["value"] = str(2 * int(row["value"]))
    found = effort.estimate(matrix, assumptions=effort.load_effort_assumptions(_write(tmp_path,
                                                                                      rows)))
    added = planned.load.cases[CasePath.METER] * _rate("reset reaching the meter",
                                                       EffortSide.PARTICIPANT)
    assert _minutes(found, FUNCTIONAL, EffortSide.PARTICIPANT) == _minutes(
        planned, FUNCTIONAL, EffortSide.PARTICIPANT) + added
    assert _minutes(found, ONBOARDING, EffortSide.PARTICIPANT) == _minutes(
        planned, ONBOARDING, EffortSide.PARTICIPANT)
    assert found.total_tenths(EffortSide.ENVIRONMENT) < planned.total_tenths(EffortSide.ENVIRONMENT)


def test_tr3_hours_are_minutes_times_sixty(tmp_path, matrix, planned):
    rows = _rows()
    hourly = [r for r in rows if r["per"] != "day" and int(r["value"]) % 60 == 0 < int(r["value"])]
    assert hourly
    for row in hourly:
        row["value"], row["unit"] = str(int(row["value"]) // 60), "hours"
    found = effort.estimate(matrix, assumptions=effort.load_effort_assumptions(_write(tmp_path,
                                                                                      rows)))
    assert [p.minutes for p in found.phases] == [p.minutes for p in planned.phases]


@pytest.mark.parametrize(("change", "field"), [
    (lambda rows: rows[2].update(per="week"), "per"),
    (lambda rows: rows[2].update(side="DCC"), "side"),
    (lambda rows: rows[2].update(unit="days"), "unit"),
    (lambda rows: rows[2].update(value="-5"), "value"),
    (lambda rows: rows[2].update(value="1.5"), "value"),
    (lambda rows: rows[2].update(value=""), "value"),
    (lambda rows: rows[2].update(side="participant"), "side"),  # no User in environment set-up
    (lambda rows: rows[2].update(phase="Soak testing"), "phase"),
    (lambda rows: rows.append(dict(rows[2])), "what"),
    (lambda rows: rows.pop(0), "day"),
    (lambda rows: rows[0].update(phase="Regression"), "day"),
    (lambda rows: rows[0].update(value="0"), "day"),
])
def test_tr3_a_bad_effort_file_is_refused_naming_the_field(tmp_path, change, field):
    rows = _rows()
    assert rows[2]["phase"] == "Environment set-up" and rows[0]["per"] == "day"
    change(rows)
    with pytest.raises(ValidationError) as caught:
        effort.load_effort_assumptions(_write(tmp_path, rows))
    assert caught.value.field == field


def test_tr3_every_user_effort_is_in_a_phase_with_users(planned):
    for phase in planned.phases:
        if "Users" not in phase.phase.participants:
            assert phase.minutes[EffortSide.PARTICIPANT] == 0
    assert all(p.minutes[EffortSide.ENVIRONMENT] > 0 for p in planned.phases)


def test_tr3_days_are_rounded_up_to_a_tenth(matrix):
    def days(minutes: int) -> int:
        row = EffortRow("x", "Regression", Per.PHASE, EffortSide.ENVIRONMENT, minutes, "test")
        found = effort.estimate(matrix, assumptions=EffortAssumptions(
            (row,), {EffortSide.PARTICIPANT: 450, EffortSide.ENVIRONMENT: 450}))
        return found.total_tenths(EffortSide.ENVIRONMENT)

    assert [days(0), days(1), days(45), days(46), days(450), days(451)] == [0, 1, 1, 2, 10, 11]
    assert effort.days_text(125) == "12.5" and effort.days_text(7) == "0.7"


def test_tr4_every_costed_user_onboards(matrix, planned):
    none = effort.estimate(matrix, users=0)
    costed = load_capacity_assumptions().costed_users
    assert planned.load.users == costed
    for side in EffortSide:
        assert _minutes(planned, ONBOARDING, side) - _minutes(none, ONBOARDING, side) == (
            costed * _rate("User onboarding", side))
    with pytest.raises(ValidationError, match="users"):
        effort.estimate(matrix, users=-1)


# --------------------------------------------------------------------------- cost (TR-4)


def test_tr4_without_a_rate_the_cost_is_left_to_the_dcc(planned):
    assert (planned.table()["DCC cost (GBP)"] == effort.NO_RATE).all()
    assert planned.dcc_cost(None) is None


def test_tr4_cost_is_environment_days_as_shown_times_the_day_rate(planned):
    table = planned.table(10)  # ten pounds a day: the cost is the tenths of a day shown
    costs = list(table["DCC cost (GBP)"])
    assert costs[:-1] == [p.tenths[EffortSide.ENVIRONMENT] for p in planned.phases]
    assert costs[-1] == sum(costs[:-1]) == planned.dcc_cost(10)
    assert all(isinstance(c, int) for c in costs)
    shown = [int(d.replace(".", "")) for d in table["environment days"]]
    assert planned.dcc_cost(650) == sum(-(-tenths * 650 // 10) for tenths in shown[:-1])
    assert planned.dcc_cost(1) == sum(-(-tenths // 10) for tenths in shown[:-1])
    assert planned.dcc_cost(0) == 0


@pytest.mark.parametrize("rate", [1.5, -1, True, "600"])
def test_tr4_a_rate_that_is_not_whole_pounds_is_refused(planned, rate):
    with pytest.raises(ValidationError, match="DCC_DAY_RATE"):
        planned.table(rate)


# --------------------------------------------------------------------------- minimum set (TR-1)


def test_tr1_minimum_set_covers_what_the_full_matrix_covers(matrix):
    minimum = minimum_test_set(matrix)
    assert coverage(minimum) == coverage(matrix)
    by_facet = minimumset.coverage_by_facet(matrix, minimum)
    assert (by_facet["full matrix"] == by_facet["this set"]).all()
    keys = matrix[["device", "register", "expected_outcome", "expected_code"]].drop_duplicates()
    assert len(minimum) == lower_bound(matrix) == len(keys) == 24


def test_tr1_no_case_of_the_minimum_set_can_be_dropped(matrix):
    minimum = minimum_test_set(matrix)
    full = coverage(matrix)
    for index in minimum.index:
        assert coverage(minimum.drop(index=index)) < full, minimum.loc[index, "case_id"]


def test_tr1_minimum_set_runs_positive_resets_first_then_refusals_then_variants(matrix):
    minimum = minimum_test_set(matrix)
    assert list(minimum["priority"]) == sorted(minimum["priority"])
    tiers = {p: set(g["expected_code"]) for p, g in minimum.groupby("priority")}
    assert tiers == {
        1: {"I0"},
        2: {ResponseCode.NOT_REGISTERED_SUPPLIER},
        3: {ResponseCode.NOT_SUPPORTED_BY_DEVICE},
        4: {""},
    }
    assert minimum.loc[minimum["priority"] == 1, "positive"].all()
    assert not minimum.loc[minimum["priority"] > 1, "positive"].any()


def test_tr1_minimum_set_sends_a_command_through_every_test_ch_to_each_meter(matrix):
    minimum = minimum_test_set(matrix)
    meter = minimum[minimum["expected_code"].map(minimumset.case_path) == CasePath.METER]
    hubs = {h.code for h in ch_combinations()}
    for device in ("ESME", "GSME"):
        assert set(meter.loc[meter["device"] == device, "comms_hub"]) == hubs
    assert set(minimum["role"]) == set(matrix["role"])
    assert set(zip(minimum["device"], minimum["payment_mode"], minimum["positive"],
                   strict=True)) == set(zip(matrix["device"], matrix["payment_mode"],
                                            matrix["positive"], strict=True))


def test_tr1_a_test_ch_is_shown_only_by_a_case_that_reaches_the_meter(matrix):
    refused = coverage(
        matrix[matrix["expected_code"].isin(["", ResponseCode.NOT_REGISTERED_SUPPLIER])]
    )
    ch_facet = next(f.name for f in minimumset.FACETS if f.path is CasePath.METER)
    assert not [k for k in refused if k[0] == ch_facet]
    assert [k for k in coverage(matrix) if k[0] == ch_facet]


def test_f8_minimum_set_of_an_open_environment_shows_each_dcc_refusal(open_matrix):
    minimum = minimum_test_set(open_matrix)
    assert coverage(minimum) == coverage(open_matrix)
    assert len(minimum) == lower_bound(open_matrix) == 30
    assert {
        ResponseCode.NOT_REGISTERED_SUPPLIER,
        ResponseCode.ROLE_NOT_ELIGIBLE,
        ResponseCode.CERTIFICATE_REFUSED,
    } <= set(minimum["expected_code"])
    assert "" not in set(minimum["expected_code"])


# --------------------------------------------------------------------------- latest start (IMP-1)


def test_imp1_latest_start_is_the_plans_working_days_before_the_date():
    phases = load_phases()
    found = effort.latest_starts(phases)
    assert found == schedule.deadlines(sum(p.working_days for p in phases))
    for deadline in found:
        assert timetable(deadline.latest_start)["end"].iloc[-1] < deadline.implementation
        late = workdays.next_working_day(deadline.latest_start + timedelta(days=1))
        assert timetable(late)["end"].iloc[-1] >= deadline.implementation


def test_imp1_a_longer_phase_moves_the_latest_start_back():
    phases = load_phases()
    longer = [dataclasses.replace(p, working_days=p.working_days + (p.order == 3))
              for p in phases]
    for short, long in zip(effort.latest_starts(phases), effort.latest_starts(longer),
                           strict=True):
        assert long.latest_start == workdays.add_working_days(short.latest_start, -1)


# --------------------------------------------------------------------------- summary, scenarios


def test_summary_line_and_executive_summary_quote_the_effort(matrix):
    from specpkg.workbook import summary

    found = effort.summarise(matrix, rate=500)
    assert found.dcc_cost == effort.estimate(matrix).dcc_cost(500)
    assert found.minimum_cases == 24 and found.runs == 288
    assert "31.9 participant days, 23.4 environment days" in effort.summarise(matrix).line()
    defaults = {"START_DATE": "2019-03-01", "assumptions": "", "DCC_DAY_RATE": 500}
    text = " ".join(summary.testing_lines(defaults))
    assert f"GBP {found.dcc_cost:,}" in text and "minimum test set of 24 cases" in text
    assert "testing must start by 24 May 2019" in text and "by 7 October 2019" in text
    assert effort.NO_RATE in " ".join(summary.testing_lines({**defaults, "DCC_DAY_RATE": None}))
    # dates already past say so and point to the finding; future dates are a plan
    assert "(these have passed: F-75)" in text
    future = " ".join(summary.testing_lines({**defaults, "START_DATE": "2999-03-01"}))
    assert "have passed" not in future


def test_tr3_every_scenario_runs_in_a_phase_of_the_plan(tmp_path):
    scenarios = scenario_cases()
    assert set(scenarios["phase"]) <= {p.name for p in load_phases()}
    assert set(scenarios.loc[scenarios["requirement"] == "TR-10", "phase"]) == {
        "Anomaly detection"}
    path = tmp_path / "scenarios.csv"
    scenarios.assign(phase="Soak testing").to_csv(path, index=False)
    with pytest.raises(ValidationError, match="Soak testing"):
        scenario_cases(path)


def test_tr1_a_case_the_others_make_redundant_is_dropped():
    """The first pick shows the most, but the two picked after it show all it shows."""
    a, b, c = frozenset({1, 2, 3, 4}), frozenset({1, 2, 5}), frozenset({3, 4, 6})
    assert minimumset.smallest_cover([a, b, c], [1, 1, 1]) == [1, 2]
    assert minimumset.smallest_cover([b, a, c, b], [2, 1, 1, 1]) == [2, 3]  # ties: rank first
    assert minimumset.smallest_cover([], []) == []


def test_tr3_each_phase_has_the_working_days_its_users_effort_needs() -> None:
    """TR-3: the timetable gives each phase enough Working Days for the Users' effort the
    assumptions compute, with every costed User working in parallel: a phase whose
    participant days exceed its Working Days times the Users cannot be done in it."""
    users = load_capacity_assumptions().costed_users
    estimated = effort.estimate()
    assert any(p.tenths[EffortSide.PARTICIPANT] for p in estimated.phases)
    for phase in estimated.phases:
        needed = phase.tenths[EffortSide.PARTICIPANT]
        available = 10 * phase.phase.working_days * users
        assert needed <= available, (phase.phase.name, needed / 10, available / 10)
