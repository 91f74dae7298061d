"""The SECMP0002 test environment (TR-4..TR-10)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from envkit import DAY, ESME_ID, START, U1, U2, esme, gsme, make_env

from specpkg.anomaly.thresholds import Threshold
from specpkg.duis.codes import ResponseCode
from specpkg.errors import ValidationError
from specpkg.paths import REPO_DIR
from specpkg.system.assumptions import Assumptions
from specpkg.system.tampering import signed_with_value
from specpkg.testing.acceptance import TestCaseRecord, Verdict, check_acceptance
from specpkg.testing.capacity import (
    AvailabilityWindow,
    EnvironmentClosed,
    VoluntaryServices,
    load_capacity_assumptions,
)
from specpkg.testing.environment import TestEnvironment, TestUser
from specpkg.testing.roles import RoleNotEligible, UserRole, eligible_roles, load_user_roles


def uid(n: int) -> str:
    """A DCC User ID for the n-th test User (no keys needed to be admitted)."""
    return f"90B3D51F3009{n:04X}"


# ----------------------------------------------------------------- TR-4 roles


def test_tr4_eligible_roles_are_import_and_gas_suppliers():
    assert eligible_roles() == (UserRole.IS, UserRole.GS)


def test_tr4_role_file_matches_the_reference_matrix(reference):
    matrix = json.loads((reference / "duis-request-matrix.json").read_text())
    entries = [e for e in matrix if e["Service Reference"] == "2.3"]
    assert entries, "SR 2.3 missing from the reference matrix"
    expected = {r for e in entries for r in e["Eligible User Roles"]}
    all_roles = {r for e in matrix for r in e["Eligible User Roles"]}
    infos = load_user_roles()
    assert {i.role.value for i in infos} == all_roles
    assert {i.role.value for i in infos if i.eligible} == expected
    # the generator reproduces the committed file byte for byte
    spec = importlib.util.spec_from_file_location(
        "make_testing_data", REPO_DIR / "tools" / "make_testing_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.rows_from_matrix(matrix)
    lines = (REPO_DIR / "data" / "testing" / "user_roles.csv").read_text().splitlines()
    assert lines[0] == ",".join(rows[0])
    assert lines[1:] == [",".join(r.values()) for r in rows]


@pytest.mark.parametrize("role", ["IS", "GS"])
def test_tr4_eligible_roles_are_admitted(role):
    env = make_env()
    env.register_user(TestUser(U1, "Supplier", role))
    assert list(env.users) == [U1]


@pytest.mark.parametrize("role", ["ES", "ED", "GT", "OU", "RSA"])
def test_tr4_other_roles_are_refused_naming_role_and_eligible_ones(role):
    env = make_env()
    with pytest.raises(RoleNotEligible) as info:
        env.register_user(TestUser(U1, "Party", role))
    assert info.value.role is UserRole(role)
    assert info.value.eligible == (UserRole.IS, UserRole.GS)
    message = str(info.value)
    assert message.startswith(f"role: {role} (")
    assert "IS (Import Supplier)" in message and "GS (Gas Supplier)" in message
    assert not env.users


@pytest.mark.parametrize("role", ["ES", "ED", "GT", "OU", "RSA"])
def test_f8_ma6_an_environment_open_to_all_roles_admits_them(role):
    """F-8 (MA-6): TR-4 names who the environment is open to, not who is refused; open
    to all, it admits every role (the DCC then refuses their resets, test_testrun)."""
    env = make_env(model=Assumptions(open_to_all_roles=True))
    assert env.register_user(TestUser(U1, "Party", role)).role is UserRole(role)
    assert list(env.users) == [U1]


def test_tr4_unknown_role_is_a_validation_error():
    with pytest.raises(ValidationError) as info:
        TestUser(U1, "Party", "XX")
    assert info.value.field == "role"
    with pytest.raises(ValidationError) as info:
        TestUser("U1", "Party", "IS")
    assert info.value.field == "user_id"


# ----------------------------------------------------------------- TR-4 window


def test_tr4_window_of_15_working_days():
    window = AvailabilityWindow(START)
    assert window.working_days == 15
    assert (window.first_day, window.last_day) == (START, date(2019, 5, 8))
    assert window.is_open(START) and window.is_open(date(2019, 5, 8))
    assert not window.is_open(date(2019, 4, 19))  # Good Friday
    assert not window.is_open(START - timedelta(days=1))
    assert not window.is_open(date(2019, 5, 9))


def test_tr4_window_opens_on_next_working_day():
    window = AvailabilityWindow(date(2019, 4, 19), 20)  # Good Friday
    assert window.first_day == date(2019, 4, 23)


@pytest.mark.parametrize("days", [0, 1, 14])
def test_tr4_too_short_window_is_refused(days):
    with pytest.raises(ValidationError) as info:
        AvailabilityWindow(START, days)
    assert info.value.field == "working_days"
    assert "at least 15 Working Days" in str(info.value)


def test_tr4_actions_outside_window_are_refused():
    env = make_env()
    env.register_user(TestUser(U1, "Supplier", "IS"))
    code = env.comms_hubs[0].code
    with pytest.raises(EnvironmentClosed):
        env.issue_comms_hub(U1, code, date(2019, 5, 9))
    with pytest.raises(EnvironmentClosed):
        env.issue_comms_hub(U1, code, date(2019, 4, 20))  # Saturday


# ----------------------------------------------------------------- TR-4 capacity and costs


def test_tr4_capacity_assumptions_table():
    a = load_capacity_assumptions()
    assert (a.costed_users, a.min_large_suppliers, a.min_window_working_days) == (10, 2, 15)
    assert a.costs, "cost inputs must be listed"
    assert all(c.value is None for c in a.costs), "no invented prices"
    assert {"cost_sr_mapping_updates", "cost_testing_issues_management"} <= {
        c.parameter for c in a.costs}
    frame = a.to_frame()
    assert len(frame) == 3 + len(a.costs)
    assert list(frame["kind"][:2]) == ["cost basis"] * 2
    assert "_" not in " ".join(frame["assumption"])  # in words, not parameter names
    assert frame.iloc[0]["value"] == f"{a.costed_users:,}"
    assert set(frame["value"][3:]) == {"to be provided by the DCC"}
    assert set(frame["unit"][3:]) == {"pounds"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("costed_users", 11), ("costed_users", 0), ("min_large_suppliers", 1),
     ("min_large_suppliers", 11), ("min_window_working_days", 14)],
)
def test_tr4_capacity_assumptions_out_of_range(field, value):
    a = load_capacity_assumptions()
    with pytest.raises(ValidationError) as info:
        dataclasses.replace(a, **{field: value})
    assert info.value.field == field


def admit(env: TestEnvironment, count: int, large: int = 2) -> None:
    for n in range(count):
        services = VoluntaryServices(sr_mapping_updates=n % 2 == 0,
                                     testing_issues_management=n < 3)
        env.register_user(TestUser(uid(n), f"Supplier {n}", "IS" if n % 2 else "GS",
                                   large_supplier=n < large, services=services))


def test_tr4_ten_users_are_the_cost_basis_not_a_cap():
    """TR-4: costs assume up to 10 Users; an eleventh and twelfth are admitted and shown
    as beyond the cost basis."""
    env = make_env()
    admit(env, 10)
    summary = env.capacity_summary()
    assert (summary["users"], summary["users_beyond_cost_basis"]) == (10, 0)
    assert summary["within_cost_basis"] and summary["large_supplier_assumption_met"]
    assert summary["sr_mapping_updates_taken_up"] == 5
    assert summary["testing_issues_management_taken_up"] == 3
    env.register_user(TestUser(uid(10), "Supplier 10", "IS"))
    env.register_user(TestUser(uid(11), "Supplier 11", "GS"))
    summary = env.capacity_summary()
    assert (summary["users"], summary["users_beyond_cost_basis"]) == (12, 2)
    assert not summary["within_cost_basis"]
    with pytest.raises(ValidationError):
        env.register_user(TestUser(uid(0), "again", "IS"))


def test_tr4_fewer_large_suppliers_than_assumed_are_shown():
    env = make_env()
    admit(env, 4, large=1)
    summary = env.capacity_summary()
    assert summary["within_cost_basis"] and not summary["large_supplier_assumption_met"]
    assert (summary["large_suppliers"], summary["min_large_suppliers"]) == (1, 2)


def test_tr4_voluntary_services_are_neither_needed_nor_taken_up_unasked():
    """TR-4 a, b: Service Request mapping updates and testing issues management are
    voluntary. A User who asks for neither is admitted and runs its reset as one who takes
    up both; the cost basis counts only the Users who asked."""
    env = make_env()
    plain = env.register_user(TestUser(U1, "Import", "IS"))
    both = env.register_user(TestUser(U2, "Gas", "GS", services=VoluntaryServices(True, True)))
    env.dcc.clock = AT
    for user, meter, device in ((plain, esme(), "ESME"), (both, gsme(), "GSME")):
        sms = env.issue_comms_hub(user.user_id, env.comms_hubs[0].code, DAY).sms_id
        env.add_device(user.user_id, sms, meter, DAY)
        result = env.testbed(user.user_id, sms).run(device, "PaymentDebtRegister")
        assert result.response_code == ResponseCode.SUCCESS.value, (user.user_id, result)
    summary = env.capacity_summary()
    assert summary["users"] == 2
    assert summary["sr_mapping_updates_taken_up"] == 1
    assert summary["testing_issues_management_taken_up"] == 1


def setup_user(env: TestEnvironment, user_id: str = U1, role: str = "IS") -> str:
    env.register_user(TestUser(user_id, "Supplier", role))
    return env.issue_comms_hub(user_id, env.comms_hubs[0].code, DAY).sms_id


# ----------------------------------------------------------------- TR-10 thresholds


AT = datetime.combine(DAY, time(9), UTC)


def env_with_meter(role: str = "IS") -> tuple[TestEnvironment, str]:
    env = make_env()
    user = U1 if role == "IS" else U2
    sms = setup_user(env, user, role)
    env.add_device(user, sms, esme() if role == "IS" else gsme(), DAY)
    return env, sms


def test_tr10_the_environment_configures_the_one_dcc():
    """Adding a meter registers it with the environment's DCC; thresholds go to its engine."""
    env, sms = env_with_meter()
    assert env.dcc.registrations[ESME_ID].supplier_id == U1
    limits = [Threshold(U1, "2.4", "volume", 3600, 2), Threshold(U1, "2.4", "data_value", 0, 0)]
    env.set_thresholds(U1, limits)
    assert set(env.dcc.engine.table.for_user(U1)) == set(limits)
    assert env.testbed(U1, sms).dcc is env.dcc


