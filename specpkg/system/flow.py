"""A reset request end to end: User, DCC, Communications Hub, meter, and back.

:class:`Testbed` wires one User, the DCC, a Communications Hub and meter
stubs. :meth:`Testbed.run` takes a request through every step and returns a
:class:`FlowResult` with the steps taken, the bytes of every message and exactly
one :class:`~specpkg.duis.codes.Outcome`: every Service Request ends in exactly
one of them, whatever goes wrong where (TR-5). The test environment builds its
testbeds on its own DCC (:mod:`specpkg.testing.environment`); :func:`make_testbed`
is the standard one of the notebooks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from specpkg.anomaly.thresholds import ThresholdTable
from specpkg.duis.codes import DuisError, Outcome, ResponseCode, outcome_of
from specpkg.duis.reset_request import (
    DEFAULT_DEVICE_IDS,
    DEFAULT_USER_ID,
    TEST_OTHER_DEVICES,
    ResetRequest,
)
from specpkg.duis.responses import DuisResponse, parse_response
from specpkg.errors import ValidationError
from specpkg.gbcs.catalogue import SUPPLIER_ROLE
from specpkg.gbcs.security import Keys
from specpkg.journal import Retention
from specpkg.meter.registers import DebtRegister, Device, MeterState, PaymentMode, parse_device
from specpkg.meter.simulation import example_meter
from specpkg.paths import PKI_DIR
from specpkg.system.assumptions import Assumptions
from specpkg.system.commshub import CommunicationsHub, Route
from specpkg.system.dcc import Dcc, Registration
from specpkg.system.meters import DeviceReply, MeterStub
from specpkg.system.user import CorrelationError, User
from specpkg.system.variants import RELEASE, MeterVersion, TestCommsHub


@dataclass(frozen=True)
class Step:
    actor: str
    action: str
    result: str
    data: bytes = b""


@dataclass(frozen=True)
class FlowResult:
    """Everything one request went through."""

    request: ResetRequest | None
    outcome: Outcome
    response_code: str | None
    service_response: bytes | None
    steps: tuple[Step, ...]
    request_xml: bytes = b""
    pre_command: bytes = b""
    signed_pre_command: bytes = b""
    command: bytes = b""
    device_response: bytes = b""
    before: MeterState | None = None
    after: MeterState | None = None
    #: The Service Response as the User read it (signed by the DCC), if it could.
    received: DuisResponse | None = None
    #: How the Communications Hub passed the command on, and when (SR-6, TR-9a).
    route: Route | None = None

    @property
    def response_time(self) -> timedelta | None:
        """From the DCC sending the Command to the device's answer reaching the DCC."""
        return None if self.route is None else self.route.response_time


#: Hook to alter a message between two steps (for negative cases): bytes -> bytes.
Tamper = Callable[[bytes], bytes]


def _same(data: bytes) -> bytes:
    return data


DEVICE_IDS = DEFAULT_DEVICE_IDS
SUPPLIER_ID = DEFAULT_USER_ID


