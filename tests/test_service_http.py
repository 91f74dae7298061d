"""The test service over real HTTP on 127.0.0.1 (issue 20): the one DCC model behind
DCC Boxed's paths. Every device x register x mode gets the flow's answer; each refusal
is a DUIS error (or a 4xx), never a 500; quarantine, release and reject (TR-10)."""

from __future__ import annotations

import dataclasses
import time

import httpx
import pytest

from specpkg.duis.codes import Outcome, ResponseCode
from specpkg.meter.registers import DebtRegister, Device, PaymentMode
from specpkg.service import messages
from specpkg.service.app import start
from specpkg.service.client import XML_HEADERS, Receiver, UserSystem
from specpkg.service.config import load_config
from specpkg.system.flow import DEVICE_IDS, make_testbed
from specpkg.system.user import User
from specpkg.testing.roles import UserRole
from specpkg.testing.testrun import ROLE_USER_IDS

IS, GS = ROLE_USER_IDS[UserRole.IS], ROLE_USER_IDS[UserRole.GS]
SUPPLIER = {Device.ESME: IS, Device.GSME: GS}


def config_for(tmp_path, receiver: str | None, mode: str = "prepayment"):
    base = load_config()
    devices = tuple(dataclasses.replace(d, mode=mode) for d in base.devices)
    config = dataclasses.replace(base, database=tmp_path / "state.sqlite", devices=devices)
    return config.with_receiver(receiver) if receiver else config


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def running(tmp_path, receiver):
    service, server = start(config_for(tmp_path, receiver.url))
    yield service, server
    server.stop()
    service.close()


def post(url: str, body: bytes, headers=XML_HEADERS) -> httpx.Response:
    return httpx.post(url, content=body, headers=headers, timeout=10)


def code_of(reply: httpx.Response, service) -> str:
    assert reply.status_code == 200, reply.text
    return messages.read_signed(reply.content, keys_dir=service.keys_dir,
                                signer_id=service.signer_id).code


@pytest.mark.parametrize("mode", list(PaymentMode), ids=str)
def test_every_device_and_register_gets_the_flows_answer_over_http(tmp_path, receiver, mode):
    service, server = start(config_for(tmp_path, receiver.url, mode.value))
    try:
        bed = make_testbed(mode)
        bed.change_supplier(Device.GSME, GS)
        for device in Device:
            user = UserSystem(SUPPLIER[device], server.url, receiver, counter=5000)
            in_process = User(SUPPLIER[device], next_counter=5000)
            for register in DebtRegister:
                got = user.reset(device, register, DEVICE_IDS[device])
                expected = bed.run(device, register, user=in_process)
                assert (got.outcome, got.code) == (expected.outcome.value,
                                                   expected.response_code)
                assert got.code == ResponseCode.SUCCESS.value
                assert len(receiver.messages[got.request_id]) == 1
            user.close()
    finally:
        server.stop()
        service.close()


def _request(device=Device.ESME, register=DebtRegister.PAYMENT_DEBT, user_id=IS,
             device_id=None, counter=7000):
    user = User(user_id, next_counter=counter)
    return user.request(device, register, device_id or DEVICE_IDS[device])


def _unsigned(xml: bytes) -> bytes:
    start = xml.index(b"<ds:Signature")
    return xml[:start] + xml[xml.index(b"</ds:Signature>") + len(b"</ds:Signature>"):]


def _tampered(xml: bytes) -> bytes:
    return xml.replace(b"PaymentDebtRegister", b"TimeDebtRegister1")


