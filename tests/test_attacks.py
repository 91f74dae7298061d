"""The trust chain holds: every attack of issue 11 is refused (SR-3, SR-9, TR-5, TR-10).

Each test is one attack a reviewer or an attacker would try, and shows where it is
refused: comments and processing instructions inside signed DUIS, a wrong Supplier,
a change of Supplier, counter replays and jams, quarantine bookkeeping, certificates
that do not belong, and bad files at the command line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from specpkg.__main__ import main
from specpkg.anomaly.thresholds import Threshold, ThresholdTable
from specpkg.duis.codes import DuisError, Outcome, ResponseCode
from specpkg.duis.intake import check_request, validate_request
from specpkg.duis.reset_request import DEFAULT_CLOCK, make_request, request_xml
from specpkg.duis.xmldsig import load_certificate, load_private_key
from specpkg.errors import ValidationError
from specpkg.gbcs import messages, reset_messages
from specpkg.gbcs.credentials import RemotePartyRole
from specpkg.gbcs.envelope import COUNTER_MAX
from specpkg.gbcs.security import Keys
from specpkg.meter.registers import DebtRegister, Device
from specpkg.paths import PKI_DIR
from specpkg.system.flow import DEVICE_IDS, make_testbed
from specpkg.system.meters import AlertKind
from specpkg.system.user import User

SUPPLIER, OTHER = "90B3D51F30010000", "90B3D51F30020000"
KEYS = Keys(PKI_DIR)


def _code(data: bytes, **kwargs) -> ResponseCode | None:
    return check_request(data, **kwargs).code


# --- 1. comments and processing instructions inside signed DUIS ------------------------

REQUEST = make_request(Device.ESME, DebtRegister.TIME_DEBT_1, 1000)
SIGNED = request_xml(REQUEST)
FIELDS = {  # text of each signed value the DCC acts on, and where to split it
    "RequestID counter": b":1000</sr:RequestID>",
    "RequestID user": b"<sr:RequestID>90-B3",
    "CommandVariant": b"<sr:CommandVariant>4<",
    "ServiceReference": b"<sr:ServiceReference>2.4<",
    "ServiceReferenceVariant": b"<sr:ServiceReferenceVariant>2.4<",
}


def _split(data: bytes, where: bytes, node: bytes) -> bytes:
    """Put ``node`` inside the text ``where`` names (after its second byte of text)."""
    start = data.index(where)
    text = start + where.index(b">") + 2 if where.startswith(b"<") else start + 2
    return data[:text] + node + data[text:]


@pytest.mark.parametrize("node", [b"<!---->", b"<!-- x -->", b"<?pi value?>"],
                         ids=["empty comment", "comment", "processing instruction"])
@pytest.mark.parametrize("field", list(FIELDS))
def test_a_comment_or_pi_in_a_signed_request_value_is_refused(field: str, node: bytes) -> None:
    """``1<!---->000`` verifies (c14n drops comments) but reads ``1``: refused, UNSIGNED_CONTENT."""
    tampered = _split(SIGNED, FIELDS[field], node)
    assert tampered != SIGNED
    assert _code(tampered) is ResponseCode.UNSIGNED_CONTENT


def test_the_comment_trick_cannot_run_one_request_three_times() -> None:
    """The attack of issue 11: the same signed request with the counter split three ways
    used to run three times; now the first runs and the others are refused."""
    bed = make_testbed()
    request, xml = bed.user.request("ESME", "TimeDebtRegister1")
    counter = str(request.counter).encode()
    variants = [xml] + [xml.replace(b":" + counter + b"<",
                                    b":" + counter[:i] + b"<!---->" + counter[i:] + b"<")
                        for i in (1, 2)]
    codes = [bed.run_xml(v, request).response_code for v in variants]
    assert codes == ["I0", ResponseCode.UNSIGNED_CONTENT, ResponseCode.UNSIGNED_CONTENT]


def test_values_are_read_from_what_the_signature_covered() -> None:
    """The accepted request is exactly the signed one, field by field."""
    accepted = validate_request(SIGNED)
    assert accepted.request == REQUEST


RESPONSE_FIELDS = [b"<sr:ResponseCode>I0<", b"<sr:GBCSPayload>", b"<sr:RequestID>90"]


@pytest.mark.parametrize("where", RESPONSE_FIELDS, ids=["code", "payload", "request id"])
def test_a_comment_in_a_signed_service_response_is_refused_by_the_user(where: bytes) -> None:
    """``I<!---->0`` would read ``I``; the User refuses any comment in a response."""
    bed = make_testbed()
    result = bed.run("GSME", "TimeDebtRegister1")
    assert result.received is not None and result.received.code == "I0"
    tampered = _split(result.service_response, where, b"<!---->")
    with pytest.raises(ValidationError, match="comment"):
        bed.user.receive(tampered)


def test_a_comment_before_the_command_variant_is_a_duis_error_not_a_crash() -> None:
    tampered = SIGNED.replace(b"<sr:CommandVariant>4<", b"<sr:CommandVariant><!-- -->4<")
    check = check_request(tampered)
    assert check.code is ResponseCode.UNSIGNED_CONTENT and check.response is not None


def test_the_user_correlates_against_what_it_sent() -> None:
    """If the DCC's reading differs from the User's request, the User does not sign."""
    bed = make_testbed()
    request, xml = bed.user.request("ESME", "TimeDebtRegister1")
    other = dataclasses.replace(request, register=DebtRegister.TIME_DEBT_2)
    result = bed.run_xml(xml, other)  # the User believes it asked for TDR2
    assert result.outcome is Outcome.NOT_SIGNED and result.command == b""


VALUE_EDITS = st.sampled_from([
    (b":1000</sr:RequestID>", b":1001</sr:RequestID>"),
    (b"90-B3-D5-1F-30-01-00-00:", b"90-B3-D5-1F-30-02-00-00:"),
    (b"00-DB-12-34-56-78-90-A0", b"00-DB-12-34-56-78-90-A1"),
    (b"<sr:CommandVariant>4<", b"<sr:CommandVariant>5<"),
    (b"<sr:TimeDebtRegister1/>", b"<sr:TimeDebtRegister2/>"),
    (b"<sr:TimeDebtRegister1/>", b"<sr:TimeDebtRegister1/><sr:PaymentDebtRegister/>"),
    (b"<sr:ServiceReference>2.4<", b"<sr:ServiceReference>2.3<"),
])


@settings(max_examples=120, deadline=None)
@given(edit=VALUE_EDITS, node=st.sampled_from([b"", b"<!---->", b"<?x?>"]),
       where=st.integers(0, len(SIGNED)))
def test_property_no_edit_of_a_signed_request_changes_what_the_dcc_acts_on(edit, node,
                                                                         where) -> None:
    """Any edit of a signed request that would change a value the DCC acts on (with or
    without a comment or PI put anywhere) is refused; nothing else is ever accepted."""
    old, new = edit
    tampered = SIGNED.replace(old, new, 1)
    if node:
        tampered = tampered[:where] + node + tampered[where:]
    check = check_request(tampered)
    assert check.error is not None or check.accepted.request == REQUEST
    assert check.accepted is None  # the value changed: never accepted


# --- 2. meters trust only their own Supplier -------------------------------------------


def _protected(signer: str, device: Device, counter: int) -> bytes:
    pre = reset_messages.pre_command(device, DebtRegister.TIME_DEBT_1, signer,
                                     DEVICE_IDS[device], counter, DEFAULT_CLOCK)
    return messages.encode(messages.protect(pre, KEYS, signer))


@pytest.mark.parametrize("device", list(Device))
def test_a_reset_signed_by_another_supplier_is_not_executed(device: Device) -> None:
    """Another Supplier holds a valid certificate, but the meter's Supplier anchor names
    its own Supplier: the MAC'd, signed command raises an alert and changes nothing."""
    stub = make_testbed().stub(device)
    before = stub.state
    reply = stub.receive(_protected(OTHER, device, 5_000))
    assert reply.alert is not None and reply.alert.kind is AlertKind.NOT_THE_SUPPLIER
    assert stub.state == before
    assert stub.receive(_protected(SUPPLIER, device, 5_001)).response is not None


