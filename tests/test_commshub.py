"""What the Communications Hub does with a reset, and what it must not do (SR-6, SR-7, TR-9a).

The CH routes: the meter receives exactly the bytes the DCC sent; a GSME's command
waits in the Gas Proxy Function until the sleepy meter wakes; nothing is tapped
off or kept. The checks below are shown to catch a CH that alters, taps off or
keeps a reset, so they can fail.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from specpkg.duis.codes import Outcome, ResponseCode
from specpkg.gbcs import messages, reset_messages
from specpkg.gbcs.security import Keys
from specpkg.meter.registers import DebtRegister, Device
from specpkg.paths import PKI_DIR
from specpkg.system import commshub
from specpkg.system.commshub import CommunicationsHub, GasProxy, Route
from specpkg.system.flow import DEVICE_IDS, SUPPLIER_ID, FlowResult, Testbed, make_testbed
from specpkg.system.meters import AlertKind, DeviceReply, MeterStub
from specpkg.system.variants import ch_combinations

NOON = datetime(2019, 6, 27, 12, 0, tzinfo=UTC)
CASES = list(itertools.product(Device, DebtRegister))


class RecordingMeter(MeterStub):
    """A meter stub that keeps every command exactly as it arrived over the HAN."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.received: list[bytes] = []

    def receive(self, command: bytes) -> DeviceReply:
        self.received.append(bytes(command))
        return super().receive(command)


def ch_faults(bed: Testbed, result: FlowResult) -> list[str]:
    """What the CH did to one reset beyond routing it (SR-6, SR-7); [] if it only routed."""
    meter = bed.stub(next(d for d, i in DEVICE_IDS.items() if i == result.request.device_id))
    faults = []
    if meter.received[-1:] != [result.command]:
        faults.append("the meter did not receive the bytes the DCC sent")
    if result.route is None or result.route.tapped_off or bed.hub.gpf.tapped:
        faults.append("tapped off")
    if bed.hub.gpf.held:
        faults.append("kept by the GPF")
    return faults


def recording_bed(**kwargs) -> Testbed:
    return make_testbed(stub_class=RecordingMeter, **kwargs)


# --------------------------------------------------------------------------- SR-6, SR-7


@pytest.mark.parametrize(("device", "register"), CASES, ids=[f"{d}-{r}" for d, r in CASES])
def test_sr6_sr7_the_ch_only_routes_each_reset(device: Device, register: DebtRegister) -> None:
    """The meter gets the DCC's very bytes; the GPF neither taps off nor keeps a reset."""
    bed = recording_bed()
    result = bed.run(device, register)
    assert ch_faults(bed, result) == []
    assert result.outcome is Outcome.SUCCESS
    (route,) = bed.hub.routes
    assert (route.recipient, route.device, route.data) == (DEVICE_IDS[device], device,
                                                          result.command)
    assert route.message_code == reset_messages.message_codes()[device]
    hop = next(s for s in result.steps if s.actor == "Communications Hub")
    assert hop.data == result.command


class AlteringHub(CommunicationsHub):
    """A CH that changes one byte of what it passes on (processing, contrary to SR-6)."""

    def route(self, command: bytes, at: datetime) -> Route:
        route = super().route(command, at)
        data = bytearray(route.data)
        data[-20] ^= 0x01
        self.routes[-1] = dataclasses.replace(route, data=bytes(data))
        return self.routes[-1]


class KeepingGpf(GasProxy):
    """A GPF that hands a command over but keeps it (a copy of the reset stays in the CH)."""

    def wake(self, at: datetime) -> list[bytes]:
        return [command for received, command in self.held if received <= at]


def tapping_off_the_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    """The TOM list with the GSME reset on it: the real GPF then taps it off."""
    codes = commshub.tapped_off_codes() | {reset_messages.message_codes()[Device.GSME]}
    monkeypatch.setattr(commshub, "tapped_off_codes", lambda: codes)


def test_the_checks_catch_a_ch_that_alters_taps_off_or_keeps_a_reset(monkeypatch) -> None:
    """Each way a CH could do more than route is caught by :func:`ch_faults`."""
    altering = recording_bed()
    altering.hub = AlteringHub(altering.hub.variant, altering.hub.devices)
    altered = altering.run("GSME", "TimeDebtRegister1")
    assert ch_faults(altering, altered) == ["the meter did not receive the bytes the DCC sent"]
    assert altered.outcome is Outcome.REJECTED_BY_DEVICE  # the meter's MAC check fails
    assert altering.stub("GSME").log[-1].startswith(f"alert: {AlertKind.BAD_MAC.value}")

    keeping = recording_bed()
    keeping.hub.gpf = KeepingGpf()
    kept = keeping.run("GSME", "TimeDebtRegister1")
    assert ch_faults(keeping, kept) == ["kept by the GPF"]

    tapping_off_the_reset(monkeypatch)
    tapping = recording_bed()
    tapped = tapping.run("GSME", "TimeDebtRegister1")
    assert ch_faults(tapping, tapped) == ["tapped off"]
    assert tapping.hub.gpf.tapped == [tapped.command]


