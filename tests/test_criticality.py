"""The catalogue's message category drives the DCC's flow (SR-3, SR-12, TR-10).

GBCS gives each use case a message category ("Message Type": SME.C.C Critical,
SME.C.NC Non-Critical); the reset takes GCS04's and ECS07's, SME.C.C (SR-3). What
follows from it is read from the catalogue, not assumed: the DCC returns a Critical
command's Pre-Command to the User to sign (DUIS), and Critical commands are in scope
of threshold anomaly detection (specification section 2; SEC G6). A catalogue that
marked the reset Non-Critical, or a DCC that ignored the category, fails here.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from envkit import DAY, ESME_ID, U1, esme, make_env

from specpkg.anomaly.engine import ThresholdEngine
from specpkg.anomaly.screening import Screener
from specpkg.anomaly.thresholds import Threshold, ThresholdTable
from specpkg.duis import intake
from specpkg.duis.codes import Outcome, ResponseCode
from specpkg.errors import ValidationError
from specpkg.gbcs import messages
from specpkg.gbcs.catalogue import NON_CRITICAL_CATEGORY, Catalogue, load_catalogue
from specpkg.meter.registers import DebtRegister, Device
from specpkg.system.flow import DEVICE_IDS, SUPPLIER_ID, make_testbed
from specpkg.system.tampering import signed_with_value
from specpkg.system.user import User
from specpkg.testing.environment import TestUser

ONE_AN_HOUR = Threshold(SUPPLIER_ID, "2.4", "volume", 3600, 1)


def _non_critical(monkeypatch: pytest.MonkeyPatch) -> None:
    """The DCC reads a catalogue that marks every reset Non-Critical."""
    committed = load_catalogue()
    marked = Catalogue(committed.version, tuple(
        dataclasses.replace(e, message_category=NON_CRITICAL_CATEGORY) for e in committed),
        committed.meta)
    monkeypatch.setattr(intake, "_catalogue", lambda: marked)


@pytest.mark.parametrize("device", list(Device))
def test_sr3_the_catalogues_category_decides_the_signing_flow(device, monkeypatch) -> None:
    """The committed catalogue's category (Critical) gives the User a Pre-Command to sign,
    and the command the meter gets carries the User's signature; the same request under
    a catalogue marking the reset Non-Critical gets no Pre-Command to sign."""
    bed = make_testbed()
    result = bed.run(device, DebtRegister.TIME_DEBT_1)
    assert result.outcome is Outcome.SUCCESS
    assert ("User", "correlates and signs") in [(s.actor, s.action) for s in result.steps]
    assert messages.decode(result.command).apdu.signed
    _non_critical(monkeypatch)
    other = make_testbed()
    _, xml = other.user.request(device, DebtRegister.TIME_DEBT_1)
    accepted = other.dcc.accept(xml)
    assert not accepted.entry.critical
    with pytest.raises(ValidationError) as info:
        other.dcc.pre_command(accepted)
    assert info.value.field == "message_category" and "Non-Critical" in info.value.reason


def _screener() -> Screener:
    engine = ThresholdEngine(ThresholdTable([ONE_AN_HOUR]), count_quarantined=True)
    return Screener(engine, inspect_esme=False, read_esme_value=True)


def _screen(screener: Screener, device: Device, counter: int, critical: bool):
    signed = signed_with_value(device, DebtRegister.TIME_DEBT_1, 0, User(), counter)
    return screener.screen(messages.apdu_of(messages.decode(signed)), user_id=SUPPLIER_ID,
                           device_id=DEVICE_IDS[device], register=DebtRegister.TIME_DEBT_1,
                           request_id=counter, at=counter, critical=critical)


@pytest.mark.parametrize("device", list(Device))
def test_sr12_thresholds_apply_because_the_catalogue_says_the_reset_is_critical(device) -> None:
    """Two resets in an hour against a limit of one: the second is quarantined for the
    reset as the catalogue categorises it (Critical); a Non-Critical command would be
    out of scope of threshold anomaly detection, and neither would be held."""
    critical = load_catalogue().entry(device, DebtRegister.TIME_DEBT_1).critical
    in_scope = _screener()
    first, second = (_screen(in_scope, device, n, critical) for n in (1, 2))
    assert not first.quarantined and second.quarantined and "volume" in second.reason
    out_of_scope = _screener()
    assert not any(_screen(out_of_scope, device, n, False).quarantined for n in (1, 2))
    assert out_of_scope.engine.decisions == []


def test_tr10_the_test_environment_quarantines_the_critical_reset_and_notifies(
        monkeypatch) -> None:
    """TR-10: in the test environment the User's volume threshold quarantines the second
    reset in the hour, because the catalogue makes the reset Critical, and tells the User;
    under a Non-Critical catalogue the environment's DCC gives no Pre-Command at all."""
    env = make_env()
    env.register_user(TestUser(U1, "Supplier", "IS"))
    sms = env.issue_comms_hub(U1, env.comms_hubs[0].code, DAY).sms_id
    env.add_device(U1, sms, esme(), DAY)
    env.set_thresholds(U1, [dataclasses.replace(ONE_AN_HOUR, user_id=U1)])
    bed = env.testbed(U1, sms)
    codes = []
    for minutes in (0, 10):
        env.dcc.clock += timedelta(minutes=minutes)
        codes.append(bed.run("ESME", "TimeDebtRegister1").response_code)
    assert codes == [ResponseCode.SUCCESS.value,
                     ResponseCode.QUARANTINED.value]
    assert [n.event for n in env.inbox(U1)] == ["quarantined"]
    assert env.stub(ESME_ID).state.time_debt_1 == 0
    _non_critical(monkeypatch)
    with pytest.raises(ValidationError, match="Non-Critical"):
        bed.run("ESME", "TimeDebtRegister1")