def test_a_change_of_supplier_replaces_the_anchor_and_its_counter() -> None:
    bed = make_testbed()
    assert bed.run("ESME", "TimeDebtRegister1").response_code == "I0"  # old Supplier, 1000
    bed.change_supplier("ESME", OTHER)
    new = User(OTHER)
    new.next_counter = 1  # the new Supplier's own counters, far below the old one's
    assert bed.run("ESME", "TimeDebtRegister2", user=new).response_code == "I0"
    old = bed.run("ESME", "PaymentDebtRegister")
    assert (
        old.response_code == ResponseCode.NOT_REGISTERED_SUPPLIER
    )  # the DCC no longer registers the old Supplier
    stub = bed.stub("ESME")
    reply = stub.receive(_protected(SUPPLIER, Device.ESME, 9_999))
    assert reply.alert.kind is AlertKind.NOT_THE_SUPPLIER and stub.state.payment_debt == 5_000


# --- 3. counters -----------------------------------------------------------------------


def test_a_replayed_command_is_refused_by_the_meter() -> None:
    bed = make_testbed()
    first = bed.run("GSME", "TimeDebtRegister1")
    reply = bed.stub("GSME").receive(first.command)
    assert reply.alert.kind is AlertKind.REPLAY


def test_a_counter_jam_locks_only_the_jammer() -> None:
    """A Supplier that sends counter 2**64-1 can send no more, but after a change of
    Supplier the new Supplier's commands are executed."""
    bed = make_testbed()
    bed.user.next_counter = COUNTER_MAX
    assert bed.run("ESME", "TimeDebtRegister1").response_code == "I0"
    bed.user.next_counter = COUNTER_MAX
    assert bed.run("ESME", "TimeDebtRegister2").response_code == ResponseCode.COUNTER_NOT_INCREASING
    bed.change_supplier("ESME", OTHER)
    assert bed.run("ESME", "TimeDebtRegister2", user=User(OTHER)).response_code == "I0"


