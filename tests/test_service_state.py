"""The test service keeps its state in its store (issue 20): restarted mid-flow it loses
and repeats nothing; replayed and out-of-order command variants are refused; a receiver
that is down gets its messages when it is back; concurrent Users each get one answer."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time

import httpx

from specpkg.duis.codes import ResponseCode
from specpkg.meter.registers import DebtRegister, Device
from specpkg.service import messages
from specpkg.service.app import start
from specpkg.service.client import XML_HEADERS, Receiver, UserSystem
from specpkg.service.config import DeliveryConfig, load_config
from specpkg.service.delivery import backoff
from specpkg.system.flow import DEVICE_IDS
from specpkg.system.user import User
from specpkg.testing.roles import UserRole
from specpkg.testing.testrun import ROLE_USER_IDS

IS, GS = ROLE_USER_IDS[UserRole.IS], ROLE_USER_IDS[UserRole.GS]
ESME = DEVICE_IDS[Device.ESME]
FAST = DeliveryConfig(first_retry_seconds=0.05, max_retry_seconds=0.2, max_attempts=400)


def _config(tmp_path, receiver_url: str, delivery: DeliveryConfig = FAST):
    config = dataclasses.replace(load_config(), database=tmp_path / "state.sqlite",
                                 delivery=delivery)
    return config.with_receiver(receiver_url)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: bytes) -> bytes:
    reply = httpx.post(url, content=body, headers=XML_HEADERS, timeout=10)
    assert reply.status_code == 200
    return reply.content


def _code(service, data: bytes) -> str:
    return messages.read_signed(data, keys_dir=service.keys_dir,
                                signer_id=service.signer_id).code


def _cv5(user: User, request, reply: bytes, keys_dir) -> bytes:
    doc = messages.read_signed(reply, keys_dir=keys_dir, signer_id="90B3D51F30000003")
    signed = user.sign(user.correlate(request, doc.payload))
    return messages.signed_pre_command_request(request.request_id, signed, keys_dir=keys_dir,
                                               user_id=user.user_id)


def _wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_restart_mid_flow_loses_and_repeats_nothing(tmp_path):
    receiver = Receiver().start()
    try:
        service, server = start(_config(tmp_path, receiver.url))
        user = User(IS, next_counter=100)
        request, xml = user.request(Device.ESME, DebtRegister.TIME_DEBT_1, ESME)
        reply = _post(server.url + "/api/v1/serviceT", xml)
        cv5 = _cv5(user, request, reply, service.keys_dir)
        server.stop()
        service.close()
        # a new process on the same store: the Pre-Command it issued is still in flight
        service, server = start(_config(tmp_path, receiver.url))
        assert service.replayed == 1
        assert _code(service, _post(server.url + "/api/v1/serviceS", cv5)) == "I99"
        got = receiver.wait(request.request_id)
        assert [d.code for d, _ in got] == [ResponseCode.SUCCESS.value]
        server.stop()
        service.close()
        service, server = start(_config(tmp_path, receiver.url))
        # no replay after a restart: the request, its command, nor its answer
        assert _code(service, _post(server.url + "/api/v1/serviceT", xml)) == \
            ResponseCode.COUNTER_NOT_INCREASING.value
        assert _code(service, _post(server.url + "/api/v1/serviceS", cv5)) == \
            ResponseCode.UNKNOWN_PRECOMMAND.value
        time.sleep(0.3)
        assert len(receiver.messages[request.request_id]) == 1
        # the meter's own state came back too: the next request executes once
        nxt, xml2 = user.request(Device.ESME, DebtRegister.TIME_DEBT_2, ESME)
        cv5b = _cv5(user, nxt, _post(server.url + "/api/v1/serviceT", xml2), service.keys_dir)
        _post(server.url + "/api/v1/serviceS", cv5b)
        assert [d.code for d, _ in receiver.wait(nxt.request_id)] == [
            ResponseCode.SUCCESS.value]
        server.stop()
        service.close()
    finally:
        receiver.stop()


def test_out_of_order_and_replayed_command_variants_are_refused(tmp_path):
    receiver = Receiver().start()
    service, server = start(_config(tmp_path, receiver.url))
    try:
        user = User(IS, next_counter=200)
        _, xml1 = user.request(Device.ESME, DebtRegister.TIME_DEBT_1, ESME)
        second, xml2 = user.request(Device.ESME, DebtRegister.TIME_DEBT_2, ESME)
        # command variant 5 before its command variant 4
        early = messages.signed_pre_command_request(second.request_id, b"\x00" * 8,
                                                    keys_dir=service.keys_dir, user_id=IS)
        assert _code(service, _post(server.url + "/api/v1/serviceS", early)) == \
            ResponseCode.UNKNOWN_PRECOMMAND.value
        # the later counter first, then the earlier one: refused, not increasing
        reply2 = _post(server.url + "/api/v1/serviceT", xml2)
        assert _code(service, _post(server.url + "/api/v1/serviceT", xml1)) == \
            ResponseCode.COUNTER_NOT_INCREASING.value
        cv5 = _cv5(user, second, reply2, service.keys_dir)
        assert _code(service, _post(server.url + "/api/v1/serviceS", cv5)) == "I99"
        assert _code(service, _post(server.url + "/api/v1/serviceS", cv5)) == \
            ResponseCode.UNKNOWN_PRECOMMAND.value
        # the Signed Pre-Command of another request under this RequestID: MA-1 refuses it
        third, xml3 = user.request(Device.ESME, DebtRegister.PAYMENT_DEBT, ESME)
        _post(server.url + "/api/v1/serviceT", xml3)
        doc = messages.read_signed(cv5, keys_dir=service.keys_dir, signer_id=IS)
        swapped = messages.signed_pre_command_request(third.request_id, doc.payload,
                                                      keys_dir=service.keys_dir, user_id=IS)
        assert _code(service, _post(server.url + "/api/v1/serviceS", swapped)) == "I99"
        got = receiver.wait(third.request_id)
        assert [d.code for d, _ in got] == [ResponseCode.SIGNED_PRECOMMAND_MISMATCH.value]
        assert [d.code for d, _ in receiver.wait(second.request_id)] == ["I0"]
    finally:
        server.stop()
        service.close()
        receiver.stop()


def test_receiver_down_then_back_gets_each_message_once_across_a_restart(tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/smartdcc/duis"
    service, server = start(_config(tmp_path, url))
    user = UserSystem(IS, server.url, None, counter=300)
    sent = [user.reset(Device.ESME, r, ESME, wait=False) for r in DebtRegister]
    _wait(lambda: all(r["attempts"] >= 2 for r in service.store.rows("deliveries")))
    assert {r["state"] for r in service.store.rows("deliveries")} == {"queued"}
    server.stop()
    service.close()
    receiver = Receiver().start(port=port)
    try:
        service, server = start(_config(tmp_path, url))
        _wait(lambda: service.store.counts("deliveries", "state") == {"delivered": 3})
        for exchange in sent:
            assert [d.code for d, _ in receiver.wait(exchange.request_id)] == ["I0"]
        time.sleep(0.3)
        assert sum(len(v) for v in receiver.messages.values()) == 3
        server.stop()
        service.close()
    finally:
        receiver.stop()
        user.close()


def test_a_receiver_that_never_answers_leaves_the_response_listed_undeliverable(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}/smartdcc/duis"
    config = _config(tmp_path, url, DeliveryConfig(0.01, 0.02, max_attempts=3))
    service, server = start(config)
    try:
        user = UserSystem(IS, server.url, None, counter=400)
        exchange = user.reset(Device.ESME, DebtRegister.TIME_DEBT_1, ESME, wait=False)
        _wait(lambda: service.store.counts("deliveries", "state") == {"undeliverable": 1})
        listed = httpx.get(server.url + "/admin/deliveries?state=undeliverable").json()
        assert [(r["request_id"], r["attempts"]) for r in listed] == [(exchange.request_id, 3)]
        receiver = Receiver().start()
        reply = httpx.post(server.url + f"/admin/deliveries/{listed[0]['id']}/requeue",
                           params={"url": receiver.url})
        assert reply.status_code == 200
        assert [d.code for d, _ in receiver.wait(exchange.request_id)] == ["I0"]
        receiver.stop()
        user.close()
    finally:
        server.stop()
        service.close()


def test_backoff_doubles_up_to_its_cap():
    config = DeliveryConfig(first_retry_seconds=0.5, max_retry_seconds=3.0)
    assert [backoff(config, n) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_concurrent_users_each_get_exactly_one_answer_per_request(tmp_path):
    receiver = Receiver().start()
    service, server = start(_config(tmp_path, receiver.url))
    results: dict[str, list] = {}

    def run(user_id: str, device: Device) -> None:
        user = UserSystem(user_id, server.url, receiver, counter=1_000)
        results[user_id] = [user.reset(device, r, DEVICE_IDS[device]).code
                            for r in (*DebtRegister, *DebtRegister)]
        user.close()

    try:
        threads = [threading.Thread(target=run, args=a) for a in
                   ((IS, Device.ESME), (GS, Device.GSME))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert results == {IS: ["I0"] * 6, GS: ["I0"] * 6}
        assert sorted(len(v) for v in receiver.messages.values()) == [1] * 12
        assert service.store.counts("requests", "state") == {"answered": 12}
    finally:
        server.stop()
        service.close()
        receiver.stop()