@dataclass
class Testbed:
    """One User, the DCC, a CH and meter stubs."""

    __test__ = False  # not a pytest class

    user: User
    dcc: Dcc
    hub: CommunicationsHub
    stubs: dict[str, MeterStub] = field(default_factory=dict)

    def stub(self, device: Device | str) -> MeterStub:
        kind = parse_device(device)
        return next(s for s in self.stubs.values() if s.device is kind)

    def change_supplier(self, device: Device | str, supplier: str) -> None:
        """A change of Supplier of the testbed's ``device``: the DCC registers the new
        Supplier and the meter's Supplier trust anchor is replaced (SR-3)."""
        stub = self.stub(device)
        self.dcc.register(Registration(stub.device_id, stub.device, supplier,
                                       SUPPLIER_ROLE[stub.device]))
        # the Update Security Credentials command carries the floor of the new
        # Supplier's counter: the highest the DCC ever MAC'd from it for this meter (MA-8)
        floor = (self.dcc.last_sent(supplier, stub.device_id)
                 if self.dcc.assumptions.dcc_sets_counter_floor else None)
        stub.change_supplier(supplier, floor=floor)

    def run(
        self,
        device: Device | str,
        register: DebtRegister | str,
        *,
        xml: Tamper = _same,
        pre_command: Tamper = _same,
        signed: Tamper = _same,
        command: Tamper = _same,
        user: User | None = None,
    ) -> FlowResult:
        """A fresh request for ``register`` on this testbed's ``device``, end to end.

        The tamper hooks alter a message on its way (negative cases).
        """
        user = user or self.user
        request, request_xml = user.request(device, register, self.stub(device).device_id)
        return self.run_xml(xml(request_xml), request, user=user, pre_command=pre_command,
                            signed=signed, command=command)

    def run_xml(
        self,
        request_xml: bytes,
        request: ResetRequest | None = None,
        *,
        user: User | None = None,
        pre_command: Tamper = _same,
        signed: Tamper = _same,
        command: Tamper = _same,
    ) -> FlowResult:
        user = user or self.user
        steps: list[Step] = [Step("User", "sends the DUIS request", "signed XML", request_xml)]
        record = {"request_xml": request_xml}

        def end(outcome: Outcome, response: bytes | None, code: str | None) -> FlowResult:
            return _finish(user, request, steps, record, outcome, response, code,
                           self.dcc.clock)

        try:
            accepted = self.dcc.accept(request_xml)
        except DuisError as error:
            steps.append(Step("DCC", "validates and checks access", f"refused: {error}"))
            return end(error.outcome, self.dcc.refuse(error), error.code)
        sent = request or accepted.request  # the User correlates against what it sent
        request = accepted.request
        steps.append(Step("DCC", "validates and checks access", "accepted"))
        pre = self.dcc.pre_command(accepted)
        steps.append(Step("DCC", "transforms into the Pre-Command", "Pre-Command", pre))
        record["pre_command"] = pre
        try:
            apdu = user.correlate(sent, pre_command(pre))
        except CorrelationError as exc:
            steps.append(Step("User", "correlates the Pre-Command", f"refused: {exc}"))
            return end(Outcome.NOT_SIGNED, None, None)
        signed_bytes = signed(user.sign(apdu))
        record["signed_pre_command"] = signed_bytes
        steps.append(Step("User", "correlates and signs", "Signed Pre-Command", signed_bytes))
        try:
            mac_command = self.dcc.command(request.request_id, signed_bytes)
        except DuisError as error:
            steps.append(Step("DCC", "checks, screens and MACs", f"refused: {error}"))
            return end(error.outcome, self.dcc.refuse(error), error.code)
        return self._deliver(request, mac_command, steps, record, command, user)

    def deliver(self, request: ResetRequest, mac_command: bytes) -> FlowResult:
        """The MAC'd command the DCC gave for ``request``, on to the Service Response (CH,
        meter, DCC parse): for a caller that took the earlier steps over another
        interface (the HTTP test service, :mod:`specpkg.service.core`)."""
        return self._deliver(request, mac_command, [], {})

    def _deliver(self, request: ResetRequest, mac_command: bytes, steps: list[Step],
                 record: dict, command: Tamper = _same, user: User | None = None) -> FlowResult:
        """From the MAC'd command to the Service Response: CH, meter, DCC parse, User."""

        def end(outcome: Outcome, response: bytes | None, code: str | None) -> FlowResult:
            return _finish(user or self.user, request, steps, record, outcome, response, code,
                           self.dcc.clock)

        record["command"] = mac_command
        steps.append(Step("DCC (ACB)", "adds the MAC header", "Command", mac_command))
        try:
            route = self.hub.route(command(mac_command), at=self.dcc.clock)
        except ValidationError as exc:
            steps.append(Step("Communications Hub", "routes", f"cannot route: {exc.reason}"))
            error = DuisError(ResponseCode.UNDELIVERABLE, exc.reason,
                              request_id=request.request_id)
            return end(error.outcome, self.dcc.refuse(error), error.code)
        record["route"] = route
        held = (f", held {route.held_for.total_seconds():.0f} s by the CHF until the GSME woke"
                if route.device is Device.GSME else "")
        steps.append(Step("Communications Hub", "routes unchanged",
                          f"to {route.recipient}, {route.length} bytes{held}", route.data))
        stub = self.stubs[route.recipient]
        before = stub.state
        reply: DeviceReply = stub.receive(route.data)
        record["before"], record["after"] = before, stub.state
        if reply.alert is not None:
            steps.append(Step(f"{stub.device}", "checks the command",
                              f"alert: {reply.alert.kind.value}"))
        elif reply.silent:
            steps.append(Step(f"{stub.device}", "checks the command",
                              "no answer (the DCC waits for its time-out)"))
        else:
            record["device_response"] = reply.response or b""
            steps.append(Step(f"{stub.device}", "executes and responds",
                              "signed response", reply.response or b""))
        answered, xml_response = self.dcc.answer(request, reply)
        parsed = parse_response(xml_response)
        steps.append(Step("DCC", "parses into the Service Response", parsed.code, xml_response))
        return end(outcome_of(answered), xml_response, answered)

    def release(self, quarantined: FlowResult) -> FlowResult:
        """The User releases a quarantined command (TR-10): the DCC sends it on and the
        request gets the Service Response of its meter (or SIGNED_PRECOMMAND_MISMATCH if it
        is not the issued Pre-Command, model assumption MA-1)."""
        request = _quarantined_request(quarantined)
        steps = [*quarantined.steps, Step("User", "releases the quarantined command", "released")]
        record = {name: getattr(quarantined, name)
                  for name in ("request_xml", "pre_command", "signed_pre_command")}
        try:
            mac_command = self.dcc.release(request.request_id, request.user_id)
        except DuisError as error:
            steps.append(Step("DCC", "checks the released command", f"refused: {error}"))
            return _finish(self.user, request, steps, record, error.outcome,
                           self.dcc.refuse(error), error.code, self.dcc.clock)
        return self._deliver(request, mac_command, steps, record)

    def reject(self, quarantined: FlowResult) -> FlowResult:
        """The User rejects a quarantined command: it is never sent (TR-10); the request
        ends rejected, with the I99 and DCC Alert it already had (QUARANTINED)."""
        request = _quarantined_request(quarantined)
        self.dcc.reject(request.request_id, request.user_id)
        steps = (*quarantined.steps, Step("User", "rejects the quarantined command", "rejected"))
        return replace(quarantined, outcome=Outcome.REJECTED_BY_USER, steps=steps)