@pytest.mark.parametrize("counter", [2**63 - 1, 2**63, 2**63 + 7, COUNTER_MAX])
def test_counters_up_to_2_64_minus_1_are_valid_everywhere(counter: int) -> None:
    """DUIS, the DCC, anomaly detection (engine and replay) and the meter all take the
    whole 64-bit range; the same counter works end to end."""
    table = ThresholdTable([Threshold(SUPPLIER, "2.4", "volume", 3600, 5)])
    bed = make_testbed(thresholds=table)
    bed.user.next_counter = counter
    result = bed.run("GSME", "TimeDebtRegister1")
    assert result.response_code == "I0" and result.request.counter == counter
    assert messages.decode(result.command).apdu.originator_counter == counter


def test_a_counter_above_2_64_minus_1_is_refused_as_a_bad_request_id() -> None:
    xml = SIGNED.replace(b":1000<", f":{COUNTER_MAX + 1}<".encode())
    assert _code(xml) is ResponseCode.BAD_REQUEST_ID


def test_two_users_may_use_the_same_counter() -> None:
    """Counters are per User: the Gas Supplier's 1000 is not the Import Supplier's."""
    table = ThresholdTable([Threshold(u, "2.4", "volume", 3600, 5) for u in (SUPPLIER, OTHER)])
    bed = make_testbed(thresholds=table)
    bed.change_supplier("GSME", OTHER)
    assert bed.run("ESME", "TimeDebtRegister1").response_code == "I0"
    gas = User(OTHER)
    gas.next_counter = 1000
    assert bed.run("GSME", "TimeDebtRegister1", user=gas).response_code == "I0"


# --- 4. quarantine bookkeeping ----------------------------------------------------------


def test_a_second_signed_pre_command_for_one_request_is_refused() -> None:
    bed = make_testbed()
    result = bed.run("ESME", "TimeDebtRegister1")
    with pytest.raises(DuisError) as err:
        bed.dcc.command(result.request.request_id, result.signed_pre_command)
    assert err.value.code is ResponseCode.UNKNOWN_PRECOMMAND
    assert "already taken" in err.value.reason


