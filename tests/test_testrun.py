"""The test matrix run end to end through the test environment (TR-4, TR-5, TR-7, TR-9, TR-10)."""

from __future__ import annotations

import pytest

from specpkg.anomaly.thresholds import Threshold, ThresholdTable
from specpkg.duis.codes import Outcome, ResponseCode
from specpkg.errors import ValidationError
from specpkg.gbcs import reset_messages
from specpkg.meter.registers import Device, ResetReport
from specpkg.system.assumptions import Assumptions
from specpkg.system.meters import DeviceReply, MeterStub
from specpkg.system.variants import PRE_RELEASE
from specpkg.testing.acceptance import TestCaseRecord, Verdict, check_acceptance
from specpkg.testing.devices import MeterStubFactory, TestDevice
from specpkg.testing.roles import RoleNotEligible, UserRole, eligible_roles
from specpkg.testing.scenarios import run_scenarios
from specpkg.testing.testplan import NOT_ADMITTED, build_test_matrix
from specpkg.testing.testrun import (
    CASE_COLUMNS,
    ROLE_USER_IDS,
    own_meter_ids,
    run_matrix,
    variant_effect,
)


@pytest.fixture(scope="module")
def matrix():
    return build_test_matrix()


@pytest.fixture(scope="module")
def run(matrix):
    return run_matrix(matrix)


@pytest.fixture(scope="module")
def small(matrix):
    """One Test CH variant: every device, register, mode, version and role (168 cases)."""
    return matrix[matrix["comms_hub"] == matrix["comms_hub"].iloc[0]].reset_index(drop=True)


# --------------------------------------------------------------------------- the full run


def test_matrix_run_every_case_has_its_expected_outcome(run, matrix) -> None:
    """The whole matrix through the environment and the flow: actual == expected."""
    cases = run.cases
    assert list(cases.columns) == CASE_COLUMNS
    assert list(cases["case_id"]) == list(matrix["case_id"])
    assert (cases["actual_outcome"] == matrix["expected_outcome"]).all(), run.mismatches
    assert (cases["response_code"] == matrix["expected_code"]).all(), run.mismatches
    assert run.mismatches.empty
    assert set(cases["actual_outcome"]) == {
        NOT_ADMITTED, Outcome.SUCCESS.value, Outcome.REFUSED.value, Outcome.NOT_SUPPORTED.value}
    assert set(cases["response_code"]) == {
        "",
        "I0",
        ResponseCode.NOT_REGISTERED_SUPPLIER,
        ResponseCode.NOT_SUPPORTED_BY_DEVICE,
    }


def test_tr5_tr7_matrix_run_is_accepted(run, matrix) -> None:
    """TR-5: a Service Response for every Service Request; TR-7: zero after success."""
    assert run.acceptance.accepted and run.accepted
    assert len(run.records) == len(matrix)
    cases = run.cases
    assert (cases["verdict"] == Verdict.PASS.value).all()
    sent = cases[cases["request_sent"]]
    assert sent["response_received"].all()
    assert (cases["request_sent"] == matrix["response_expected"]).all()
    positive = cases[cases["positive"]]
    assert len(positive) == 72
    assert (positive["response_code"] == "I0").all() and positive["response_says_zero"].all()
    assert positive["command_succeeded"].all()
    negative_sent = sent[~sent["positive"]]
    assert not negative_sent["response_says_zero"].any()
    summary = run.summary()
    assert summary["cases"] == 1008 and summary["accepted"] is True


def test_f8_ineligible_roles_are_refused_by_the_environment(run) -> None:
    """TR-4, F-8 under MA-6's default: only IS and GS are admitted; the other roles never
    send a Service Request."""
    eligible = set(eligible_roles())
    for setup in run.setups:
        assert set(setup.users) == eligible and setup.own_beds == {}
        assert set(setup.refused) == set(UserRole) - eligible
        assert all(isinstance(e, RoleNotEligible) for e in setup.refused.values())
        assert {u.role for u in setup.env.users.values()} == eligible
    refused = run.cases[~run.cases["role"].isin([r.value for r in eligible])]
    assert len(refused) == 720
    assert not refused["request_sent"].any() and not refused["response_received"].any()
    assert set(refused["actual_outcome"]) == {NOT_ADMITTED}