def test_tr10_volume_threshold_quarantines_and_notifies_the_user():
    env, sms = env_with_meter()
    env.set_thresholds(U1, [Threshold(U1, "2.4", "volume", 3600, 2)])
    bed = env.testbed(U1, sms)
    codes = []
    for minutes in (0, 10, 20, 140):
        env.dcc.clock = AT + timedelta(minutes=minutes)
        codes.append(bed.run("ESME", "TimeDebtRegister1").response_code)
    assert codes == [
        "I0",
        "I0",
        ResponseCode.QUARANTINED,
        "I0",
    ]  # outside the hour the count starts again
    inbox = env.inbox(U1)
    assert [n.event for n in inbox] == ["quarantined"] and "volume" in inbox[0].reason
    assert env.stub(ESME_ID).state.time_debt_1 == 0


def test_tr10_data_value_threshold_and_packet_inspection_notify_the_user():
    env, sms = env_with_meter("GS")
    env.set_thresholds(U2, [Threshold(U2, "2.4", "data_value", 0, 0)])
    bed = env.testbed(U2, sms)
    user = bed.user
    env.dcc.clock = AT
    result = bed.run("GSME", "TimeDebtRegister2", signed=lambda _: signed_with_value(
        "GSME", "TimeDebtRegister2", 1, user, user.next_counter - 1))
    assert result.response_code == ResponseCode.QUARANTINED
    (note,) = env.inbox(U2)
    assert note.reason.startswith("packet inspection") and "threshold: data value" in note.reason