def test_a_released_command_cannot_be_released_twice() -> None:
    table = ThresholdTable([Threshold(SUPPLIER, "2.4", "volume", 3600, 0)])
    bed = make_testbed(thresholds=table)
    held = bed.run("ESME", "TimeDebtRegister1")
    assert bed.release(held).response_code == "I0"
    with pytest.raises(ValidationError, match="no quarantined command"):
        bed.release(held)
    assert [n.event for n in bed.dcc.notifications(SUPPLIER)] == ["quarantined", "released"]


# --- 5. certificates --------------------------------------------------------------------


def _certificate(subject_id: str, *, role: str = "02", days: tuple[int, int] = (-1, 1),
                 key_of: str = SUPPLIER) -> x509.Certificate:
    """A certificate for ``key_of``'s key naming ``subject_id`` in ``role``, with the
    registered certificate's issuer and serial (so that the request's KeyInfo matches)."""
    key = load_private_key(PKI_DIR, key_of)
    ca = serialization.load_pem_private_key((PKI_DIR / "test-ca.key").read_bytes(), None)
    registered = load_certificate(PKI_DIR, SUPPLIER)
    now = DEFAULT_CLOCK
    name = x509.Name([
        x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x00" + bytes.fromhex(subject_id),
                           _type=x509.name._ASN1Type.BitString),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role),
    ])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(registered.issuer)
            .public_key(key.public_key()).serial_number(registered.serial_number)
            .not_valid_before(now + dt.timedelta(days=days[0]))
            .not_valid_after(now + dt.timedelta(days=days[1]))
            .add_extension(registered.extensions.get_extension_for_class(x509.KeyUsage).value,
                           critical=True)
            .sign(ca, hashes.SHA256()))


@pytest.mark.parametrize(("certificate", "reason"), [
    (_certificate(OTHER), "is issued to 90B3D51F30020000"),
    (_certificate(SUPPLIER, role="04"), "not SUPPLIER"),
    (_certificate(SUPPLIER, days=(-400, -30)), "is not valid at"),
    (_certificate(SUPPLIER, days=(10, 400)), "is not valid at"),
])
def test_the_dcc_checks_whose_certificate_it_verifies_with(certificate, reason) -> None:
    with pytest.raises(DuisError) as err:
        validate_request(SIGNED, certificate=certificate)
    assert err.value.code is ResponseCode.CERTIFICATE_REFUSED and reason in err.value.reason


def test_validity_is_checked_at_the_request_time_not_a_fixed_clock() -> None:
    later = DEFAULT_CLOCK + dt.timedelta(days=800)
    cert = _certificate(SUPPLIER, days=(-1, 400))
    assert _code(SIGNED, certificate=cert) is None
    assert _code(SIGNED, certificate=cert, clock=later) is ResponseCode.CERTIFICATE_REFUSED


def test_a_keyinfo_naming_another_certificate_is_refused() -> None:
    registered = load_certificate(PKI_DIR, SUPPLIER)
    serial = str(registered.serial_number).encode()
    tampered = SIGNED.replace(b"<ds:X509SerialNumber>" + serial,
                              b"<ds:X509SerialNumber>" + serial + b"1")
    assert _code(tampered) is ResponseCode.BAD_SIGNATURE
    assert "KeyInfo" in check_request(tampered).error.reason


# --- 6. files and the command line ----------------------------------------------------


def test_a_malformed_pem_in_keys_is_one_line_and_exit_2(tmp_path, capsys) -> None:
    for pem in PKI_DIR.glob("*.pem"):
        (tmp_path / pem.name).write_bytes(pem.read_bytes())
    (tmp_path / "90b3d51f30010000-ds.pem").write_text("-----BEGIN CERTIFICATE-----\nx\n")
    command = next(PKI_DIR.parent.glob("golden/GCS04b*TDR1_SUCCESS_COMMAND_GBCS.HEX"))
    assert main(["decode", str(command), "--keys", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "90b3d51f30010000-ds.pem" in err


def test_a_lone_surrogate_is_a_duis_error() -> None:
    assert check_request("<sr:Request>\ud800</sr:Request>").code is ResponseCode.MALFORMED_XML


def test_export_refuses_a_non_empty_folder_without_force(tmp_path, capsys) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    argv = ["export", "--keys", str(PKI_DIR), "--out", str(tmp_path)]
    assert main(argv) == 2 and "not empty" in capsys.readouterr().err
    assert main([*argv, "--force"]) == 0 and (tmp_path / "keep.txt").read_text() == "mine"


@pytest.fixture
def pack(tmp_path):
    out = tmp_path / "pack"
    assert main(["testpack", "--out", str(out)]) == 0
    return out


def _manifest(pack, change) -> None:
    path = pack / "manifest.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(("change", "message"), [
    (lambda m: m["files"].update({"/etc/hostname": "0" * 64}), "not a path inside"),
    (lambda m: m["files"].update({"../outside.txt": "0" * 64}), "leaves the pack folder"),
])
def test_testpack_check_refuses_paths_outside_the_pack(pack, capsys, change, message) -> None:
    _manifest(pack, change)
    assert main(["testpack", "--check", str(pack)]) == 2
    assert message in capsys.readouterr().err