REFUSALS = {
    "unsigned": (lambda: _unsigned(_request()[1]), ResponseCode.BAD_SIGNATURE),
    "bad signature": (lambda: _tampered(_request()[1]), ResponseCode.BAD_SIGNATURE),
    "too large": (lambda: b"<a>" + b"x" * 100_000 + b"</a>", ResponseCode.TOO_LARGE),
    "not XML": (lambda: b"\xff\xfe<<", ResponseCode.MALFORMED_XML),
    "not the registered Supplier": (lambda: _request(user_id=GS)[1],
                                    ResponseCode.NOT_REGISTERED_SUPPLIER),
    "not a meter": (lambda: _request(device_id="00DB1234567890D0")[1],
                    ResponseCode.WRONG_DEVICE_TYPE),
    "unknown device": (lambda: _request(device_id="00DB1234567890FF")[1],
                       ResponseCode.UNKNOWN_DEVICE),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_each_refusal_of_the_transform_service_is_its_duis_error(running, name):
    service, server = running
    make, code = REFUSALS[name]
    assert code_of(post(server.url + "/api/v1/serviceT", make()), service) == code.value


def test_refusals_without_a_duis_answer_are_4xx_never_500(running):
    _, server = running
    _, xml = _request()
    for path in ("/api/v1/serviceT", "/api/v1/serviceS"):
        assert post(server.url + path, xml, {"Content-Type": "text/plain"}).status_code == 415
        assert post(server.url + path, xml, {}).status_code == 415
    assert httpx.get(server.url + "/api/v1/serviceT").status_code == 405
    reply = httpx.post(server.url + "/admin/quarantine/nothing/release")
    assert reply.status_code == 409
    reply = httpx.put(server.url + f"/admin/thresholds/{IS}", content=b"[{}]")
    assert reply.status_code == 400


def test_wrong_service_and_variant_are_refused(running):
    service, server = running
    request, xml = _request()
    assert code_of(post(server.url + "/api/v1/serviceD", xml), service) == \
        ResponseCode.WRONG_SERVICE_REFERENCE.value
    cv5 = messages.signed_pre_command_request(request.request_id, b"\x00", user_id=IS,
                                              keys_dir=service.keys_dir)
    assert code_of(post(server.url + "/api/v1/serviceT", cv5), service) == \
        ResponseCode.SCHEMA_INVALID.value
    assert code_of(post(server.url + "/api/v1/serviceS", xml), service) == \
        ResponseCode.SCHEMA_INVALID.value


def test_quarantine_is_notified_then_released_or_rejected(running, receiver):
    service, server = running
    user = UserSystem(IS, server.url, receiver, counter=9000)
    user.set_thresholds([{"service_reference": "2.4", "kind": "volume",
                          "window_seconds": 3600, "limit": 1}])
    first = user.reset(Device.ESME, DebtRegister.TIME_DEBT_1, DEVICE_IDS[Device.ESME])
    assert first.code == ResponseCode.SUCCESS.value
    held = user.reset(Device.ESME, DebtRegister.TIME_DEBT_2, DEVICE_IDS[Device.ESME])
    assert held.code is None and [a.body for a in held.alerts] == ["DCCAlertMessage"]
    assert held.alerts[0].quarantine_ref == str(9001)
    assert service.store.request(held.request_id)["state"] == "quarantined"
    user.decide(held, "release")
    user.await_answer(held)
    assert held.code == ResponseCode.SUCCESS.value
    third = user.reset(Device.ESME, DebtRegister.PAYMENT_DEBT, DEVICE_IDS[Device.ESME])
    assert len(third.alerts) == 1 and third.code is None
    user.decide(third, "reject")
    user.await_answer(third)
    assert (third.code, third.outcome) == (ResponseCode.QUARANTINED.value,
                                           Outcome.REJECTED_BY_USER.value)
    with pytest.raises(Exception, match="409"):
        user.decide(third, "release")
    decisions = {r["request_id"]: r["decision"] for r in service.store.rows("quarantine")}
    assert decisions == {held.request_id: "released", third.request_id: "rejected"}
    user.close()


def test_mangled_requests_get_a_signed_duis_error_never_a_500(running):
    """Byte flips, truncations and junk at every part of a valid request, to both
    services: each reply is a DUIS response the DCC signed (or 415), never a 500."""
    service, server = running
    request, xml = _request(counter=8000)
    reply = post(server.url + "/api/v1/serviceT", xml)
    doc = messages.read_signed(reply.content, keys_dir=service.keys_dir,
                               signer_id=service.signer_id)
    user = User(IS)
    cv5 = messages.signed_pre_command_request(
        request.request_id, user.sign(user.correlate(request, doc.payload)),
        keys_dir=service.keys_dir, user_id=IS)
    for path, body in (("/api/v1/serviceT", xml), ("/api/v1/serviceS", cv5)):
        for n in range(0, len(body), max(1, len(body) // 24)):
            for mangled in (body[:n] + bytes([body[n] ^ 0x5A]) + body[n + 1:], body[:n],
                            body[:n] + b"<!ENTITY x 'y'>" + body[n:]):
                reply = post(server.url + path, mangled,
                             {"Content-Type": "application/xml; charset=utf-8"})
                assert reply.status_code == 200, (path, n, reply.text[:200])
                code = code_of(reply, service)
                assert code != ResponseCode.SUCCESS.value or mangled == body
    # the unmangled command variant 5 was never among them: the request is still in flight
    assert service.store.request(request.request_id)["state"] == "pre-command issued"


def test_a_receiver_that_refuses_a_message_with_400_leaves_it_undeliverable(tmp_path):
    """The receiver checks the DCC's signature with another certificate: it answers 400,
    and the Service Response is listed undeliverable at once, not sent again."""
    refusing = Receiver(dcc_signer=IS).start()
    service, server = start(config_for(tmp_path, refusing.url))
    try:
        user = UserSystem(IS, server.url, None, counter=100)
        exchange = user.reset(Device.ESME, DebtRegister.TIME_DEBT_1, DEVICE_IDS[Device.ESME],
                              wait=False)
        deadline = time.monotonic() + 10
        while service.store.counts("deliveries", "state") != {"undeliverable": 1}:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        (row,) = service.store.rows("deliveries")
        assert (row["request_id"], row["attempts"]) == (exchange.request_id, 1)
        assert "400" in row["last_error"] and len(refusing.refused) == 1
        user.close()
    finally:
        server.stop()
        service.close()
        refusing.stop()


def test_a_release_after_a_later_command_is_answered_as_the_meter_refuses_it(running, receiver):
    """F-76 over HTTP: a quarantined reset released after a later reset from the same
    Supplier reached the meter is dead on arrival; the DCC counts it, the User gets the
    meter's refusal, not a success, and the register the later reset cleared stays so."""
    service, server = running
    user = UserSystem(IS, server.url, receiver, counter=9500)
    user.set_thresholds([{"service_reference": "2.4", "kind": "volume",
                          "window_seconds": 3600, "limit": 0}])
    held = user.reset(Device.ESME, DebtRegister.TIME_DEBT_1, DEVICE_IDS[Device.ESME])
    assert held.code is None and held.alerts
    user.set_thresholds([{"service_reference": "2.4", "kind": "volume",
                          "window_seconds": 3600, "limit": 100}])
    later = user.reset(Device.ESME, DebtRegister.TIME_DEBT_2, DEVICE_IDS[Device.ESME])
    assert later.code == ResponseCode.SUCCESS.value
    user.decide(held, "release")
    user.await_answer(held)
    assert held.code not in (None, ResponseCode.SUCCESS.value)
    assert service.dcc.stale_released == 1
    assert service.store.request(held.request_id)["state"] == "answered"
    user.close()


def test_the_service_keeps_nothing_of_a_request_once_it_is_answered(running, receiver):
    """Bounded state (issue 18): an answered request leaves only its row in the store;
    the model's histories stay within the service's retention."""
    from specpkg.service.core import SERVICE_RETENTION

    service, server = running
    user = UserSystem(IS, server.url, receiver, counter=9700)
    for register in DebtRegister:
        assert user.reset(Device.ESME, register, DEVICE_IDS[Device.ESME]).code == "I0"
    assert service._requests == {}
    states = [row["state"] for row in service.store.rows("requests")]
    assert states == ["answered"] * len(DebtRegister)
    assert service.dcc.retention is SERVICE_RETENTION and SERVICE_RETENTION.keep
    user.close()