def test_tr10_thresholds_are_the_users_own():
    env, _ = env_with_meter()
    env.register_user(TestUser(U2, "Gas", "GS"))
    with pytest.raises(ValidationError):
        env.set_thresholds(U1, [])
    with pytest.raises(ValidationError, match=r"not .* to set"):
        env.set_thresholds(U1, [Threshold(U2, "2.4", "data_value", 0, 0)])
    with pytest.raises(ValidationError):
        env.set_thresholds(U1, [Threshold(U1, "2.4", "data_value", 0, 0),
                                Threshold(U1, "2.4", "data_value", 0, 1)])
    with pytest.raises(ValidationError, match="no User"):
        env.inbox("90B3D51F3009FFFF")


def test_tr10_a_user_without_test_keys_cannot_send():
    env = make_env()
    env.register_user(TestUser(uid(1), "Supplier", "IS"))
    sms = env.issue_comms_hub(uid(1), env.comms_hubs[0].code, DAY).sms_id
    with pytest.raises(ValidationError, match="no test signing key"):
        env.testbed(uid(1), sms)


# ----------------------------------------------------------------- TR-5, TR-7 acceptance


GOOD = TestCaseRecord("TC-1", True, True, "I0", True)
GOOD_NEGATIVE = TestCaseRecord("TC-2", False, True, "E65", False, expected_success=False)
REFUSED_BY_DCC = TestCaseRecord("TC-3", None, True, "E65", False, expected_success=False)