def test_testpack_check_reports_unlisted_files_and_bad_encoding(pack, capsys) -> None:
    (pack / "samples" / "extra.hex").write_text("DF")
    assert main(["testpack", "--check", str(pack)]) == 2
    assert "does not list: samples/extra.hex" in capsys.readouterr().err
    (pack / "samples" / "extra.hex").unlink()
    (pack / "manifest.json").write_bytes(b"\xff\xfe{}")
    assert main(["testpack", "--check", str(pack)]) == 2
    assert re.search(r"manifest: not UTF-8", capsys.readouterr().err)


def test_run_takes_a_hand_edited_request_file(tmp_path, capsys) -> None:
    path = tmp_path / "request.xml"
    path.write_bytes(request_xml(make_request("GSME", "TimeDebtRegister2", 1000)))
    assert main(["run", "--request", str(path), "--json"]) == 0
    ok = json.loads(capsys.readouterr().out)
    assert (ok["outcome"], ok["response_code"], ok["after"]) == (Outcome.SUCCESS.value, "I0", 0)
    assert [s["actor"] for s in ok["steps"]][:2] == ["User", "DCC"]
    path.write_bytes(path.read_bytes().replace(b":1000<", b":1<!---->000<"))
    assert main(["run", "--request", str(path), "--json"]) == 1
    refused = json.loads(capsys.readouterr().out)
    assert (refused["outcome"], refused["response_code"]) == (
        Outcome.REFUSED.value,
        ResponseCode.UNSIGNED_CONTENT,
    )


# --- 7. what the meter itself records and says --------------------------------------


@pytest.mark.parametrize("device", list(Device))
def test_br4_the_meter_logs_each_write_and_its_verdict(device: Device) -> None:
    """BR-4: the stub's log shows the register before and after and the verdict it
    answered with: success for a register now zero, failure for a write that failed."""
    stub = make_testbed().stub(device)
    before = stub.state.time_debt_1
    assert stub.receive(_protected(SUPPLIER, device, 5_000)).response is not None
    assert stub.log[-1].endswith(f": {before} -> 0 (success)")
    stub.fault = True
    stub.state = dataclasses.replace(stub.state, time_debt_1=before)
    assert stub.receive(_protected(SUPPLIER, device, 5_001)).response is not None
    assert stub.log[-1].endswith(f": {before} -> {before} (failure)")
    assert stub.state.time_debt_1 == before


@pytest.mark.parametrize("device", list(Device))
def test_sr4_an_alert_names_the_meter_and_what_it_refused(device: Device) -> None:
    """SR-4: a meter from before the Release raises an alert naming itself and the
    message code it does not support, and logs it; an unprotected message is refused
    as not a command, with nothing more to say."""
    from specpkg.system.variants import PRE_RELEASE

    stub = make_testbed(version=PRE_RELEASE).stub(device)
    reply = stub.receive(_protected(SUPPLIER, device, 5_000))
    code = reset_messages.message_codes()[device]
    assert reply.response is None
    assert reply.alert == type(reply.alert)(stub.device_id, AlertKind.NOT_SUPPORTED,
                                            f"message code {code:#06x}")
    assert stub.log[-1] == f"alert: {AlertKind.NOT_SUPPORTED.value} message code {code:#06x}"
    pre = reset_messages.pre_command(device, DebtRegister.TIME_DEBT_1, SUPPLIER,
                                     DEVICE_IDS[device], 5_001, DEFAULT_CLOCK)
    bare = stub.receive(messages.encode_apdu(pre)).alert
    assert (bare.kind, bare.detail, bare.device_id) == (AlertKind.NOT_A_COMMAND, "",
                                                        stub.device_id)
    assert stub.log[-1] == f"alert: {AlertKind.NOT_A_COMMAND.value}"


