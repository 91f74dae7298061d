"""SR-4: meters from before the Release are not updated; what they do with a reset is
the model assumption MA-7 (``pre_release_alerts``), finding F-7."""

from __future__ import annotations

from datetime import timedelta

import pytest

from specpkg.anomaly.thresholds import Threshold, ThresholdTable
from specpkg.duis.codes import Outcome, ResponseCode
from specpkg.gbcs import reset_messages
from specpkg.meter.registers import Device
from specpkg.system.assumptions import Assumptions
from specpkg.system.flow import SUPPLIER_ID, make_testbed
from specpkg.system.variants import PRE_RELEASE, RELEASE
from specpkg.testing.testplan import build_test_matrix
from specpkg.testing.testrun import run_matrix

#: MA-7's two settings and what a reset to a pre-release meter ends in under each.
SETTINGS = [
    (
        True,
        Outcome.NOT_SUPPORTED,
        ResponseCode.NOT_SUPPORTED_BY_DEVICE,
        "alert: use case not supported",
    ),
    (False, Outcome.NO_RESPONSE, ResponseCode.NO_DEVICE_RESPONSE, "ignored: message code"),
]


@pytest.mark.parametrize(("alerts", "outcome", "code", "logged"), SETTINGS)
@pytest.mark.parametrize("device", list(Device))
def test_sr4_ma7_a_pre_release_meter_alerts_or_stays_silent(device, alerts, outcome, code,
                                                            logged) -> None:
    """The DCC sends the reset without checking the meter's firmware (the meter logs
    it); the meter changes nothing and either alerts (NOT_SUPPORTED_BY_DEVICE at once) or stays
    silent
    (NO_DEVICE_RESPONSE after the DCC's time-out). Either way one signed DUIS response ends it."""
    bed = make_testbed(version=PRE_RELEASE, assumptions=Assumptions(pre_release_alerts=alerts))
    result = bed.run(device, "TimeDebtRegister1")
    assert (result.outcome, result.response_code) == (outcome, code)
    assert result.after == result.before and result.device_response == b""
    assert result.received is not None and result.received.code == code  # signed by the DCC
    meter = bed.stub(device)
    (entry,) = meter.log
    assert entry.startswith(logged)
    assert f"{reset_messages.message_codes()[device]:#06x}" in entry


@pytest.mark.parametrize("alerts", [True, False])
def test_sr4_ma7_a_release_meter_is_not_affected_by_the_assumption(alerts) -> None:
    bed = make_testbed(version=RELEASE, assumptions=Assumptions(pre_release_alerts=alerts))
    for device in Device:
        result = bed.run(device, "PaymentDebtRegister")
        assert result.response_code == "I0" and result.after.payment_debt == 0


@pytest.mark.parametrize(("alerts", "outcome", "code", "logged"), SETTINGS)
def test_sr4_the_spent_critical_command_counts_against_the_threshold(alerts, outcome, code,
                                                                     logged) -> None:
    """Resets that a pre-release meter cannot carry out still count: with a volume
    threshold of two an hour, the third reset within the hour is quarantined."""
    table = ThresholdTable([Threshold(SUPPLIER_ID, "2.4", "volume", 3600, 2)])
    bed = make_testbed(version=PRE_RELEASE, thresholds=table,
                       assumptions=Assumptions(pre_release_alerts=alerts))
    codes = []
    for register in ("TimeDebtRegister1", "TimeDebtRegister2", "PaymentDebtRegister"):
        codes.append(bed.run("ESME", register).response_code)
        bed.dcc.clock += timedelta(minutes=5)
    assert codes == [code, code, ResponseCode.QUARANTINED]


def test_sr4_ma7_the_matrix_expects_and_the_run_gives_each_settings_answer() -> None:
    """The test matrix's expectation follows MA-7, and running the pre-release cases
    under each setting gives exactly what the matrix expects."""
    for alerts, outcome, code, _ in SETTINGS:
        model = Assumptions(pre_release_alerts=alerts)
        matrix = build_test_matrix(model=model)
        pre = matrix[matrix["meter_version"] == PRE_RELEASE.stage.value]
        own = pre[pre["expected_code"].isin([c for _, _, c, _ in SETTINGS])]
        assert set(own["expected_code"]) == {code} and len(own) > 0
        sample = own.drop_duplicates(["device", "role"]).head(4)
        run = run_matrix(sample, model=model)
        assert run.cases["outcome_matches"].all(), run.cases[["case_id", "response_code"]]
        assert set(run.cases["actual_outcome"]) == {outcome.value}