def test_tr5_tr7_good_run_is_accepted():
    report = check_acceptance([GOOD, GOOD_NEGATIVE, REFUSED_BY_DCC])
    assert report.accepted
    assert [v.verdict for v in report.verdicts] == [Verdict.PASS] * 3
    assert list(report.to_frame()["verdict"]) == ["pass"] * 3


@pytest.mark.parametrize(
    ("bad", "verdict"),
    [
        (TestCaseRecord("TC-9", True, False), Verdict.NO_RESPONSE),
        (TestCaseRecord("TC-9", None, False, expected_success=False), Verdict.NO_RESPONSE),
        (TestCaseRecord("TC-9", True, True, "E65", True), Verdict.NOT_SUCCESS_CODE),
        (TestCaseRecord("TC-9", True, True, None, True), Verdict.NOT_SUCCESS_CODE),
        (TestCaseRecord("TC-9", True, True, "I0", False), Verdict.NOT_ZERO),
        (TestCaseRecord("TC-9", False, True, "E65", True, expected_success=False),
         Verdict.FALSE_ZERO),
        (TestCaseRecord("TC-9", True, True, "I0", True, expected_success=False),
         Verdict.UNEXPECTED_SUCCESS),
        (TestCaseRecord("TC-9", False, True, "E65", False), Verdict.UNEXPECTED_FAILURE),
        (TestCaseRecord("TC-9", None, True, "E65", False), Verdict.UNEXPECTED_FAILURE),
    ],
)
def test_tr5_tr7_each_kind_of_bad_run_is_rejected(bad, verdict):
    report = check_acceptance([GOOD, bad, GOOD_NEGATIVE])
    assert not report.accepted
    assert [v.verdict for v in report.verdicts] == [Verdict.PASS, verdict, Verdict.PASS]


def test_tr7_empty_run_is_not_accepted_and_duplicates_refused():
    assert not check_acceptance([]).accepted
    with pytest.raises(ValidationError):
        check_acceptance([GOOD, GOOD])


def test_tr7_duplicate_case_ids_are_refused_naming_the_field():
    with pytest.raises(ValidationError) as info:
        check_acceptance([GOOD, GOOD_NEGATIVE, GOOD])
    assert info.value.field == "case_id" and "TC-1" in info.value.reason


def test_tr5_tr7_report_table_names_each_case_and_its_verdict():
    """The acceptance table: one row per case, its id and verdict, judged with the
    success codes given (TR-7)."""
    frame = check_acceptance([GOOD, GOOD_NEGATIVE]).to_frame()
    assert frame.to_dict("records") == [{"case_id": "TC-1", "verdict": "pass"},
                                        {"case_id": "TC-2", "verdict": "pass"}]
    assert list(check_acceptance([]).to_frame().columns) == ["case_id", "verdict"]
    other_code = dataclasses.replace(GOOD, case_id="TC-5", response_code="I99")
    report = check_acceptance([other_code], success_codes=frozenset({"I99"}))
    assert report.accepted and report.verdicts[0].case_id == "TC-5"


@pytest.mark.parametrize("what", ["response_received", "response_says_zero", "command_succeeded"])
def test_tr5_a_case_that_sent_no_request_can_have_nothing_after_it(what):
    """TR-4/TR-5: no Service Request sent, so no Command and no Service Response."""
    values = {"response_received": False, "response_says_zero": False,
              "command_succeeded": None, what: True}
    with pytest.raises(ValidationError) as info:
        TestCaseRecord("TC-7", request_sent=False, expected_success=False, **values)
    assert info.value.field == "request_sent" and info.value.reason == (
        "TC-7: no Service Request was sent, so there can be no Command executed and no "
        "Service Response")


def test_tr4_tr5_a_case_refused_at_admission_passes_only_when_no_success_was_expected():
    refused = TestCaseRecord("TC-8", None, False, request_sent=False, expected_success=False)
    assert check_acceptance([refused]).verdicts[0].verdict is Verdict.PASS
    wanted = dataclasses.replace(refused, expected_success=True)
    assert check_acceptance([wanted]).verdicts[0].verdict is Verdict.UNEXPECTED_FAILURE
