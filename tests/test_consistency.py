"""One model, one answer: the flow, the test environment and the replay agree (issue 10).

* every tampering case, under every setting of the model assumptions, gets the same
  outcome and response code through the end-to-end flow (:func:`make_testbed`) and
  through the test environment (:func:`build_setup`);
* every kind of outcome of the test matrix does too;
* the threshold rule gives the same decisions through the DCC of the flow, the DCC
  of the test environment and the vectorised replay, on the same traffic, under both
  settings of MA-4.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from specpkg.anomaly.engine import DISPOSITION_CODES, Disposition
from specpkg.anomaly.records import Request
from specpkg.anomaly.replay import RequestBatch, replay
from specpkg.anomaly.thresholds import Threshold, ThresholdTable
from specpkg.duis.codes import Outcome
from specpkg.meter.registers import DebtRegister, Device, PaymentMode
from specpkg.system.assumptions import Assumptions
from specpkg.system.flow import DEVICE_IDS, make_testbed
from specpkg.system.tampering import CASES, SETTINGS, run_case, stopped_by
from specpkg.system.user import User
from specpkg.system.variants import METER_VERSIONS, ch_combinations
from specpkg.testing.roles import UserRole
from specpkg.testing.testplan import build_test_matrix
from specpkg.testing.testrun import ROLE_USER_IDS, Configuration, build_setup

IS, GS = ROLE_USER_IDS[UserRole.IS], ROLE_USER_IDS[UserRole.GS]
T0 = datetime(2019, 6, 3, 9, tzinfo=UTC)


def _environment(model: Assumptions, mode=PaymentMode.PREPAYMENT, version=METER_VERSIONS[1],
                 thresholds: ThresholdTable | None = None):
    config = Configuration(PaymentMode(mode), version, ch_combinations()[0])
    return build_setup(config, (UserRole.IS, UserRole.GS), model=model, thresholds=thresholds)


def _flow(model: Assumptions, mode=PaymentMode.PREPAYMENT, version=METER_VERSIONS[1],
          thresholds: ThresholdTable | None = None):
    """The standard testbed with the environment's Suppliers: IS for the ESME, GS for the GSME."""
    bed = make_testbed(mode, version, assumptions=model, thresholds=thresholds)
    bed.change_supplier(Device.GSME, GS)
    return bed


def _user(bed, device: Device) -> User:
    return User(IS if device is Device.ESME else GS, bed.user.keys_dir)


@pytest.mark.parametrize("setting", list(SETTINGS), ids=str)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.device}-{c.name}")
def test_tampering_gets_one_answer_in_the_flow_and_the_environment(case, setting) -> None:
    model = SETTINGS[setting]
    register = DebtRegister.TIME_DEBT_2
    setup = _environment(model)
    env_bed = setup.beds[case.device]
    env_result = run_case(case, register, env_bed)
    flow_bed = _flow(model)
    flow_result = run_case(case, register, flow_bed, user=_user(flow_bed, case.device))
    assert (flow_result.outcome, flow_result.response_code) == (
        env_result.outcome, env_result.response_code)
    assert stopped_by(flow_result, flow_bed) == stopped_by(env_result, env_bed)
    assert (flow_result.after is None) is (env_result.after is None)
    if flow_result.after is not None:
        assert flow_result.after.registers() == env_result.after.registers()


def _matrix_kinds():
    """One case of each (device, mode, version, role) that sends a request."""
    matrix = build_test_matrix()
    sent = matrix[matrix["response_expected"]]
    return sent.drop_duplicates(["device", "payment_mode", "meter_version", "role",
                                 "expected_outcome", "expected_code"])


KINDS = _matrix_kinds()


@pytest.mark.parametrize("row", list(KINDS.itertuples(index=False)), ids=lambda r: r.case_id)
def test_every_matrix_outcome_is_the_same_in_the_flow_and_the_environment(row) -> None:
    version = next(v for v in METER_VERSIONS if v.stage.value == row.meter_version)
    device, role = Device(row.device), UserRole(row.role)
    register = DebtRegister.PAYMENT_DEBT
    setup = _environment(Assumptions(), row.payment_mode, version)
    env_result = setup.beds[device].run(device, register, user=setup.users[role])
    flow_bed = _flow(Assumptions(), row.payment_mode, version)
    flow_result = flow_bed.run(device, register, user=User(ROLE_USER_IDS[role]))
    got = {(r.outcome.value, r.response_code) for r in (env_result, flow_result)}
    assert got == {(row.expected_outcome, row.expected_code)}


F, T = False, True
EXPECTED = {  # worked by hand: the window is (t - 60 min, t], the limit 3
    True: [F, F, F, T, T, T, T, T, F, F, F, F],
    False: [F, F, F, T, T, F, F, F, F, F, F, F],
}


@pytest.mark.parametrize("count_quarantined", [True, False])
def test_the_threshold_rule_decides_alike_in_flow_environment_and_replay(count_quarantined) -> None:
    """Twelve resets by one Supplier at irregular times against 3 an hour (MA-4 both ways)."""
    model = Assumptions(count_quarantined=count_quarantined)
    table = ThresholdTable([Threshold(IS, "2.4", "volume", 3600, 3)])
    minutes = [0, 5, 10, 15, 50, 64, 70, 71, 130, 131, 190, 250]
    flow_bed = _flow(model, thresholds=table)
    setup = _environment(model, thresholds=table)
    env_bed = setup.beds[Device.ESME]
    answers = {}
    for name, bed, user in (("flow", flow_bed, _user(flow_bed, Device.ESME)),
                            ("environment", env_bed, setup.users[UserRole.IS])):
        codes = []
        for n, m in enumerate(minutes):
            bed.dcc.clock = T0 + timedelta(minutes=m)
            result = bed.run(Device.ESME, list(DebtRegister)[n % 3], user=user)
            codes.append(result.outcome is Outcome.QUARANTINED)
        answers[name] = codes
    records = [Request(1000 + n, IS, "2.4", DEVICE_IDS[Device.ESME], "TimeDebtRegister1",
                       int((T0 + timedelta(minutes=m)).timestamp()), 0)
               for n, m in enumerate(minutes)]
    result = replay(RequestBatch.from_records(records), table,
                    count_quarantined=count_quarantined)
    quarantined = DISPOSITION_CODES.index(Disposition.QUARANTINED)
    answers["replay"] = list(np.asarray(result.disposition) == quarantined)
    assert answers["flow"] == answers["environment"] == answers["replay"]
    assert answers["flow"] == EXPECTED[count_quarantined]
