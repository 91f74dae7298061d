"""The User side: a User System that talks to the test service (or DCC Boxed) over HTTP.

:class:`UserSystem` does what a Supplier's adapter does for a Critical Service
Request: build and sign the request (:class:`specpkg.system.user.User`), send it
to the Transform Service (command variant 4), check the DCC's signature on the
reply, correlate the Pre-Command against the request (Parse and Correlate), sign
it, send it to the Send Command Service (command variant 5), and wait at its own
Receive Response Service (:class:`Receiver`, DCC Boxed's path ``/smartdcc/duis``)
for the asynchronous Service Response or a DCC Alert. Every message of the
exchange is kept, in order, in :class:`Exchange`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from specpkg.duis.codes import Outcome, ResponseCode, outcome_of
from specpkg.duis.reset_request import DEFAULT_CLOCK
from specpkg.duis.responses import DCC_SIGNER_ID
from specpkg.errors import SpecError, ValidationError
from specpkg.meter.registers import DebtRegister, Device
from specpkg.paths import PKI_DIR
from specpkg.service import messages
from specpkg.service.config import RECEIVER_PATH
from specpkg.service.runner import ServerThread
from specpkg.system.user import CorrelationError, User

XML_HEADERS = {"Content-Type": "application/xml"}


class Receiver:
    """A User's Receive Response Service: checks the DCC's signature on each message,
    answers 204 (or 400 for one it refuses) and keeps them by RequestID."""

    def __init__(self, *, keys_dir: Path = PKI_DIR, dcc_signer: str = DCC_SIGNER_ID,
                 at: datetime = DEFAULT_CLOCK, path: str = RECEIVER_PATH) -> None:
        self.keys_dir, self.dcc_signer, self.at, self.path = keys_dir, dcc_signer, at, path
        self.messages: dict[str, list[tuple[messages.Document, bytes]]] = {}
        self.refused: list[str] = []
        self._cond = threading.Condition()
        self._server: ServerThread | None = None
        self.app = Starlette(routes=[Route(path, self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        try:
            doc = messages.read_signed(body, keys_dir=self.keys_dir, signer_id=self.dcc_signer,
                                       at=self.at)
        except ValidationError as exc:
            self.refused.append(str(exc))
            return PlainTextResponse(str(exc), status_code=400)
        with self._cond:
            self.messages.setdefault(doc.request_id.upper(), []).append((doc, body))
            self._cond.notify_all()
        return Response(status_code=204)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Receiver:
        self._server = ServerThread(self.app, host, port).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise SpecError("the receiver is not running")
        return self._server.url + self.path

    def wait(self, request_id: str, count: int = 1, timeout: float = 10.0) -> list:
        """The first ``count`` messages for ``request_id`` (fewer after ``timeout``)."""
        key = request_id.upper()
        with self._cond:
            self._cond.wait_for(lambda: len(self.messages.get(key, [])) >= count, timeout)
            return list(self.messages.get(key, []))


@dataclass
class Exchange:
    """One request's messages over HTTP and how it ended."""

    request_id: str
    messages: list[tuple[str, bytes]] = field(default_factory=list)
    code: str | None = None
    outcome: str | None = None
    alerts: list[messages.Document] = field(default_factory=list)
    #: The User's decision on its quarantined command: "release" or "reject".
    decision: str | None = None

    def add(self, label: str, data: bytes) -> None:
        self.messages.append((label, data))

    def rows(self) -> list[dict[str, str]]:
        """One row per message, in order: who sent it to whom, and what it is."""
        return [{"step": label, **messages.summary(data)} for label, data in self.messages]