def test_f8_ma6_an_open_environment_lets_the_dcc_refuse_them(small) -> None:
    """F-8 with MA-6 (open to all roles): every other role is admitted with meters of its
    own, sends its resets, and the DCC refuses each: ROLE_NOT_ELIGIBLE for the Export Supplier (a
    Supplier certificate), CERTIFICATE_REFUSED for the roles without one. The run is accepted."""
    model = Assumptions(open_to_all_roles=True)
    matrix = build_test_matrix(model=model)
    matrix = matrix[matrix["comms_hub"] == small["comms_hub"].iloc[0]].reset_index(drop=True)
    run = run_matrix(matrix, model=model)
    assert run.accepted and run.mismatches.empty
    others = run.cases[~run.cases["role"].isin(["IS", "GS"])]
    assert others["request_sent"].all() and others["response_received"].all()
    codes = others.groupby("role")["response_code"].agg(set).to_dict()
    assert codes == {
        "ES": {ResponseCode.ROLE_NOT_ELIGIBLE},
        "ED": {ResponseCode.CERTIFICATE_REFUSED},
        "GT": {ResponseCode.CERTIFICATE_REFUSED},
        "RSA": {ResponseCode.CERTIFICATE_REFUSED},
        "OU": {ResponseCode.CERTIFICATE_REFUSED},
    }
    for setup in run.setups:
        assert set(setup.users) == set(UserRole) and setup.refused == {}
        own = {r: set(bed.stubs) for r, bed in setup.own_beds.items()}
        assert own == {r: set(own_meter_ids(r).values()) for r in own}
        assert all(bed.stub(d).log == [] for bed in setup.own_beds.values() for d in Device)


def test_tr9_every_ch_variant_and_meter_version_runs_on_real_stubs(run, matrix) -> None:
    """TR-9a: a Test SMS per CH variant; TR-9b: MeterStubs of both versions from the factory."""
    assert len(run.setups) == 2 * 2 * 6
    assert {s.config.comms_hub.code for s in run.setups} == set(matrix["comms_hub"])
    for setup in run.setups:
        assert isinstance(setup.env.stub_factory, MeterStubFactory)
        assert {s.comms_hub.code for s in setup.env.systems.values()} == {
            setup.config.comms_hub.code}
        for device in Device:
            stub = setup.stub(device)
            assert isinstance(stub, MeterStub) and stub.meter_version == setup.config.version
            assert setup.beds[device].hub.variant == setup.config.comms_hub
    effect = variant_effect(run)
    assert len(effect) == len(run.setups) // 4 * len(Device)
    for _, rows in effect.groupby("device"):
        assert rows["responses"].nunique() == 1, rows  # the variant changes no outcome
        assert rows["fastest_s"].nunique() == len(rows)  # but each its own timing
    pre = run.cases[(run.cases["meter_version"] == "pre-release") & run.cases["request_sent"]
                    & (run.cases["response_code"] == ResponseCode.NOT_SUPPORTED_BY_DEVICE.value)]
    assert len(pre) == 72
    for case_id in pre["case_id"]:
        result = run.results[case_id]
        assert result.outcome is Outcome.NOT_SUPPORTED and result.after == result.before


def test_tr10_every_signed_pre_command_is_screened_by_the_dccs_anomaly_detection(run) -> None:
    """TR-10: the environment's DCC screened each Signed Pre-Command against the ADTs each
    User set from data/thresholds.csv; none was over them."""
    screened = sum(len(s.dcc.engine) for s in run.setups)
    signed = sum(bool(r.signed_pre_command) for r in run.results.values())
    assert screened == signed == 144
    table = ThresholdTable.load()
    for setup in run.setups:
        assert setup.dcc.engine.notifications == []
        for user_id in setup.env.users:
            assert setup.env.inbox(user_id) == ()
            assert set(setup.dcc.engine.table.for_user(user_id)) == set(table.for_user(user_id))


