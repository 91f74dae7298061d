"""One model, one answer, over HTTP too (issue 20): every case of the TR-1 test matrix that
sends a request gets, through the test service's HTTP interface, the outcome and response
code the matrix expects and the in-process run gives (tests/test_testrun.py,
tests/test_consistency.py): one service per configuration (payment mode x meter version x
Test CH variant), the meters on that variant's Test CH."""

from __future__ import annotations

import dataclasses

import pytest

from specpkg.service.app import start
from specpkg.service.client import Receiver, UserSystem
from specpkg.service.config import load_config
from specpkg.testing.roles import UserRole
from specpkg.testing.testplan import REGISTER_CODES, build_test_matrix
from specpkg.testing.testrun import ROLE_USER_IDS

MATRIX = build_test_matrix()
SENT = MATRIX[MATRIX["response_expected"]]
REGISTER_OF_CODE = {code: register for register, code in REGISTER_CODES.items()}
CONFIGURATIONS = sorted(SENT.groupby(["payment_mode", "meter_version", "comms_hub"]).groups)


@pytest.mark.parametrize("configuration", CONFIGURATIONS, ids="/".join)
def test_the_matrix_run_over_http_gives_the_in_process_outcomes(tmp_path, configuration):
    mode, version, hub = configuration
    base = load_config()
    devices = tuple(dataclasses.replace(d, mode=mode, version=version, comms_hub=hub)
                    if d.is_meter else d for d in base.devices)
    receiver = Receiver().start()
    config = dataclasses.replace(base, devices=devices, database=tmp_path / "s.sqlite")
    service, server = start(config.with_receiver(receiver.url))
    users = {}
    try:
        rows = SENT[(SENT["payment_mode"] == mode) & (SENT["meter_version"] == version)
                    & (SENT["comms_hub"] == hub)]
        got, expected = [], []
        for row in rows.itertuples(index=False):
            role = UserRole(row.role)
            if role not in users:
                users[role] = UserSystem(ROLE_USER_IDS[role], server.url, receiver, counter=1)
            exchange = users[role].reset(row.device, REGISTER_OF_CODE[row.register])
            got.append((row.case_id, exchange.outcome, exchange.code))
            expected.append((row.case_id, row.expected_outcome, row.expected_code))
        assert got == expected
        assert len(got) == len(rows) > 0
    finally:
        for user in users.values():
            user.close()
        server.stop()
        service.close()
        receiver.stop()