@dataclass
class UserSystem:
    """A Supplier's system as a DCC User: sends resets to ``dcc_url``."""

    user_id: str
    dcc_url: str
    receiver: Receiver | None = None
    keys_dir: Path = PKI_DIR
    dcc_signer: str = DCC_SIGNER_ID
    counter: int | None = None
    at: datetime = DEFAULT_CLOCK
    timeout: float = 10.0

    def __post_init__(self) -> None:
        start = self.counter if self.counter is not None else int(time.time() * 1000)
        self.user = User(self.user_id, self.keys_dir, next_counter=start)
        self.http = httpx.Client(base_url=self.dcc_url.rstrip("/"), timeout=self.timeout)

    def close(self) -> None:
        self.http.close()

    def _read(self, data: bytes) -> messages.Document:
        return messages.read_signed(data, keys_dir=self.keys_dir, signer_id=self.dcc_signer,
                                    at=self.at)

    def _call(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            return self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise SpecError(f"{self.dcc_url}{path}: {exc}") from None

    def _post(self, path: str, body: bytes) -> bytes:
        reply = self._call("POST", path, content=body, headers=XML_HEADERS)
        if reply.status_code != 200:
            raise SpecError(f"{path}: HTTP {reply.status_code}: {reply.text[:200]}")
        return reply.content

    def reset(self, device: Device | str, register: DebtRegister | str,
              device_id: str | None = None, *, wait: bool = True) -> Exchange:
        """One reset end to end; with ``wait`` the asynchronous answer is awaited."""
        request, xml = self.user.request(device, register, device_id)
        exchange = Exchange(request.request_id)
        exchange.add("User -> DCC: request, command variant 4 (/api/v1/serviceT)", xml)
        reply = self._post("/api/v1/serviceT", xml)
        exchange.add("DCC -> User: synchronous reply", reply)
        doc = self._read(reply)
        if doc.code != ResponseCode.SUCCESS.value or doc.payload is None:
            return self._ended(exchange, doc.code)
        try:
            apdu = self.user.correlate(request, doc.payload)
        except CorrelationError as exc:
            exchange.outcome = f"not signed: {exc}"
            return exchange
        signed = messages.signed_pre_command_request(
            request.request_id, self.user.sign(apdu), keys_dir=self.keys_dir,
            user_id=self.user.user_id)
        exchange.add("User -> DCC: Signed Pre-Command, command variant 5 (/api/v1/serviceS)",
                     signed)
        ack = self._post("/api/v1/serviceS", signed)
        exchange.add("DCC -> User: synchronous reply", ack)
        doc = self._read(ack)
        if doc.code != messages.ACKNOWLEDGED:
            return self._ended(exchange, doc.code)
        if wait:
            self.await_answer(exchange)
        return exchange

    def await_answer(self, exchange: Exchange, timeout: float | None = None) -> Exchange:
        """Wait at the receiver for the next message of ``exchange``: its Service
        Response, or a DCC Alert (a quarantine: wait again after the decision)."""
        if self.receiver is None:
            raise SpecError("no receiver to wait at")
        seen = len(exchange.alerts) + (exchange.code is not None)
        got = self.receiver.wait(exchange.request_id, seen + 1, timeout or self.timeout)
        for doc, body in got[seen:]:
            if doc.body == "DCCAlertMessage":
                exchange.alerts.append(doc)
                exchange.add("DCC -> User receiver: DCC Alert", body)
            else:
                exchange.add("DCC -> User receiver: Service Response", body)
                self._ended(exchange, doc.code)
                if exchange.decision == "reject" and doc.code == ResponseCode.QUARANTINED:
                    exchange.outcome = Outcome.REJECTED_BY_USER.value  # as the flow's reject
        return exchange

    @staticmethod
    def _ended(exchange: Exchange, code: str | None) -> Exchange:
        exchange.code = code
        try:
            exchange.outcome = outcome_of(code or "").value
        except ValidationError:
            exchange.outcome = f"response code {code}"
        return exchange

    # --- the service's admin endpoints (not DCC Boxed's)
    def decide(self, exchange: Exchange, action: str) -> dict:
        """Release or reject a quarantined command through the service (TR-10)."""
        reply = self._call("POST", f"/admin/quarantine/{exchange.request_id}/{action}")
        if reply.status_code != 200:
            raise SpecError(f"{action}: HTTP {reply.status_code}: {reply.text[:200]}")
        exchange.decision = action
        return reply.json()

    def set_thresholds(self, rows: list[dict]) -> dict:
        reply = self._call("PUT", f"/admin/thresholds/{self.user.user_id}", json=rows)
        if reply.status_code != 200:
            raise SpecError(f"thresholds: HTTP {reply.status_code}: {reply.text[:200]}")
        return reply.json()
