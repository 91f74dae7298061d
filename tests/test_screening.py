"""The one screening pipeline of the DCC: packet inspection, then thresholds (SR-10..SR-12)."""

from __future__ import annotations

import pytest

from specpkg.anomaly.engine import Disposition, ThresholdEngine
from specpkg.anomaly.screening import QuarantineCause, Screener
from specpkg.anomaly.thresholds import Threshold, ThresholdTable
from specpkg.duis.codes import Outcome, ResponseCode
from specpkg.gbcs import messages
from specpkg.meter.registers import DebtRegister, Device
from specpkg.system.assumptions import Assumptions
from specpkg.system.flow import DEVICE_IDS, make_testbed
from specpkg.system.tampering import signed_with_value
from specpkg.system.user import User

USER = "90B3D51F30010000"
VALUE_ZERO = Threshold(USER, "2.4", "data_value", 0, 0)


def _screener(*thresholds: Threshold, inspect_esme=False, read_esme_value=True,
              count_quarantined=True) -> Screener:
    engine = ThresholdEngine(ThresholdTable(thresholds), count_quarantined=count_quarantined)
    return Screener(engine, inspect_esme=inspect_esme, read_esme_value=read_esme_value)


def _apdu(device: Device, value: int, counter: int = 7):
    return messages.apdu_of(messages.decode(
        signed_with_value(device, DebtRegister.TIME_DEBT_1, value, User(), counter)))


def _screen(screener: Screener, device: Device, value: int, counter: int = 7, at: int = 0):
    return screener.screen(_apdu(device, value, counter), user_id=USER,
                           device_id=DEVICE_IDS[device], register=DebtRegister.TIME_DEBT_1,
                           request_id=counter, at=at, critical=True)


@pytest.mark.parametrize("device", list(Device))
def test_sr12_data_value_is_the_value_written(device: Device) -> None:
    screening = _screen(_screener(VALUE_ZERO, inspect_esme=True), device, 1_234)
    assert screening.data_value == 1_234 and screening.quarantined
    assert _screen(_screener(VALUE_ZERO), device, 0).data_value == 0


def test_ma3_an_uninspected_esme_value_is_read_or_not() -> None:
    """MA-3: with ``read_esme_value`` a data value ADT of 0 quarantines an ESME reset
    writing 500; without it the ESME value counts as 0 and passes. GSME is always read."""
    read = _screen(_screener(VALUE_ZERO), Device.ESME, 500)
    assert read.quarantined and read.reason.startswith("threshold: data value")
    blind = _screen(_screener(VALUE_ZERO, read_esme_value=False), Device.ESME, 500)
    assert not blind.quarantined and blind.data_value == 0
    gsme = _screen(_screener(VALUE_ZERO, read_esme_value=False), Device.GSME, 500)
    assert gsme.quarantined and gsme.data_value == 500


def test_sr10_inspection_quarantine_goes_through_the_engine() -> None:
    """A packet-inspection quarantine is held, notified and counted by the one engine."""
    screener = _screener(Threshold(USER, "2.4", "volume", 3600, 5))
    screening = _screen(screener, Device.GSME, 500)
    assert screening.inspection.quarantined and screening.quarantined
    assert screening.reason.startswith("packet inspection: Debt Amount is 500")
    assert screener.engine.counts()[Disposition.QUARANTINED] == 1
    assert [n.event for n in screener.engine.notifications_for(USER)] == ["quarantined"]


def test_a_repeated_request_id_is_refused_by_the_dcc_e940() -> None:
    """The DCC refuses a RequestID whose counter is not above the last it accepted from
    that User for that device (COUNTER_NOT_INCREASING): a repeated request never reaches anomaly
    detection."""
    bed = make_testbed()
    first = bed.run("ESME", "TimeDebtRegister1")
    assert first.outcome is Outcome.SUCCESS
    bed.user.next_counter -= 1  # the User's system sends the same RequestID again
    again = bed.run("ESME", "TimeDebtRegister2")
    assert (
        again.response_code == ResponseCode.COUNTER_NOT_INCREASING
        and again.outcome is Outcome.REFUSED
    )
    assert bed.stub("ESME").state.time_debt_2 == 1_500 and len(bed.dcc.engine) == 1


def test_a_record_anomaly_detection_cannot_take_is_refused_e931() -> None:
    """A request timed earlier than one already screened (the DCC's clock went back) is
    refused by the threshold engine; the DCC answers ANOMALY_REFUSED and sends nothing."""
    from datetime import timedelta

    bed = make_testbed()
    assert bed.run("ESME", "TimeDebtRegister1").outcome is Outcome.SUCCESS
    bed.dcc.clock -= timedelta(hours=1)
    late = bed.run("ESME", "TimeDebtRegister2")
    assert (
        late.response_code == ResponseCode.ANOMALY_REFUSED
        and "earlier than a request" in late.steps[-2].result
    )
    assert bed.stub("ESME").state.time_debt_2 == 1_500


def test_default_model_assumptions_flow_answers() -> None:
    """Defaults: an ESME reset writing 500 is quarantined by the data value ADT of
    ``data/thresholds.csv``; with MA-3 off it is refused as not the issued Pre-Command."""
    def hook(user):
        return lambda _: signed_with_value("ESME", "TimeDebtRegister1", 500, user,
                                           user.next_counter - 1)

    bed = make_testbed()
    assert (
        bed.run("ESME", "TimeDebtRegister1", signed=hook(bed.user)).response_code
        == ResponseCode.QUARANTINED
    )
    bed = make_testbed(assumptions=Assumptions(read_esme_value=False))
    assert (
        bed.run("ESME", "TimeDebtRegister1", signed=hook(bed.user)).response_code
        == ResponseCode.SIGNED_PRECOMMAND_MISMATCH
    )


def test_each_quarantine_names_its_cause_as_duis_alerts_do() -> None:
    """DUIS's QuarantinedRequest names the cause: packet inspection (attribute limits),
    a User threshold, or the DCC's own; a command delivered has none."""
    inspected = _screen(_screener(), Device.GSME, 500)
    assert inspected.cause is QuarantineCause.ATTRIBUTE_LIMITS
    user = _screen(_screener(VALUE_ZERO), Device.ESME, 500)
    assert user.cause is QuarantineCause.USER_THRESHOLD
    dcc = _screen(_screener(Threshold("DCC", "2.4", "data_value", 0, 0)), Device.ESME, 500)
    assert dcc.quarantined and dcc.cause is QuarantineCause.DCC_THRESHOLD
    assert _screen(_screener(), Device.ESME, 0).cause is None