def _quarantined_request(result: FlowResult) -> ResetRequest:
    if result.outcome is not Outcome.QUARANTINED or result.request is None:
        raise ValidationError("result", f"is {result.outcome.value}, not quarantined")
    return result.request


def _finish(
    user: User, request: ResetRequest | None, steps: list[Step], record: dict,
    outcome: Outcome, response: bytes | None, code: str | None, clock: datetime,
) -> FlowResult:
    """The one end of every request: the User receives the response, if any."""
    received = None
    if response is not None:
        step, received = _received(user, response, clock, request)
        steps.append(step)
    return FlowResult(request, outcome, code, response, tuple(steps), received=received,
                      **record)


def _received(user: User, response: bytes, clock: datetime,
              request: ResetRequest | None = None) -> tuple[Step, DuisResponse | None]:
    """The User receives the Service Response and checks the DCC's signature, the
    RequestID and the time (TR-5)."""
    try:
        parsed = user.receive(response, at=clock, request=request, sent_at=clock)
    except ValidationError as exc:
        return Step("User", "receives the Service Response", f"refused: {exc.reason}"), None
    return Step("User", "receives the Service Response",
                f"{parsed.code}, signed by the DCC"), parsed


def make_testbed(
    mode: PaymentMode | str = PaymentMode.PREPAYMENT,
    version: MeterVersion = RELEASE,
    *,
    keys_dir: Path = PKI_DIR,
    assumptions: Assumptions | None = None,
    thresholds: ThresholdTable | None = None,
    states: dict[Device, MeterState] | None = None,
    stub_class: type[MeterStub] = MeterStub,
    comms_hub: TestCommsHub | None = None,
    retention: Retention | None = None,
) -> Testbed:
    """The standard testbed: Supplier 90B3D51F30010000 registered as Import Supplier
    of the ESME and Gas Supplier of the GSME, both meters on one Test CH (of
    ``comms_hub``'s variant, else the first); the DCC holds the Users' thresholds of
    ``data/thresholds.csv`` unless others are given. ``stub_class`` plugs another meter.
    ``retention`` bounds the history the DCC, the hub and the meters keep (issue 18)."""
    if not Path(keys_dir).is_dir():
        raise ValidationError("keys_dir", f"no such folder: {keys_dir}")
    assumptions = assumptions or Assumptions()
    table = ThresholdTable.load() if thresholds is None else thresholds
    retention = retention or Retention()
    dcc = Dcc({}, keys_dir=keys_dir, assumptions=assumptions, thresholds=table,
              retention=retention)
    hub = CommunicationsHub(retention=retention) if comms_hub is None else CommunicationsHub(
        comms_hub, retention=retention)
    keys = Keys(keys_dir)
    stubs = {}
    for device, device_id in DEVICE_IDS.items():
        dcc.register(Registration(device_id, device, SUPPLIER_ID, SUPPLIER_ROLE[device]))
        state = (states or {}).get(device) or example_meter(device.value, PaymentMode(mode).value)
        stubs[device_id] = stub_class(device_id, device, state, keys, version,
                                      checks_payload=assumptions.meter_checks_payload,
                                      alerts_unknown=assumptions.pre_release_alerts,
                                      supplier=SUPPLIER_ID, retention=retention)
        hub.join(device_id, device)
    for device_id, device_type in TEST_OTHER_DEVICES.items():
        dcc.register_device(device_id, device_type)
    return Testbed(User(SUPPLIER_ID, keys_dir), dcc, hub, stubs)
