"""What the Communications Hub does with a reset, and what it must not do (SR-6, SR-7, TR-9a).

The CH routes: the meter receives exactly the bytes the DCC sent; a GSME's command
waits in the Communications Hub Function until the sleepy meter wakes; the Gas Proxy
Function gets a copy only of a Tapping Off Mechanism command, never of a reset, and
nothing is kept (GBCS v1.0, GSME Command retrieval and TOM Requirements). The checks
below are shown to catch a CH that alters, taps off or keeps a reset, so they can fail.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from specpkg.duis.codes import Outcome
from specpkg.gbcs import messages, reset_messages
from specpkg.gbcs.security import Keys
from specpkg.meter.registers import DebtRegister, Device
from specpkg.paths import PKI_DIR
from specpkg.system import commshub
from specpkg.system.commshub import CommunicationsHub, GsmeStore, Route
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
    if bed.hub.gsme_store.held:
        faults.append("kept by the CHF")
    return faults


def recording_bed(**kwargs) -> Testbed:
    return make_testbed(stub_class=RecordingMeter, **kwargs)


# --------------------------------------------------------------------------- SR-6, SR-7


@pytest.mark.parametrize(("device", "register"), CASES, ids=[f"{d}-{r}" for d, r in CASES])
def test_sr6_sr7_the_ch_only_routes_each_reset(device: Device, register: DebtRegister) -> None:
    """The meter gets the DCC's very bytes; the GPF gets no copy and the CHF keeps none."""
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


class KeepingStore(GsmeStore):
    """A CHF that hands a command over but keeps it (a copy of the reset stays in the CH)."""

    def wake(self, at: datetime) -> list[bytes]:
        return [command for received, command in self.held if received <= at]


def tapping_off_the_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    """The TOM list with the GSME reset on it: the real CHF then gives the GPF a copy."""
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
    keeping.hub.gsme_store = KeepingStore()
    kept = keeping.run("GSME", "TimeDebtRegister1")
    assert ch_faults(keeping, kept) == ["kept by the CHF"]

    tapping_off_the_reset(monkeypatch)
    tapping = recording_bed()
    tapped = tapping.run("GSME", "TimeDebtRegister1")
    assert ch_faults(tapping, tapped) == ["tapped off"]
    assert tapping.hub.gpf.tapped == [tapped.command]


def test_sr7_the_chf_holds_a_gsme_command_until_the_meter_wakes() -> None:
    """The CHF holds the reset until the GSME's next wake (GBCS: GSME Command retrieval);
    an ESME gets its reset at once."""
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
    assert bed.hub.gsme_store.held == [] and bed.hub.gpf.tapped == []


def test_sr7_a_gsme_awake_when_the_command_arrives_gets_it_at_once() -> None:
    bed = make_testbed()
    hub = bed.hub.variant
    bed.dcc.clock = NOON + hub.gsme_wake_interval - hub.wan.one_way  # arrives on a wake
    assert bed.run("GSME", "TimeDebtRegister2").route.held_for == timedelta(0)
    bed.dcc.clock += timedelta(seconds=1)  # a second later: a whole cycle's wait
    assert bed.run("GSME", "TimeDebtRegister1").route.held_for == (
        hub.gsme_wake_interval - timedelta(seconds=1))
    with pytest.raises(Exception, match="positive interval"):
        GsmeStore.next_wake(NOON, timedelta(0))


def _gsme_command(message_code: int, counter: int) -> bytes:
    """A command to the GSME with ``message_code`` (its payload is opaque here)."""
    apdu = messages.command(message_code, bytes.fromhex(SUPPLIER_ID),
                            bytes.fromhex(DEVICE_IDS[Device.GSME]), counter, b"\x01\x09\x01\x00")
    return messages.encode(messages.protect(apdu, Keys(PKI_DIR), SUPPLIER_ID))


#: GBCS v1.0 (Release Note 28 November 2014), "GSME Command retrieval and TOM
#: Requirements": the TOM Commands, by message code.
GBCS_TOM_COMMANDS = {0x006B: "GCS01a", 0x006F: "GCS05", 0x0071: "GCS07", 0x0015: "CS11",
                     0x007C: "GCS23", 0x007E: "GCS25", 0x0088: "GCS44", 0x00A3: "GCS01b"}


def test_sr7_the_chf_copies_every_tom_command_to_the_gpf_and_not_the_reset() -> None:
    """Every GBCS TOM Command routed to the GSME is held for it and copied to the GPF;
    the reset, like GCS04 (the existing debt use case it mirrors), is held and not
    copied. A TOM list without one of GBCS's codes, or with the reset, fails here."""
    hub = CommunicationsHub()
    hub.join(DEVICE_IDS[Device.GSME], Device.GSME)
    toms = [hub.route(_gsme_command(code, n), NOON) for n, code in enumerate(GBCS_TOM_COMMANDS, 1)]
    gcs04 = hub.route(_gsme_command(0x006E, 20), NOON)
    reset = hub.route(make_testbed().run("GSME", "TimeDebtRegister1").command, NOON)
    assert [r.tapped_off for r in toms] == [True] * len(GBCS_TOM_COMMANDS)
    assert hub.gpf.tapped == [r.data for r in toms]
    assert (gcs04.tapped_off, reset.tapped_off) == (False, False)
    assert all(r.held_for > timedelta(0) for r in [*toms, gcs04, reset])
    assert hub.gsme_store.held == []


def test_sr7_the_tom_list_is_gbcs_s_with_its_use_case_names(reference) -> None:
    """data/han/tapping_off.csv is GBCS's TOM list, each code named as the GBCS message
    code table names it; GCS25's use case says it is kept for the TOM."""
    import csv
    import json

    table: dict[int, str] = {}
    for line in (reference / "gbcs-message-codes.tsv").read_text().splitlines()[1:]:
        code, _, name = line.partition("\t")
        table[int(code, 16)] = name.strip()
    with commshub.TAPPING_OFF.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {int(r["message_code"], 16): r["use_case"] for r in rows} == {
        code: table[code] for code in GBCS_TOM_COMMANDS}
    assert all("TOM Requirements" in r["source"] for r in rows)
    cases = json.loads((reference / "gbcs-use-cases.json").read_text())
    named = {c["Code"] for c in cases if "Tapping Off" in c["Use Case Description"]}
    assert named == {"GCS25"} and "GCS25" in GBCS_TOM_COMMANDS.values()
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
    """The outcome a WAN outage gives: E924, and the meter keeps its register."""
    bed = make_testbed()
    bed.hub.wan_connected = False
    result = bed.run("ESME", "TimeDebtRegister1")
    assert result.outcome is Outcome.UNDELIVERABLE and result.response_code == "E924"
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
