"""The Message Mapping Catalogue at work (TR-6): Parse turns the device's reset
responses and the pre-Release meter's alert into the catalogue's XML; Correlate
checks a Pre-Command against the request; a Parse and Correlate built against
another catalogue is detected, not equal by construction."""

from __future__ import annotations

import dataclasses

import pytest

from specpkg.duis.mmc import (
    ALERT_USE_CASE_NOT_SUPPORTED,
    MmcMismatch,
    ParseAndCorrelate,
    not_supported_alert,
    read_output,
)
from specpkg.duis.reset_request import make_request
from specpkg.errors import ValidationError
from specpkg.gbcs import messages
from specpkg.gbcs.catalogue import load_catalogue
from specpkg.meter.registers import DebtRegister, Device
from specpkg.system.flow import make_testbed
from specpkg.testing.testpack import pack_for, parse_and_correlate, revised_catalogue

CATALOGUE = load_catalogue()
OTHER = revised_catalogue(CATALOGUE, "0.2.0-other", {Device.GSME: 0x0F12})


def _run(device: Device, register: DebtRegister, fault: bool = False):
    bed = make_testbed()
    bed.stub(device).fault = fault
    return bed.run(device, register)


@pytest.mark.parametrize("device", list(Device))
def test_tr6_parse_gives_the_catalogue_shape_of_success_failure_and_alert(device) -> None:
    pnc = parse_and_correlate()
    entry = CATALOGUE.entry(device, DebtRegister.TIME_DEBT_2)
    ok = _run(device, DebtRegister.TIME_DEBT_2)
    parsed = read_output(pnc.parse(ok.device_response, request_id=ok.request.request_id))
    assert (parsed.kind, parsed.use_case, parsed.result) == ("response", entry.use_case,
                                                             "success")
    assert parsed.catalogue_version == CATALOGUE.version
    failed = _run(device, DebtRegister.TIME_DEBT_2, fault=True)
    assert read_output(pnc.parse(failed.device_response)).result == "failure"
    command = messages.apdu_of(messages.decode(ok.command))
    alert = read_output(pnc.parse(not_supported_alert(command, counter=7)))
    assert (alert.kind, alert.use_case) == ("alert", entry.use_case)
    assert alert.result == f"0x{ALERT_USE_CASE_NOT_SUPPORTED:04X}"


def test_tr6_a_parser_built_against_another_catalogue_is_detected() -> None:
    """The versions can differ: the DCC revises the catalogue (the GSME reset under
    another message code) and the User still runs the Parse and Correlate of the old
    one. The mismatch is found, and the old parser can neither correlate nor parse."""
    old = parse_and_correlate()
    with pytest.raises(MmcMismatch, match=r"built against catalogue 0\.1\.0-provisional"):
        old.check_catalogue(OTHER)
    with pytest.raises(ValidationError) as err:
        pack_for(OTHER)
    assert err.value.field == "message_mapping_catalogue_version"
    # same version label, other mapping: still no correspondence
    relabelled = dataclasses.replace(OTHER, version=CATALOGUE.version)
    with pytest.raises(MmcMismatch, match="GSME PaymentDebtRegister: the catalogue maps it to "
                                          "GCS04b 0x0F12"):
        old.check_catalogue(relabelled)
    new = ParseAndCorrelate.built_against(OTHER, "0.2.0-other")
    gas = _run(Device.GSME, DebtRegister.PAYMENT_DEBT)
    with pytest.raises(MmcMismatch, match="message_code"):
        new.correlate(gas.request, gas.pre_command)
    with pytest.raises(MmcMismatch, match=r"not a use case of catalogue 0\.2\.0-other"):
        new.parse(gas.device_response)
    assert old.correlate(gas.request, gas.pre_command).message_code == 0x0F02


def test_tr6_a_revised_catalogue_needs_a_new_parse_and_correlate() -> None:
    """The package's Parse and Correlate is a release of its own: a catalogue whose
    version moves on (its mapping unchanged) no longer corresponds to it."""
    pack_for(CATALOGUE)
    with pytest.raises(ValidationError, match=r"0\.3\.0"):
        pack_for(dataclasses.replace(CATALOGUE, version="0.3.0"))


@pytest.mark.parametrize(("change", "field"), [
    ({"counter": 1001}, "counter"),
    ({"register": DebtRegister.TIME_DEBT_1}, "register"),
    ({"user_id": "90B3D51F30020000"}, "originator"),
])
def test_tr6_correlate_refuses_a_pre_command_that_is_not_the_request(change, field) -> None:
    result = _run(Device.ESME, DebtRegister.PAYMENT_DEBT)
    request = result.request
    other = make_request(Device.ESME, change.get("register", request.register),
                         change.get("counter", request.counter),
                         user_id=change.get("user_id", request.user_id))
    with pytest.raises(MmcMismatch) as err:
        parse_and_correlate().correlate(other, result.pre_command)
    assert err.value.field == field


def test_tr6_parser_file_round_trips_and_refuses_garbage() -> None:
    pnc = parse_and_correlate()
    assert ParseAndCorrelate.from_dict(pnc.as_dict()) == pnc
    for bad in ([], {"parse_and_correlate_version": "1", "catalogue_version": "1",
                     "mapping": []}, {"parse_and_correlate_version": "1",
                                      "catalogue_version": "1", "mapping": [{"device": "X"}]}):
        with pytest.raises(ValidationError):
            ParseAndCorrelate.from_dict(bad)