def test_tr10_volume_adt_quarantines_and_the_run_is_rejected(small) -> None:
    """Users set the ADTs: a volume ADT of 1 an hour quarantines the second reset (QUARANTINED)."""
    table = ThresholdTable(Threshold(ROLE_USER_IDS[role], "2.4", kind, window, 1 if window else 0)
                           for role in (UserRole.IS, UserRole.GS)
                           for kind, window in (("volume", 3600), ("data_value", 0)))
    run = run_matrix(small, thresholds=table)
    assert not run.accepted
    quarantined = run.cases[run.cases["response_code"] == ResponseCode.QUARANTINED.value]
    assert len(quarantined) > 0
    assert set(quarantined["verdict"]) <= {Verdict.UNEXPECTED_FAILURE.value, Verdict.PASS.value}
    notified = sum(len(s.env.inbox(u)) for s in run.setups for u in s.env.users)
    assert notified == len(quarantined)


# --------------------------------------------------------------------------- faults are found


class FaultyMeter(MeterStub):
    """The register write fails; the meter says so."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.fault = True


class LyingMeter(MeterStub):
    """Says success without touching the register."""

    def _execute(self, apdu) -> DeviceReply:
        return DeviceReply(response=self._sign(reset_messages.device_response(apdu, True)))


class SilentMeter(MeterStub):
    """Resets the register but answers failure."""

    def _execute(self, apdu) -> DeviceReply:
        reply = super()._execute(apdu)
        return DeviceReply(response=self._sign(reset_messages.device_response(apdu, False))
                           if reply.response else None, alert=reply.alert)


class EagerMeter(MeterStub):
    """Claims the pre-Release version but executes the reset anyway."""

    @property
    def supported_use_cases(self) -> set[int]:
        return {*super().supported_use_cases, *reset_messages.message_codes().values()}


def always_i0(setup) -> None:
    """A DCC whose parse says I0, success, whatever the meter answered."""
    from specpkg.duis import responses

    original = setup.dcc.answer

    def answer(request, reply):
        if reply.response is None:
            return original(request, reply)
        return ResponseCode.SUCCESS, setup.dcc._signed(responses.service_response(
            request, reply.response, ResetReport(request.register, True), clock=setup.dcc.clock))

    setup.dcc.answer = answer


def wrong_request_id(setup) -> None:
    """A DCC that answers with another request's RequestID."""
    original = setup.dcc.answer

    def answer(request, reply):
        code, data = original(request, reply)
        return code, data.replace(f":{request.counter}</sr:RequestID>".encode(),
                                  f":{request.counter + 1}</sr:RequestID>".encode())

    setup.dcc.answer = answer


def truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