def test_a_change_of_supplier_is_what_the_meter_then_names_as_its_supplier() -> None:
    bed = make_testbed()
    stub = bed.stub("GSME")
    assert stub.supplier == SUPPLIER
    bed.change_supplier("GSME", OTHER.lower())
    assert stub.supplier == OTHER
    assert stub.credentials.party(RemotePartyRole.SUPPLIER) == OTHER
    assert stub.credentials.party(RemotePartyRole.NETWORK_OPERATOR) is None


def test_a_meter_without_its_signing_key_cannot_answer(tmp_path) -> None:
    """The meter signs every answer with its own ds key; without one it says which key
    is missing instead of answering unsigned."""
    import shutil

    stub = make_testbed().stub("ESME")
    own_ds_key = f"{stub.device_id.lower()}-ds.key"
    for path in PKI_DIR.glob("*.*"):
        if path.name != own_ds_key:
            shutil.copy(path, tmp_path / path.name)
    stub.keys = Keys(tmp_path)
    with pytest.raises(ValidationError) as info:
        stub.receive(_protected(SUPPLIER, Device.ESME, 5_000))
    assert info.value.field == "keys" and stub.device_id in info.value.reason


# --- 8. the meter's trust anchors (SR-3) ----------------------------------------------


def _pki_without(folder, *names: str) -> Keys:
    """A copy of the test PKI in ``folder`` without the files ``names``."""
    import shutil

    folder.mkdir()
    for path in PKI_DIR.glob("*.*"):
        if path.name not in names:
            shutil.copy(path, folder / path.name)
    return Keys(folder)


def test_sr3_an_anchor_needs_at_least_one_certificate_of_the_party(tmp_path) -> None:
    """SR-3: commissioning installs a party with its signing or its key agreement
    certificate (or both); a party with neither is refused, naming it."""
    from specpkg.system.trust import anchor_from

    party = OTHER.lower()
    keys = _pki_without(tmp_path / "no-ka", f"{party}-ka.pem", f"{party}-ka.key")
    cell = anchor_from(keys, RemotePartyRole.SUPPLIER, OTHER)
    assert (cell.role, cell.entity_id) == (RemotePartyRole.SUPPLIER, OTHER)
    assert cell.signing_key is not None and cell.key_agreement_key is None
    operator = "90B3D51F30040000"  # the test Electricity Distributor: a Network Operator
    only_ka = _pki_without(tmp_path / "no-ds", f"{operator.lower()}-ds.pem",
                           f"{operator.lower()}-ds.key")
    cell = anchor_from(only_ka, RemotePartyRole.NETWORK_OPERATOR, operator)
    assert cell.signing_key is None and cell.key_agreement_key is not None
    assert cell.role is RemotePartyRole.NETWORK_OPERATOR
    with pytest.raises(ValidationError) as err:
        anchor_from(KEYS, RemotePartyRole.SUPPLIER, "00000000000000AB")
    assert err.value.field == "party" and "00000000000000AB" in err.value.reason


def test_sr3_commissioning_installs_each_anchor_in_its_own_cell() -> None:
    from specpkg.system.trust import DeviceCredentials

    device = DEVICE_IDS[Device.GSME].lower()
    credentials = DeviceCredentials.commissioned(device, KEYS, supplier=SUPPLIER)
    assert credentials.device_id == device.upper()
    assert {role: cell.role for role, cell in credentials.anchors.items()} == {
        RemotePartyRole.ACCESS_CONTROL_BROKER: RemotePartyRole.ACCESS_CONTROL_BROKER,
        RemotePartyRole.SUPPLIER: RemotePartyRole.SUPPLIER}
    credentials.replace(RemotePartyRole.SUPPLIER, OTHER, KEYS)
    assert credentials.anchors[RemotePartyRole.SUPPLIER].role is RemotePartyRole.SUPPLIER


