"""The SECMP0002 test environment (TR-4..TR-10)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from datetime import date, datetime, timedelta

import pytest

from specpkg.errors import ValidationError
from specpkg.paths import REPO_DIR
from specpkg.system.variants import (
    PRE_RELEASE,
    RELEASE,
    MeterVersion,
    ReleaseStage,
    ch_combinations,
    load_ch_variants,
)
from specpkg.testing.acceptance import TestCaseRecord, Verdict, check_acceptance
from specpkg.testing.environment import (
    AvailabilityWindow,
    CapacityExceeded,
    DeviceClass,
    DeviceStub,
    DeviceType,
    EnvironmentClosed,
    Screening,
    TestDevice,
    TestEnvironment,
    TestUser,
    Threshold,
    ThresholdKind,
    VoluntaryServices,
    load_capacity_assumptions,
)
from specpkg.testing.roles import RoleNotEligible, UserRole, eligible_roles, load_user_roles
from specpkg.testing.testpack import TestPack

START = date(2019, 4, 15)  # Monday; the window runs over Easter
DAY = date(2019, 4, 16)
ESME_ID = "00DB1234567890A0"
GSME_ID = "00DB1234567890A1"


def make_env(**kwargs) -> TestEnvironment:
    return TestEnvironment(AvailabilityWindow(START), **kwargs)


def esme(version: MeterVersion = RELEASE, device_id: str = ESME_ID) -> TestDevice:
    return TestDevice(device_id, DeviceClass.ESME, True, version)


def gsme(version: MeterVersion = RELEASE, device_id: str = GSME_ID) -> TestDevice:
    return TestDevice(device_id, DeviceClass.GSME, True, version)


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
    env.register_user(TestUser("U1", "Supplier", role))
    assert list(env.users) == ["U1"]


@pytest.mark.parametrize("role", ["ES", "ED", "GT", "OU", "RSA"])
def test_tr4_other_roles_are_refused_naming_role_and_eligible_ones(role):
    env = make_env()
    with pytest.raises(RoleNotEligible) as info:
        env.register_user(TestUser("U1", "Party", role))
    assert info.value.role is UserRole(role)
    assert info.value.eligible == (UserRole.IS, UserRole.GS)
    message = str(info.value)
    assert message.startswith(f"role: {role} (")
    assert "IS (Import Supplier)" in message and "GS (Gas Supplier)" in message
    assert not env.users


def test_tr4_unknown_role_is_a_validation_error():
    with pytest.raises(ValidationError):
        TestUser("U1", "Party", "XX")


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
    env.register_user(TestUser("U1", "Supplier", "IS"))
    code = env.comms_hubs[0].code
    with pytest.raises(EnvironmentClosed):
        env.issue_comms_hub("U1", code, date(2019, 5, 9))
    with pytest.raises(EnvironmentClosed):
        env.issue_comms_hub("U1", code, date(2019, 4, 20))  # Saturday


# ----------------------------------------------------------------- TR-4 capacity and costs


def test_tr4_capacity_assumptions_table():
    a = load_capacity_assumptions()
    assert (a.max_users, a.min_large_suppliers, a.min_window_working_days) == (10, 2, 15)
    assert a.costs, "cost inputs must be listed"
    assert all(c.value is None for c in a.costs), "no invented prices"
    assert a.unfilled_costs == tuple(c.parameter for c in a.costs)
    assert {"cost_sr_mapping_updates", "cost_testing_issues_management"} <= set(a.unfilled_costs)
    frame = a.to_frame()
    assert len(frame) == 3 + len(a.costs)


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_users", 11), ("max_users", 0), ("min_large_suppliers", 1),
     ("min_window_working_days", 14)],
)
def test_tr4_capacity_assumptions_out_of_range(field, value):
    a = load_capacity_assumptions()
    with pytest.raises(ValidationError) as info:
        dataclasses.replace(a, **{field: value})
    assert info.value.field == field


def test_tr4_up_to_ten_users_and_voluntary_services():
    env = make_env()
    for n in range(10):
        services = VoluntaryServices(sr_mapping_updates=n % 2 == 0,
                                     testing_issues_management=n < 3)
        env.register_user(TestUser(f"U{n}", f"Supplier {n}", "IS" if n % 2 else "GS",
                                   large_supplier=n < 2, services=services))
    summary = env.capacity_summary()
    assert summary["users"] == 10
    assert summary["large_supplier_assumption_met"]
    assert summary["sr_mapping_updates_taken_up"] == 5
    assert summary["testing_issues_management_taken_up"] == 3
    with pytest.raises(CapacityExceeded):
        env.register_user(TestUser("U10", "Supplier 10", "IS"))
    with pytest.raises(ValidationError):
        env.register_user(TestUser("U0", "again", "IS"))


def test_tr4_voluntary_services_default_off():
    assert VoluntaryServices() == VoluntaryServices(False, False)


# ----------------------------------------------------------------- TR-6 test pack


def test_tr6_matching_versions_accepted_and_round_trip():
    pack = TestPack("SEC Release 2019-06", " 5.1 ", "5.1")
    assert pack.parse_and_correlate_version == pack.message_mapping_catalogue_version == "5.1"
    assert TestPack.from_manifest(pack.as_dict()) == pack


def test_tr6_mismatch_refused():
    with pytest.raises(ValidationError) as info:
        TestPack("SEC Release 2019-06", "5.1", "5.0")
    assert info.value.field == "message_mapping_catalogue_version"
    with pytest.raises(ValidationError):
        TestPack.from_manifest({"release": "R", "parse_and_correlate_version": "5.1"})
    with pytest.raises(ValidationError):
        TestPack("", "5.1", "5.1")


# ----------------------------------------------------------------- TR-8 devices


def test_tr8_type_1_and_type_2_classes():
    assert {c for c in DeviceClass if c.device_type is DeviceType.TYPE_1} == {
        DeviceClass.ESME, DeviceClass.GSME, DeviceClass.PPMID, DeviceClass.HCALCS}
    assert DeviceClass.IHD.device_type is DeviceType.TYPE_2
    assert DeviceClass.CAD.device_type is DeviceType.TYPE_2


@pytest.mark.parametrize(
    ("device_class", "credentials", "version", "field"),
    [
        ("ESME", False, RELEASE, "has_security_credentials"),
        ("PPMID", False, None, "has_security_credentials"),
        ("IHD", True, None, "has_security_credentials"),
        ("ESME", True, None, "meter_version"),
        ("IHD", False, RELEASE, "meter_version"),
        ("CHF", True, None, "device_class"),
        ("GPF", True, None, "device_class"),
    ],
)
def test_tr8_wrong_device_descriptions_refused(device_class, credentials, version, field):
    with pytest.raises(ValidationError) as info:
        TestDevice("0011223344556677", device_class, credentials, version)
    assert info.value.field == field


def test_tr8_bad_device_id_refused():
    with pytest.raises(ValidationError):
        TestDevice("00-11", DeviceClass.IHD, False)


def setup_user(env: TestEnvironment, user_id: str = "U1", role: str = "IS") -> str:
    env.register_user(TestUser(user_id, "Supplier", role))
    return env.issue_comms_hub(user_id, env.comms_hubs[0].code, DAY).sms_id


def test_tr8_user_adds_type_1_and_type_2_devices():
    env = make_env()
    sms = setup_user(env)
    env.add_device("U1", sms, esme(), DAY)
    env.add_device("U1", sms, TestDevice("0011223344556677", "PPMID", True), DAY)
    env.add_device("U1", sms, TestDevice("0011223344556678", "IHD", False), DAY)
    system = env.systems[sms]
    assert [d.device_type for d in system.devices] == [
        DeviceType.TYPE_1, DeviceType.TYPE_1, DeviceType.TYPE_2]
    assert set(system.stubs) == {ESME_ID}


def test_tr8_wrong_combinations_refused():
    env = make_env()
    sms_is = setup_user(env, "U1", "IS")
    sms_gs = setup_user(env, "U2", "GS")
    env.add_device("U1", sms_is, esme(), DAY)
    with pytest.raises(ValidationError, match="already has a ESME"):
        env.add_device("U1", sms_is, esme(device_id="00DB1234567890B0"), DAY)
    with pytest.raises(ValidationError, match="supplier role is GS"):
        env.add_device("U1", sms_is, gsme(), DAY)
    with pytest.raises(ValidationError, match="supplier role is IS"):
        env.add_device("U2", sms_gs, esme(device_id="00DB1234567890B0"), DAY)
    with pytest.raises(ValidationError, match="not a test SMS of U2"):
        env.add_device("U2", sms_is, TestDevice("0011223344556678", "IHD", False), DAY)
    with pytest.raises(ValidationError, match="already in use"):
        env.add_device("U2", sms_gs, TestDevice(ESME_ID, "PPMID", True), DAY)
    env.add_device("U2", sms_gs, gsme(), DAY)
    assert [d.device_class for d in env.systems[sms_gs].devices] == [DeviceClass.GSME]


# ----------------------------------------------------------------- TR-9 CH and stubs


def test_tr9a_a_test_ch_for_every_han_wan_combination():
    variants = load_ch_variants()
    hans = {v.code for v in variants if v.kind == "HAN"}
    wans = {v.code for v in variants if v.kind == "WAN"}
    assert len(hans) >= 2 and len(wans) >= 2
    hubs = ch_combinations(variants)
    assert {(h.han.code, h.wan.code) for h in hubs} == {(a, b) for a in hans for b in wans}
    assert len(hubs) == len(hans) * len(wans)
    assert all(v.source for v in variants)
    assert any(h.uncertain for h in hubs)


def test_tr9a_unknown_ch_variant_refused():
    env = make_env()
    env.register_user(TestUser("U1", "Supplier", "IS"))
    with pytest.raises(ValidationError):
        env.issue_comms_hub("U1", "HAN-5G/WAN-MOON", DAY)


def test_tr9b_meter_versions():
    assert PRE_RELEASE.stage is ReleaseStage.PRE_RELEASE and not PRE_RELEASE.supports_reset
    assert RELEASE.stage is ReleaseStage.RELEASE and RELEASE.supports_reset


@dataclasses.dataclass(frozen=True)
class FakeStub:
    device_id: str
    meter_version: MeterVersion
    calls: int = 0


def test_tr9b_plugged_in_stub_factory_is_used_per_meter_version():
    made: list[TestDevice] = []

    def factory(device: TestDevice) -> DeviceStub:
        made.append(device)
        return FakeStub(device.device_id, device.meter_version)

    env = make_env(stub_factory=factory)
    sms = setup_user(env)
    env.add_device("U1", sms, esme(PRE_RELEASE), DAY)
    sms2 = env.issue_comms_hub("U1", env.comms_hubs[1].code, DAY).sms_id
    env.add_device("U1", sms2, esme(RELEASE, "00DB1234567890B0"), DAY)
    assert [d.meter_version for d in made] == [PRE_RELEASE, RELEASE]
    stub = env.systems[sms].stubs[ESME_ID]
    assert isinstance(stub, FakeStub) and isinstance(stub, DeviceStub)
    assert env.stub("00-DB-12-34-56-78-90-A0") is stub
    assert env.stub("00DB1234567890B0").meter_version == RELEASE
    with pytest.raises(ValidationError):
        env.stub("FFFFFFFFFFFFFFFF")


def test_tr9b_factory_returning_wrong_stub_is_caught():
    env = make_env(stub_factory=lambda d: FakeStub("FFFFFFFFFFFFFFFF", RELEASE))
    sms = setup_user(env)
    with pytest.raises(Exception, match="another device"):
        env.add_device("U1", sms, esme(), DAY)


# ----------------------------------------------------------------- TR-10 thresholds


def test_tr10_threshold_validation():
    Threshold(ThresholdKind.USER_VOLUME, 5, period_hours=24)
    Threshold("data value", 0)
    with pytest.raises(ValidationError):
        Threshold(ThresholdKind.USER_VOLUME, 5)
    with pytest.raises(ValidationError):
        Threshold(ThresholdKind.DATA_VALUE, 5, period_hours=1)
    with pytest.raises(ValidationError):
        Threshold(ThresholdKind.DATA_VALUE, -1)


def test_tr10_volume_threshold_quarantines_and_notifies_the_user():
    env = make_env()
    env.register_user(TestUser("U1", "Supplier", "IS"))
    env.register_user(TestUser("U2", "Supplier", "GS"))
    at = datetime(2019, 4, 16, 9, 0)
    with pytest.raises(ValidationError, match="no thresholds"):
        env.submit_pre_command("U1", b"\xdf", at)
    env.set_thresholds("U1", [Threshold(ThresholdKind.USER_VOLUME, 2, period_hours=1),
                              Threshold(ThresholdKind.DATA_VALUE, 0)])
    env.set_thresholds("U2", [Threshold(ThresholdKind.USER_VOLUME, 10, period_hours=1)])
    results = [env.submit_pre_command("U1", b"\xdf", at + timedelta(minutes=m))
               for m in range(3)]
    assert [r.quarantined for r in results] == [False, False, True]
    inbox = env.inbox("U1")
    assert len(inbox) == 1 and inbox[0].sequence == 1 and "volume" in inbox[0].reason
    assert env.inbox("U2") == ()
    # outside the hour the count starts again
    assert not env.submit_pre_command("U1", b"\xdf", at + timedelta(hours=2)).quarantined


def test_tr10_plugged_in_detector_receives_thresholds_and_bytes():
    class Recorder:
        def __init__(self):
            self.thresholds, self.seen = {}, []

        def set_thresholds(self, user_id, thresholds):
            self.thresholds[user_id] = tuple(thresholds)

        def screen(self, user_id, signed_pre_command, at):
            self.seen.append((user_id, signed_pre_command))
            return Screening(True, "debt amount not zero")

    detector = Recorder()
    env = make_env(detector=detector)
    env.register_user(TestUser("U1", "Supplier", "GS"))
    limits = [Threshold(ThresholdKind.DATA_VALUE, 0)]
    env.set_thresholds("U1", limits)
    assert detector.thresholds["U1"] == tuple(limits)
    assert env.submit_pre_command("U1", b"\x01\x02", datetime(2019, 4, 16, 9)).quarantined
    assert detector.seen == [("U1", b"\x01\x02")]
    assert env.inbox("U1")[0].reason == "debt amount not zero"
    with pytest.raises(EnvironmentClosed):
        env.submit_pre_command("U1", b"\x01", datetime(2019, 5, 9, 9))


def test_tr10_duplicate_or_empty_thresholds_refused():
    env = make_env()
    env.register_user(TestUser("U1", "Supplier", "IS"))
    with pytest.raises(ValidationError):
        env.set_thresholds("U1", [])
    with pytest.raises(ValidationError):
        env.set_thresholds("U1", [Threshold(ThresholdKind.DATA_VALUE, 0),
                                  Threshold(ThresholdKind.DATA_VALUE, 1)])


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