FAULTS = {
    "faulty meter": (dict(stub_class=FaultyMeter), Verdict.UNEXPECTED_FAILURE),
    "lying meter": (dict(stub_class=LyingMeter), Verdict.FALSE_ZERO),
    # I0 either way (MA-16): the device's failure response says the register is not zero
    "silent meter": (dict(stub_class=SilentMeter), Verdict.NOT_ZERO),
    "silent meter, DCC always I0": (dict(stub_class=SilentMeter, prepare=always_i0),
                                    Verdict.NOT_ZERO),
    "pre-release meter executes": (dict(stub_class=EagerMeter), Verdict.UNEXPECTED_SUCCESS),
    "Pre-Command corrupted, no Response": (dict(tamper={"pre_command": truncate}),
                                           Verdict.NO_RESPONSE),
    "Response for another request": (dict(prepare=wrong_request_id), Verdict.NO_RESPONSE),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_tr7_each_kind_of_failure_rejects_the_run(small, fault) -> None:
    """TR-5, TR-7: inject a fault into the real flow; the acceptance check rejects the run."""
    kwargs, verdict = FAULTS[fault]
    run = run_matrix(small, **kwargs)
    assert not run.acceptance.accepted and not run.accepted
    assert verdict.value in set(run.cases["verdict"])
    failing = run.cases[run.cases["verdict"] != Verdict.PASS.value]
    assert set(failing["verdict"]) == {verdict.value}
    # the admission refusals (TR-4) are never what fails
    assert failing["request_sent"].all()


def test_faulty_meter_is_found_on_exactly_the_positive_cases(small) -> None:
    run = run_matrix(small, stub_class=FaultyMeter)
    failing = run.cases[run.cases["verdict"] != Verdict.PASS.value]
    assert set(failing["case_id"]) == set(small[small["positive"]]["case_id"])
    assert set(failing["response_code"]) == {ResponseCode.RESET_NOT_CONFIRMED.value}
    assert (failing["actual_outcome"] != failing["expected_outcome"]).all()


# --------------------------------------------------------------------------- records and inputs


def test_tr4_record_without_a_request_is_judged_by_expectation() -> None:
    """A case refused at admission sent nothing: it passes iff no success was expected."""
    refused = TestCaseRecord("A-1", None, False, expected_success=False, request_sent=False)
    assert check_acceptance([refused]).accepted
    wanted = TestCaseRecord("A-2", None, False, expected_success=True, request_sent=False)
    assert check_acceptance([wanted]).verdicts[0].verdict is Verdict.UNEXPECTED_FAILURE
    with pytest.raises(ValidationError) as err:
        TestCaseRecord("A-3", None, True, "I0", request_sent=False)
    assert err.value.field == "request_sent"


def test_run_refuses_an_empty_or_ambiguous_matrix(small) -> None:
    with pytest.raises(ValidationError) as err:
        run_matrix(small.iloc[0:0])
    assert err.value.field == "matrix"
    with pytest.raises(ValidationError) as err:
        run_matrix(small.assign(case_id="TC-0001"))
    assert err.value.field == "case_id"


def test_meter_stub_factory_refuses_non_meters() -> None:
    with pytest.raises(ValidationError):
        MeterStubFactory()(TestDevice("00DB1234567890C1", "IHD", False))
    stub = MeterStubFactory("credit")(TestDevice("00DB1234567890A1", "GSME", True, PRE_RELEASE))
    assert stub.device is Device.GSME and stub.state.mode.value == "credit"
    assert stub.meter_version == PRE_RELEASE and not stub.meter_version.supports_reset


# --------------------------------------------------------------------------- scenarios


def test_scenarios_sc01_to_sc08(matrix) -> None:
    """SC-01..SC-07 behave as the test plan expects; SC-08 runs end to end (its verdict
    is in tests/test_sr23_regression.py)."""
    table = run_scenarios().set_index("scenario_id")
    assert list(table.index) == [f"SC-{n:02d}" for n in range(1, 9)]
    ran = table.drop(index="SC-08")
    assert (ran["as_expected"] == True).all(), ran  # noqa: E712
    assert ResponseCode.QUARANTINED in table.loc["SC-02", "actual_outcome"]
    assert "refuses 3 of 6 Pre-Commands" in table.loc["SC-07", "actual_outcome"]
    assert table.loc["SC-08", "as_expected"] is not None
    assert table.loc["SC-08", "actual_outcome"].count("registers adjusted") == 4


def test_f16_tr7_as_written_accepts_a_wrong_error_code(small) -> None:
    """F-16: TR-7 judges only successful resets, so a negative case answered with another
    error code than expected still passes it; the matrix run reports the mismatch."""
    negative = small.index[(small["expected_code"] == ResponseCode.NOT_REGISTERED_SUPPLIER)][0]
    expecting_other = small.copy()
    expecting_other.loc[negative, "expected_code"] = ResponseCode.NOT_SUPPORTED_BY_DEVICE
    run = run_matrix(expecting_other)
    assert run.acceptance.accepted  # TR-7 as written
    assert not run.accepted and list(run.mismatches["case_id"]) == [small.loc[negative,
                                                                              "case_id"]]