@pytest.mark.parametrize("floor", [-1, True, 1.5, "3"])
def test_a_change_of_supplier_with_a_floor_that_is_no_counter_is_refused(floor) -> None:
    """CS02b's newRemotePartyFloorSeqNumber is a counter: anything else is refused naming
    it, and the cell keeps its party; a floor of 0 is a counter and is installed."""
    from specpkg.system.trust import DeviceCredentials

    credentials = DeviceCredentials.commissioned(DEVICE_IDS[Device.ESME], KEYS,
                                                 supplier=SUPPLIER)
    with pytest.raises(ValidationError) as err:
        credentials.replace(RemotePartyRole.SUPPLIER, OTHER, KEYS, floor=floor)
    assert (err.value.field, err.value.reason) == ("floor",
                                                   f"must be a counter >= 0, got {floor!r}")
    assert credentials.party(RemotePartyRole.SUPPLIER) == SUPPLIER
    credentials.replace(RemotePartyRole.SUPPLIER, OTHER, KEYS, floor=0)
    assert credentials.party(RemotePartyRole.SUPPLIER) == OTHER
    assert credentials.counters[RemotePartyRole.SUPPLIER] == 0


def test_sr3_no_mac_check_without_the_acb_anchor_or_the_meters_own_key(tmp_path) -> None:
    """SR-3: a meter with no Access Control Broker anchor, or without its own key
    agreement key, cannot check a MAC and refuses every command as such."""
    from specpkg.system.trust import CredentialRefusal, DeviceCredentials

    command = messages.decode(_protected(SUPPLIER, Device.ESME, 5_000))
    device = DEVICE_IDS[Device.ESME]
    bare = DeviceCredentials(device, KEYS)
    assert bare.check_supplier_command(command) == (CredentialRefusal.BAD_MAC,
                                                    "no Access Control Broker anchor")
    keys = _pki_without(tmp_path / "pki", f"{device.lower()}-ka.key")
    no_own = DeviceCredentials.commissioned(device, keys, supplier=SUPPLIER)
    refused = no_own.check_supplier_command(command)
    assert refused is not None and refused[0] is CredentialRefusal.BAD_MAC


def test_sr4_every_alert_carries_what_the_meter_found() -> None:
    """Undecodable bytes, a command for another meter and a replay each raise the alert of
    that kind, naming the decoding fault, the addressee or the counters."""
    bed = make_testbed()
    stub = bed.stub("ESME")
    garbled = stub.receive(b"\xdd\x00").alert
    assert garbled.kind is AlertKind.MALFORMED and garbled.detail and garbled.detail != "None"
    for_gas = bed.stub("GSME").receive(_protected(SUPPLIER, Device.ESME, 5_000)).alert
    assert (for_gas.kind, for_gas.detail) == (AlertKind.NOT_FOR_ME, DEVICE_IDS[Device.ESME])
    command = _protected(SUPPLIER, Device.ESME, 5_000)
    stub.receive(command)
    replay = stub.receive(command).alert
    assert (replay.kind, replay.detail) == (AlertKind.REPLAY, "5000 <= 5000")


def test_a_stub_holds_the_state_of_its_own_device_and_its_acb() -> None:
    """A stub is commissioned with the ACB it is given, and refuses a state of the other
    fuel's meter."""
    from specpkg.meter.simulation import example_meter
    from specpkg.system.meters import MeterStub

    gas_id = DEVICE_IDS[Device.GSME]
    acb = "90B3D51F30000002"
    stub = MeterStub(gas_id, "GSME", example_meter("GSME"), KEYS, acb_id=acb,
                     supplier=SUPPLIER)
    assert stub.credentials.party(RemotePartyRole.ACCESS_CONTROL_BROKER) == acb
    with pytest.raises(ValidationError) as err:  # a Supplier's certificate is not an ACB's
        MeterStub(gas_id, "GSME", example_meter("GSME"), KEYS, acb_id=OTHER, supplier=SUPPLIER)
    assert "issued for SUPPLIER, not ACCESS_CONTROL_BROKER" in err.value.reason
    with pytest.raises(ValidationError) as err:
        MeterStub(gas_id, "GSME", example_meter("ESME"), KEYS)
    assert err.value.field == "state" and "ESME" in err.value.reason


