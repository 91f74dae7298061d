"""The test service's logic behind HTTP: the one DCC model, configured and journalled.

:class:`Service` builds a :class:`~specpkg.testing.environment.TestEnvironment` from
the configuration (its Users admitted in their roles, their thresholds, each meter
a DCC test stub on a Test Communications Hub of its HAN x WAN variant) and takes
DUIS documents to the model's own steps: :meth:`transform` (command variant 4:
:meth:`Dcc.accept` and :meth:`Dcc.pre_command`), :meth:`send` (command variant 5:
:meth:`Dcc.command`, then :meth:`Testbed.deliver` through the CH and the meter to
:meth:`Dcc.service_response`), :meth:`release`, :meth:`reject` and
:meth:`set_thresholds`. It adds only what HTTP needs: the envelopes of
:mod:`specpkg.service.messages`, the store, and the queue of what goes to each
User's receiver. A request thus gets the same answer here as in the flow.

Every call that changed the model is journalled in the store with the model clock
it ran at; a new Service replays the journal through a fresh model, so a restart
loses and repeats nothing (:mod:`specpkg.service.store`).
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from datetime import datetime, timedelta
from pathlib import Path

from specpkg.anomaly.screening import QuarantineCause
from specpkg.anomaly.thresholds import Threshold, ThresholdTable
from specpkg.duis.codes import DuisError, Outcome, ResponseCode
from specpkg.duis.intake import _REFUSAL_CODES
from specpkg.duis.reset_request import ResetRequest, parse_request_id
from specpkg.duis.xmlsafe import MAX_BYTES, XmlRefused
from specpkg.errors import ValidationError
from specpkg.journal import Retention
from specpkg.service import messages
from specpkg.service.config import ServiceConfig
from specpkg.service.store import ANSWERED, ISSUED, QUARANTINED, Store
from specpkg.system.assumptions import Assumptions
from specpkg.system.flow import Testbed
from specpkg.system.user import User
from specpkg.system.variants import METER_VERSIONS, ch_combinations
from specpkg.testing.devices import DeviceClass, MeterStubFactory, TestDevice
from specpkg.testing.environment import TestEnvironment, TestUser
from specpkg.testing.roles import RoleNotEligible
from specpkg.testing.testrun import DEFAULT_WINDOW

log = logging.getLogger("specpkg.service")
#: The history the service's model keeps in memory (issue 18): its SQLite store is the
#: record of every request and outcome, so the model keeps only the recent tail.
SERVICE_RETENTION = Retention(keep=10_000)


def key_store(folders: tuple[Path, ...], into: Path) -> Path:
    """One folder holding every key store folder's files (a later folder's file of the
    same name wins), as the model reads one keys folder."""
    if len(folders) == 1:
        return Path(folders[0])
    into.mkdir(parents=True, exist_ok=True)
    for folder in folders:
        if not Path(folder).is_dir():
            raise ValidationError("keys", f"no such folder: {folder}")
        for path in Path(folder).iterdir():
            link = into / path.name
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(path.resolve())
    return into


class Service:
    """The DCC model behind the HTTP interface, with its store."""

    def __init__(self, config: ServiceConfig, *, store: Store | None = None) -> None:
        self.config = config
        for folder in config.keys:
            if not Path(folder).is_dir():
                raise ValidationError("keys", f"no such key store folder: {folder}")
        self._tmp = tempfile.TemporaryDirectory(prefix="specpkg-keys-")
        self.keys_dir = key_store(config.keys, Path(self._tmp.name))
        self.store = store or Store(config.database)
        self.lock = threading.RLock()
        self.refused_users: dict[str, str] = {}
        self._requests: dict[str, ResetRequest] = {}
        self._build()
        self.replayed = self._replay()

    # --- the model, from the configuration
    def _build(self) -> None:
        model = Assumptions()
        self.env = TestEnvironment(DEFAULT_WINDOW, model=model, comms_hubs=ch_combinations(),
                                   keys_dir=self.keys_dir, retention=SERVICE_RETENTION)
        self.dcc = self.env.dcc
        self.dcc.clock = self.config.clock
        self.dcc.signer_id = self.config.signer_id
        table = (ThresholdTable.load() if self.config.thresholds is None
                 else ThresholdTable(self.config.thresholds))
        for user in self.config.users:
            try:
                self.env.register_user(TestUser(user.user_id, f"User {user.user_id}", user.role))
            except RoleNotEligible as exc:
                self.refused_users[user.user_id] = str(exc)
                continue
            if table.for_user(user.user_id):
                self.env.set_thresholds(user.user_id, table.for_user(user.user_id))
        day = self.env.window.first_day
        versions = {v.stage.value: v for v in METER_VERSIONS}
        self.beds: dict[str, Testbed] = {}
        for device in self.config.devices:
            if not device.is_meter:
                self.dcc.register_device(device.device_id, device.device_type)
                continue
            if device.user_id in self.refused_users:
                raise ValidationError("devices", f"{device.device_id}: its User "
                                      f"{device.user_id} is not admitted "
                                      f"({self.refused_users[device.user_id]})")
            self.env.stub_factory = MeterStubFactory(device.mode, self.keys_dir, model=model,
                                                     retention=SERVICE_RETENTION)
            system = self.env.issue_comms_hub(device.user_id, device.comms_hub, day)
            self.env.add_device(device.user_id, system.sms_id,
                                TestDevice(device.device_id, DeviceClass(device.device_type),
                                           True, versions[device.version]), day)
            # the DCC holds the User's certificates, never its private keys
            self.beds[device.device_id] = Testbed(User(device.user_id, self.keys_dir),
                                                  self.dcc, system.hub, system.stubs)

    @property
    def signer_id(self) -> str:
        return self.dcc.signer_id

    def _sign_args(self) -> dict:
        return {"keys_dir": self.keys_dir, "signer_id": self.dcc.signer_id,
                "clock": self.dcc.clock}

    # --- command variant 4: the Transform Service
    def transform(self, xml: bytes) -> bytes:
        """The signed reply to a command variant 4 request: I0 with the Pre-Command, or
        the DUIS error response of its refusal."""
        with self.lock:
            try:
                return self._transform(xml)
            except DuisError as error:
                return self.dcc.refuse(error)

    def _transform(self, xml: bytes) -> bytes:
        raw_id = self._route(xml, messages.TRANSFORM_VARIANT, "Transform Service")
        accepted = self.dcc.accept(xml)
        request = accepted.request
        pre = self.dcc.pre_command(accepted)
        key = request.request_id
        self._requests[key] = request
        self.store.record("accept", key, self.dcc.clock.isoformat(), xml,
                          request=(key, request.user_id, request.device_id, request.counter),
                          state=ISSUED,
                          counter=(request.user_id, request.device_id, request.counter))
        return messages.pre_command_response(raw_id, pre, **self._sign_args())

    def _route(self, xml: bytes, variant: int, service: str) -> str:
        """The RequestID as written; refuses a document another service takes."""
        try:
            name, raw_id, found = messages.header_of(xml)
        except XmlRefused as exc:
            raise DuisError(_REFUSAL_CODES[exc.kind], exc.reason) from None
        if name == "Request" and found and found != str(variant):
            raise DuisError(ResponseCode.SCHEMA_INVALID,
                            f"CommandVariant {found} is not taken by the {service} "
                            f"(command variant {variant})", request_id=raw_id.upper())
        return raw_id

    # --- command variant 5: the Send Command Service
    def send(self, xml: bytes) -> bytes:
        """The signed synchronous reply to a command variant 5 request: I99 (the Service
        Response follows at the User's receiver), or the DUIS error of its refusal."""
        with self.lock:
            try:
                key, signed = self._signed_pre_command(xml)
            except DuisError as error:
                return self.dcc.refuse(error)
            self.dcc.clock += timedelta(seconds=self.config.clock_step_seconds)
            steps = self._command(key, signed)
            self.store.record("command", key, self.dcc.clock.isoformat(), signed, **steps)
            return messages.acknowledgement(key, **self._sign_args())

    def _signed_pre_command(self, xml: bytes) -> tuple[str, bytes]:
        raw_id = self._route(xml, messages.SEND_VARIANT, "Send Command Service")
        user_id, _, _ = parse_request_id(raw_id.upper())
        echo = {"request_id": raw_id.upper()}
        try:
            doc = messages.read_signed(xml, keys_dir=self.keys_dir, signer_id=user_id,
                                       at=self.dcc.clock, max_bytes=MAX_BYTES)
        except ValidationError as exc:
            code = (ResponseCode.UNKNOWN_SENDER if exc.field == "signer"
                    else ResponseCode.BAD_SIGNATURE)
            raise DuisError(code, exc.reason, **echo) from None
        key = doc.request_id.upper()
        if key != raw_id.upper() or doc.command_variant != messages.SEND_VARIANT:
            raise DuisError(ResponseCode.BAD_SIGNATURE, "the signed document is not the one "
                                                        "read", **echo)
        if doc.body != "SignedPreCommand" or doc.payload is None:
            raise DuisError(ResponseCode.SCHEMA_INVALID, "command variant 5 carries "
                            "Body/SignedPreCommand/GBCSPayload", **echo)
        row = self.store.request(key)
        if row is None:
            raise DuisError(ResponseCode.UNKNOWN_PRECOMMAND, f"no Pre-Command for {key}",
                            **echo)
        if row["state"] != ISSUED:
            raise DuisError(ResponseCode.UNKNOWN_PRECOMMAND, f"a Signed Pre-Command for {key} "
                            f"was already taken ({row['state']}): one command per request",
                            **echo)
        return key, doc.payload

    def _command(self, key: str, signed: bytes) -> dict:
        """The model's step 4 onwards; what the store records of it."""
        request = self._requests[key]
        try:
            command = self.dcc.command(key, signed)
        except DuisError as error:
            if error.code is ResponseCode.QUARANTINED:
                cause = self.dcc.screenings[key].cause or QuarantineCause.USER_THRESHOLD
                alert = messages.quarantine_alert(key, request.counter, cause,
                                                  **self._sign_args())
                return {"state": QUARANTINED, "quarantined": (request.user_id, error.reason),
                        "deliveries": (self._delivery(request, "alert", alert),)}
            return self._answer(request, self.dcc.refuse(error), error.code.value,
                                error.outcome)
        return self._delivered(request, command)

    def _delivered(self, request: ResetRequest, command: bytes) -> dict:
        result = self.beds[request.device_id].deliver(request, command)
        return self._answer(request, result.service_response, result.response_code,
                            result.outcome)

    def _answer(self, request: ResetRequest, response: bytes | None, code: str | None,
                outcome: Outcome) -> dict:
        self._requests.pop(request.request_id, None)  # ended: nothing more is decided on it
        return {"state": ANSWERED, "outcome": (code, outcome.value),
                "deliveries": (self._delivery(request, "response", response or b""),)}

    def _delivery(self, request: ResetRequest, kind: str, body: bytes) -> tuple:
        user = self.config.user(request.user_id)
        return (request.user_id, kind, user.receiver if user else None, body)

    # --- quarantine decisions and thresholds (TR-10)
    def quarantined(self, key: str) -> ResetRequest:
        row = self.store.request(key.upper())
        if row is None or row["state"] != QUARANTINED:
            raise ValidationError("request_id", f"no quarantined command for {key}")
        return self._requests[key.upper()]

    def release(self, key: str) -> None:
        """The User releases its quarantined command: sent on; its Service Response
        follows at the receiver."""
        with self.lock:
            request = self.quarantined(key)
            steps = self._release(request.request_id)
            self.store.record("release", request.request_id, self.dcc.clock.isoformat(), None,
                              decision="released", **steps)

    def _release(self, key: str) -> dict:
        request = self._requests[key]
        try:
            command = self.dcc.release(key, request.user_id)
        except DuisError as error:
            return self._answer(request, self.dcc.refuse(error), error.code.value,
                                error.outcome)
        return self._delivered(request, command)

    def reject(self, key: str) -> None:
        """The User rejects its quarantined command: never sent; the request ends with
        the quarantine's error response."""
        with self.lock:
            request = self.quarantined(key)
            steps = self._reject(request.request_id)
            self.store.record("reject", request.request_id, self.dcc.clock.isoformat(), None,
                              decision="rejected", **steps)

    def _reject(self, key: str) -> dict:
        request = self._requests[key]
        self.dcc.reject(key, request.user_id)
        error = DuisError(ResponseCode.QUARANTINED, "quarantined, then rejected by the User",
                          request_id=key)
        return self._answer(request, self.dcc.refuse(error), error.code.value,
                            Outcome.REJECTED_BY_USER)

    def set_thresholds(self, user_id: str, thresholds: list[Threshold]) -> None:
        """A User sets all its Anomaly Detection Thresholds (TR-10)."""
        with self.lock:
            self.env.set_thresholds(user_id, thresholds)
            body = json.dumps([[t.user_id, t.service_reference, t.kind.value,
                                t.window_seconds, t.limit] for t in thresholds]).encode()
            self.store.record("thresholds", user_id, self.dcc.clock.isoformat(), body)

    # --- restart
    def _replay(self) -> int:
        """Bring the fresh model to where the journal left it; the number of entries."""
        count = 0
        for entry in self.store.journal():
            self.dcc.clock = datetime.fromisoformat(entry.clock)
            if entry.kind == "accept":
                accepted = self.dcc.accept(entry.body)
                self.dcc.pre_command(accepted)
                self._requests[accepted.request.request_id] = accepted.request
            elif entry.kind == "command":
                self._command(entry.request_id, entry.body)
            elif entry.kind == "release":
                self._release(entry.request_id)
            elif entry.kind == "reject":
                self._reject(entry.request_id)
            elif entry.kind == "thresholds":
                rows = json.loads(entry.body)
                self.env.set_thresholds(entry.request_id, [Threshold(*row) for row in rows])
            count += 1
        if count:
            log.info("replayed %d journal entries from %s", count, self.store.path)
        return count

    def status(self) -> dict:
        return {"requests": self.store.counts("requests", "state"),
                "outcomes": self.store.counts("requests", "outcome"),
                "deliveries": self.store.counts("deliveries", "state"),
                "quarantine": self.store.counts("quarantine", "decision"),
                "journal": self.store.journal_length(),
                "clock": self.dcc.clock.isoformat(), "dcc_certificate": self.signer_id}

    def close(self) -> None:
        self.store.close()
        self._tmp.cleanup()

