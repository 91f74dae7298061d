"""GBCS Signed Pre-Commands read for threshold detection (TR-10, SR-12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from specpkg.anomaly.detector_gbcs import decode, gbcs_threshold_detector, service_references
from specpkg.errors import ValidationError
from specpkg.gbcs import messages
from specpkg.gbcs.catalogue import RESET_DEBT_REGISTER
from specpkg.meter.registers import DebtRegister, Device
from specpkg.system.flow import DEVICE_IDS, make_testbed
from specpkg.system.user import User
from specpkg.testing.environment import (
    AvailabilityWindow,
    TestEnvironment,
    TestUser,
    Threshold,
    ThresholdKind,
)
from specpkg.testing.scenarios import signed_pre_command_with_value

T0 = datetime(2019, 6, 3, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def flows():
    bed = make_testbed()
    return {(d, r): bed.run(d, r) for d in Device for r in DebtRegister}


@pytest.mark.parametrize("device", list(Device))
@pytest.mark.parametrize("register", list(DebtRegister))
def test_tr10_decode_real_signed_pre_commands(flows, device, register) -> None:
    decoded = decode(flows[(device, register)].signed_pre_command)
    assert decoded.service_reference == RESET_DEBT_REGISTER == "2.4"
    assert decoded.device_id == DEVICE_IDS[device]
    assert decoded.register == register.value and decoded.data_value == 0


def test_service_reference_comes_from_the_catalogue() -> None:
    assert service_references() == {0x0F01: "2.4", 0x0F02: "2.4"}


@pytest.mark.parametrize("device", list(Device))
def test_tr10_data_value_is_the_value_written(device) -> None:
    data = signed_pre_command_with_value(device, "TimeDebtRegister1", 1_234, User(), 7)
    assert decode(data).data_value == 1_234


def test_tr10_decode_refuses_what_is_not_a_signed_reset_pre_command(flows) -> None:
    flow = flows[(Device.ESME, DebtRegister.TIME_DEBT_1)]
    cases = {
        "signature": flow.pre_command,  # not signed yet
        "signed_pre_command": flow.command,  # MAC'd command, not a Pre-Command
    }
    for field, data in cases.items():
        with pytest.raises(ValidationError) as err:
            decode(data)
        assert err.value.field == field
    for junk in (b"", b"\x00\x01", flow.device_response):
        with pytest.raises(ValidationError) as err:
            decode(junk)
        assert err.value.field == "signed_pre_command"
    apdu = messages.decode(flow.signed_pre_command)
    other = messages.command(0x001E, bytes.fromhex(apdu.originator_id),
                             bytes.fromhex(apdu.recipient_id), 9, apdu.payload)
    with pytest.raises(ValidationError) as err:
        decode(User().sign(other))
    assert err.value.field == "message_code"


def test_tr10_environment_with_the_real_detector_quarantines_and_notifies(flows) -> None:
    window = AvailabilityWindow(T0.date())
    env = TestEnvironment(window, detector=gbcs_threshold_detector())
    user = User()
    env.register_user(TestUser(user.user_id, "Supplier", "IS"))
    env.set_thresholds(user.user_id, [Threshold(ThresholdKind.USER_VOLUME, 2, period_hours=1),
                                      Threshold(ThresholdKind.DATA_VALUE, 0)])
    good = flows[(Device.ESME, DebtRegister.PAYMENT_DEBT)].signed_pre_command
    results = [env.submit_pre_command(user.user_id, good, T0 + timedelta(minutes=m))
               for m in range(3)]
    assert [r.quarantined for r in results] == [False, False, True]
    bad = signed_pre_command_with_value("GSME", "TimeDebtRegister2", 1, user, 99)
    late = env.submit_pre_command(user.user_id, bad, T0 + timedelta(hours=3))
    assert late.quarantined and "data value" in late.reason
    assert len(env.inbox(user.user_id)) == 2