@pytest.mark.parametrize("device", list(Device))
def test_ma5_a_meter_that_checks_the_payload_refuses_a_non_zero_reset_whole(device) -> None:
    """MA-5 (meter_checks_payload): a reset command that writes 500 is not executed; the
    meter answers failure for it, signed, and logs why; the register is untouched."""
    from specpkg.gbcs import dlms, gbz
    from specpkg.system.assumptions import Assumptions

    stub = make_testbed(assumptions=Assumptions(meter_checks_payload=True)).stub(device)
    before = stub.state
    pre = reset_messages.pre_command(device, DebtRegister.TIME_DEBT_1, SUPPLIER,
                                     DEVICE_IDS[device], 5_000, DEFAULT_CLOCK)
    if device is Device.ESME:
        (spec,) = pre.payload.specs
        payload = dlms.AccessRequest(pre.payload.invoke_id, (spec,), (dlms.double_long(500),))
    else:
        (component,) = pre.payload.components
        change = dataclasses.replace(component.frame.payload, debt_amount=500)
        payload = gbz.Gbz((gbz.change_debt_component(change, 0, True),))
    apdu = dataclasses.replace(pre, payload=payload)
    reply = stub.receive(messages.encode(messages.protect(apdu, KEYS, SUPPLIER)))
    answer = messages.decode(reply.response)
    assert messages.check_signature(answer, KEYS.public_key(stub.device_id, "ds")) is (
        messages.Check.VALID)
    assert reset_messages.response_success(answer) is False
    assert len(messages.response_results(answer)) == 1
    assert stub.state == before
    assert stub.log[-1].startswith("refused payload: ") and len(stub.log[-1]) > 20


def _named(unique: bytes, role: str | None) -> x509.Certificate:
    """A certificate whose subject holds ``unique`` as x500UniqueIdentifier (and ``role``)."""
    ca = load_private_key(PKI_DIR, "90B3D51F30000003")
    attributes = [x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, unique,
                                     _type=x509.name._ASN1Type.BitString)]
    if role is not None:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role))
    return (x509.CertificateBuilder().subject_name(x509.Name(attributes))
            .issuer_name(load_certificate(PKI_DIR, SUPPLIER).issuer)
            .public_key(ca.public_key()).serial_number(7)
            .not_valid_before(DEFAULT_CLOCK).not_valid_after(DEFAULT_CLOCK)
            .sign(ca, hashes.SHA256()))


def test_sr3_a_certificate_names_its_holder_by_an_8_byte_id_and_a_known_role() -> None:
    """SR-3: the subject's x500UniqueIdentifier is the 8-byte entity id (a bit string with
    its leading unused-bits byte, or the 8 bytes alone); the OU is the Remote Party Role,
    if any. Another length, or an unknown role, is refused naming the certificate."""
    from specpkg.gbcs.credentials import Holder, holder

    entity = bytes.fromhex(SUPPLIER)
    assert holder(_named(b"\x00" + entity, "02")) == Holder(SUPPLIER, RemotePartyRole.SUPPLIER)
    assert holder(_named(entity, None)) == Holder(SUPPLIER, None)
    for unique, role in ((entity[:7], "02"), (b"\x00" + entity + b"\x01", "02"),
                         (b"\x00" + entity, "zz"), (b"\x00" + entity, "7e")):
        with pytest.raises(ValidationError) as err:
            holder(_named(unique, role))
        assert err.value.field == "certificate" and isinstance(err.value.reason, str)
        assert err.value.reason


@pytest.mark.parametrize(("register", "value"), [(DebtRegister.TIME_DEBT_1, None), (None, 0)])
def test_br1_a_reset_operation_without_both_a_register_and_a_value_is_not_executed(
        register, value) -> None:
    """BR-1: a reset is one register write of a value; an operation that names a register
    but no value, or a value but no register, is not executed and the meter logs why."""
    from specpkg.gbcs.reset_messages import Operation

    stub = make_testbed().stub(Device.ESME)
    before = stub.state
    assert stub._apply(Operation("half a write", register, value, absolute=True),
                       is_reset=True) is False
    assert stub.log[-1] == "cannot execute: half a write" and stub.state == before