def test_sr7_the_gpf_holds_a_gsme_command_until_the_meter_wakes() -> None:
    """The GPF holds the reset until the GSME's next wake; an ESME gets its reset at once."""
    bed = recording_bed()
    bed.dcc.clock = NOON
    gas, electric = bed.run("GSME", "PaymentDebtRegister"), bed.run("ESME", "PaymentDebtRegister")
    hub = bed.hub.variant
    wan, han = hub.wan.one_way, hub.han.one_way
    assert gas.route.received_at == NOON + wan
    assert gas.route.delivered_at == NOON + hub.gsme_wake_interval + han  # the next wake
    assert gas.route.held_for == hub.gsme_wake_interval - wan
    assert electric.route.held_for == timedelta(0)
    assert electric.route.delivered_at == NOON + wan + han
    assert electric.response_time == 2 * (wan + han)
    assert gas.response_time == electric.response_time + gas.route.held_for
    assert bed.hub.gpf.held == [] and bed.hub.gpf.tapped == []


def test_sr7_a_gsme_awake_when_the_command_arrives_gets_it_at_once() -> None:
    bed = make_testbed()
    hub = bed.hub.variant
    bed.dcc.clock = NOON + hub.gsme_wake_interval - hub.wan.one_way  # arrives on a wake
    assert bed.run("GSME", "TimeDebtRegister2").route.held_for == timedelta(0)
    bed.dcc.clock += timedelta(seconds=1)  # a second later: a whole cycle's wait
    assert bed.run("GSME", "TimeDebtRegister1").route.held_for == (
        hub.gsme_wake_interval - timedelta(seconds=1))
    with pytest.raises(Exception, match="positive interval"):
        GasProxy.next_wake(NOON, timedelta(0))


def _gcs25(counter: int) -> bytes:
    """A Tapping Off command to the GSME (GCS25's message code; its payload is opaque here)."""
    apdu = messages.command(0x007E, bytes.fromhex(SUPPLIER_ID),
                            bytes.fromhex(DEVICE_IDS[Device.GSME]), counter, b"\x01\x09\x01\x00")
    return messages.encode(messages.protect(apdu, Keys(PKI_DIR), SUPPLIER_ID))


def test_sr7_the_gpf_taps_off_the_tom_commands_it_knows_and_not_the_reset(reference) -> None:
    """F-6: the reference data names one TOM use case (GCS25); the GPF taps that off, the
    reset it does not. The full GBCS list is not in the reference data."""
    import json

    cases = json.loads((reference / "gbcs-use-cases.json").read_text())
    named = {c["Code"] for c in cases if "Tapping Off" in c["Use Case Description"]}
    assert named == {"GCS25"}
    assert commshub.tapped_off_codes() == {0x007E}
    hub = CommunicationsHub()
    hub.join(DEVICE_IDS[Device.GSME], Device.GSME)
    tom = hub.route(_gcs25(7), NOON)
    reset = hub.route(make_testbed().run("GSME", "TimeDebtRegister1").command, NOON)
    assert (tom.tapped_off, reset.tapped_off) == (True, False)
    assert hub.gpf.tapped == [tom.data]
    assert not commshub.is_tom_command(reset_messages.message_codes()[Device.GSME])


# --------------------------------------------------------------------------- delivery


def test_the_ch_refuses_what_it_cannot_route() -> None:
    hub = make_testbed().hub
    with pytest.raises(Exception, match="cannot read the GBCS header"):
        hub.route(b"\xdd\x00", NOON)
    command = make_testbed().run("ESME", "TimeDebtRegister1").command
    with pytest.raises(Exception, match="not on this CH's HAN"):
        CommunicationsHub().route(command, NOON)
    assert hub.routes == []


def test_a_ch_whose_wan_is_down_delivers_nothing() -> None:
    """The outcome a WAN outage gives: UNDELIVERABLE, and the meter keeps its register."""
    bed = make_testbed()
    bed.hub.wan_connected = False
    result = bed.run("ESME", "TimeDebtRegister1")
    assert (
        result.outcome is Outcome.UNDELIVERABLE
        and result.response_code == ResponseCode.UNDELIVERABLE
    )
    assert result.route is None and result.before is None
    assert bed.stub("ESME").state.time_debt_1 > 0


# --------------------------------------------------------------------------- TR-9a


def test_tr9a_the_variant_changes_the_timing_not_the_outcome() -> None:
    """Every Test CH variant gives the same Service Response and command bytes; the
    response time is the variant's WAN and HAN hops (and, for a GSME, the wait)."""
    seen = {}
    for hub in ch_combinations():
        bed = make_testbed(comms_hub=hub)
        bed.dcc.clock = NOON
        for device in Device:
            result = bed.run(device, "TimeDebtRegister1")
            assert result.response_code == "I0" and result.route.hub == hub.code
            hops = 2 * (hub.wan.one_way + hub.han.one_way)
            assert result.response_time == hops + result.route.held_for
            seen[hub.code, device] = (result.command, result.response_time)
    for device in Device:
        assert len({seen[h.code, device][0] for h in ch_combinations()}) == 1
    times = {seen[h.code, Device.ESME][1] for h in ch_combinations()}
    assert len(times) == len(ch_combinations())  # every variant its own timing
