"""The DCC (DSP and ACB) for the reset Service Request: the one DCC of the workbook.

The end-to-end flow, the test environment and the matrix run all use this
model; the test environment only configures it (which devices exist and who
supplies them, each User's thresholds).

1. Accept the DUIS request (:func:`specpkg.duis.intake.validate_request`:
   schema, signature, exactly one register).
2. Access control: only the Supplier registered for the device, in the role
   the catalogue allows (Import Supplier for an ESME, Gas Supplier for a GSME), with
   a RequestID counter greater than the last the DCC accepted from that User for that
   device (a repeated or replayed request is refused, COUNTER_NOT_INCREASING): the one
   freshness rule of :mod:`specpkg.anomaly.freshness`, which anomaly detection applies too.
3. Transform the request into the Pre-Command (:mod:`specpkg.gbcs.reset_messages`).
4. Take back the Signed Pre-Command: its signature must verify with the User's
   certificate; anomaly detection screens it (:class:`~specpkg.anomaly.screening.Screener`:
   packet inspection, then the User's thresholds) and holds a quarantined one
   until the User releases or rejects it; under the model assumption
   ``compare_with_issued`` it must be the issued Pre-Command plus that
   signature; the ACB adds the MAC header.
5. Parse the device's response into the DUIS Service Response (success only if
   the device reports the register zero), or an alert into an error response.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from specpkg.anomaly.engine import Notification, ThresholdEngine
from specpkg.anomaly.freshness import CounterBook
from specpkg.anomaly.screening import Screener, Screening
from specpkg.anomaly.thresholds import Threshold, ThresholdTable
from specpkg.duis.codes import DuisError, ResponseCode
from specpkg.duis.intake import AcceptedRequest, validate_request
from specpkg.duis.reset_request import DEFAULT_CLOCK, ResetRequest, canonical_request_id
from specpkg.duis.responses import (
    DCC_SIGNER_ID,
    answered_code,
    error_response,
    service_response,
    sign_response,
)
from specpkg.errors import DecodeError, ValidationError
from specpkg.gbcs import messages, reset_messages
from specpkg.gbcs.envelope import Cra, GeneralSigning
from specpkg.gbcs.security import ACB_ENTITY_ID, Keys, entity_id
from specpkg.journal import Journal, JournalMap, Retention
from specpkg.meter.registers import Device, ResetReport, parse_device
from specpkg.paths import PKI_DIR
from specpkg.system.assumptions import Assumptions
from specpkg.system.meters import AlertKind, DeviceReply

ALERT_CODES = {
    AlertKind.NOT_SUPPORTED: ResponseCode.NOT_SUPPORTED_BY_DEVICE,
}


@dataclass(frozen=True)
class Registration:
    """Who is registered for a device: the Supplier and its User Role."""

    device_id: str
    device: Device
    supplier_id: str
    role: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "device_id", entity_id(self.device_id).upper())
        object.__setattr__(self, "supplier_id", entity_id(self.supplier_id).upper())
        object.__setattr__(self, "device", parse_device(self.device))


@dataclass
class _Issued:
    accepted: AcceptedRequest
    pre_command: bytes
    #: A Signed Pre-Command was taken for it: no second one is accepted.
    taken: bool = False


@dataclass(frozen=True)
class _HeldCommand:
    apdu: GeneralSigning
    signed: bytes
    request: ResetRequest
    pre_command: bytes


@dataclass
class Dcc:
    """The DCC as far as the reset Service Request needs it."""

    registrations: dict[str, Registration]
    keys_dir: Path = PKI_DIR
    assumptions: Assumptions = field(default_factory=Assumptions)
    thresholds: Iterable[Threshold] = ()
    acb_id: str = ACB_ENTITY_ID
    signer_id: str = DCC_SIGNER_ID
    clock: datetime = DEFAULT_CLOCK
    other_devices: dict[str, str] = field(default_factory=dict)
    #: How much history stays in memory (issue 18): screenings, Pre-Commands issued,
    #: the engine's decisions and notifications; counters and open quarantines always.
    retention: Retention = field(default_factory=Retention)

    def __post_init__(self) -> None:
        self.keys = Keys(self.keys_dir)
        self.engine = ThresholdEngine(ThresholdTable(self.thresholds),
                                      count_quarantined=self.assumptions.count_quarantined,
                                      retention=self.retention)
        #: What anomaly detection did with each Signed Pre-Command, by RequestID.
        self.screenings: JournalMap[str, Screening] = self.retention.mapping("screening")
        self.screener = Screener(self.engine, inspect_esme=self.assumptions.inspect_esme,
                                 read_esme_value=self.assumptions.read_esme_value)
        #: Pre-Commands issued; one no longer there gets "no Pre-Command" (E-code of
        #: UNKNOWN_PRECOMMAND), as one never issued.
        self._issued: JournalMap[str, _Issued] = self.retention.mapping("issued")
        #: Open quarantines: all a release or rejection needs, whatever the retention.
        self._held: dict[str, _HeldCommand] = {}
        #: The last RequestID counter accepted from each User for each device.
        self.counters = CounterBook()
        #: The highest counter MAC'd from each Supplier for each device.
        self._sent: dict[tuple[str, str], int] = {}
        #: Released commands the meter will refuse as replays (F-76; MA-9 off).
        self.stale_released = 0
        #: Every error response the DCC sent and why (RequestID, DUIS code, reason): the
        #: DUIS response carries only the code; the DCC's record keeps the reason.
        self.refusals: Journal[tuple[str | None, str, str]] = self.retention.journal("refusal")

    # configuration (TR-8, TR-10)
    def register(self, registration: Registration) -> None:
        """A device the DCC knows, and the Supplier registered for it (SR-8)."""
        self.registrations[registration.device_id] = registration

    def set_thresholds(self, user_id: str, thresholds: Iterable[Threshold]) -> None:
        """A User sets its Anomaly Detection Thresholds (TR-10)."""
        self.engine.replace_thresholds(entity_id(user_id).upper(), thresholds)

    def notifications(self, recipient: str) -> list[Notification]:
        """What anomaly detection told a User (or ``"DCC"``): quarantines, releases,
        rejections, oldest first (TR-10)."""
        return self.engine.notifications_for(recipient)

    def register_device(self, device_id: str, device_type: str) -> None:
        """A device the DCC knows that is not a meter with a Supplier (CHF, GPF, PPMID,
        HCALCS, IHD): a reset addressed to it is refused, naming its type (SR-8)."""
        self.other_devices[entity_id(device_id).upper()] = device_type

    @property
    def inventory(self) -> dict[str, str]:
        """The DCC's Smart Metering Inventory: device id -> device type."""
        return {**self.other_devices,
                **{r.device_id: r.device.value for r in self.registrations.values()}}

    # the request
    def accept(self, xml: bytes) -> AcceptedRequest:
        """Steps 1 and 2: a valid request from the registered, eligible Supplier."""
        accepted = validate_request(xml, keys_dir=self.keys_dir, inventory=self.inventory,
                                    at=self.clock)
        request = accepted.request
        echo = {"request_id": request.echo_id}
        registration = self.registrations.get(entity_id(request.device_id).upper())
        if registration is None:  # in the inventory as a meter, but no Supplier registered
            raise DuisError(ResponseCode.UNKNOWN_DEVICE,
                            f"{request.device_id} has no registered Supplier", **echo)
        if entity_id(request.user_id).upper() != registration.supplier_id:
            raise DuisError(ResponseCode.NOT_REGISTERED_SUPPLIER,
                            f"{request.user_id} is not the Supplier registered for "
                            f"{registration.device} {registration.device_id}", **echo)
        eligible = accepted.entry.eligible_user_roles
        if registration.role not in eligible:
            raise DuisError(ResponseCode.ROLE_NOT_ELIGIBLE,
                            f"role {registration.role} may not reset a {registration.device} "
                            f"debt register (eligible: {', '.join(eligible)})", **echo)
        if not self.counters.accept(registration.supplier_id, registration.device_id,
                                    request.counter):
            last = self.counters.last(registration.supplier_id, registration.device_id)
            raise DuisError(ResponseCode.COUNTER_NOT_INCREASING,
                            f"counter {request.counter} is not greater than {last}, the last "
                            f"accepted from {request.user_id} for {registration.device_id}",
                            **echo)
        return accepted

    def pre_command(self, accepted: AcceptedRequest) -> bytes:
        """Step 3: the Pre-Command for the User to correlate and sign (SR-1, SR-2).

        Only a Critical command has one (DUIS: the DCC returns a Critical Service
        Request's Pre-Command to the User to sign; a Non-Critical command is sent
        without the User's signature). The catalogue's category decides (SR-3): a
        use case it marks Non-Critical gets no Pre-Command here (ValidationError),
        as the workbook models the reset's Critical flow only."""
        if not accepted.entry.critical:
            raise ValidationError("message_category", f"{accepted.entry.use_case} is "
                                  f"{accepted.entry.message_category} (Non-Critical): no "
                                  "Pre-Command for the User to sign")
        request = accepted.request
        apdu = reset_messages.pre_command(accepted.device, request.register, request.user_id,
                                          request.device_id, request.counter, self.clock)
        data = messages.encode_apdu(apdu)
        self._issued[request.request_id] = _Issued(accepted, data)
        return data

    def command(self, request_id: str, signed: bytes) -> bytes:
        """Step 4: check the Signed Pre-Command, screen it, add the MAC header."""
        echo = {"request_id": request_id}  # as the User wrote it; looked up in either case
        try:
            request_id = canonical_request_id(request_id)
        except DuisError:
            pass  # not a RequestID: no Pre-Command was issued for it
        issued = self._issued.get(request_id)
        if issued is None:
            raise DuisError(ResponseCode.UNKNOWN_PRECOMMAND, f"no Pre-Command for {request_id}",
                            **echo)
        if issued.taken:
            raise DuisError(ResponseCode.UNKNOWN_PRECOMMAND, f"a Signed Pre-Command for "
                            f"{request_id} was already taken: one command per request", **echo)
        request = issued.accepted.request
        try:
            apdu = messages.apdu_of(messages.decode(signed))
        except DecodeError as exc:
            raise DuisError(ResponseCode.SIGNED_PRECOMMAND_MISMATCH, str(exc), **echo) from None
        if not apdu.signed:
            raise DuisError(ResponseCode.SIGNED_PRECOMMAND_MISMATCH, "no signature", **echo)
        # access control covers the command itself, whatever MA-1 says: the device it
        # addresses, its originator and counter are those of the request accepted
        addressed = {"recipient": (apdu.recipient_id, entity_id(request.device_id).upper()),
                     "originator": (apdu.originator_id, entity_id(request.user_id).upper()),
                     "counter": (apdu.originator_counter, request.counter)}
        for name, (found, wanted) in addressed.items():
            if str(found).upper() != str(wanted).upper():
                raise DuisError(ResponseCode.SIGNED_PRECOMMAND_MISMATCH,
                                f"the Signed Pre-Command's {name} is {found}, the request's "
                                f"{wanted}", **echo)
        user_key = self.keys.public_key(request.user_id, "ds")
        if messages.check_signature(apdu, user_key) is not messages.Check.VALID:
            raise DuisError(ResponseCode.SIGNED_PRECOMMAND_MISMATCH,
                            "the signature does not verify with the User's certificate", **echo)
        # anomaly detection sees every validly signed command, before anything else
        issued.taken = True
        screening = self.screener.screen(
            apdu, user_id=request.user_id, device_id=request.device_id,
            register=request.register, request_id=request.counter, at=self._now(),
            critical=issued.accepted.entry.critical)
        self.screenings[request_id] = screening
        if screening.refused:
            raise DuisError(ResponseCode.ANOMALY_REFUSED, screening.reason, **echo)
        if screening.quarantined:
            # held until the User releases or rejects it
            self._held[request_id] = _HeldCommand(apdu, signed, request, issued.pre_command)
            raise DuisError(ResponseCode.QUARANTINED, screening.reason, **echo)
        self._check_issued(request_id, signed, issued.pre_command)
        return self._mac(apdu, request_id)

    def _check_issued(self, request_id: str, signed: bytes, pre_command: bytes) -> None:
        """Model assumption MA-1: the Signed Pre-Command is the issued one plus a signature."""
        if self.assumptions.compare_with_issued and not signed.startswith(pre_command):
            raise DuisError(ResponseCode.SIGNED_PRECOMMAND_MISMATCH,
                            "the Signed Pre-Command is not the issued Pre-Command",
                            request_id=request_id)

    def _now(self) -> int:
        return int(self.clock.timestamp())

    def _take_held(self, request_id: str, user_id: str) -> _HeldCommand:
        """The held command of ``request_id``, taken out of quarantine if ``user_id``, who
        asks, is the User who sent the request (TR-10); ValidationError otherwise."""
        if request_id not in self._held:
            raise ValidationError("request_id", f"no quarantined command for {request_id}")
        request = self._held[request_id].request
        asks = entity_id(user_id).upper()
        if asks != entity_id(request.user_id).upper():
            raise ValidationError("user_id", f"{asks} did not send {request_id}: only its "
                                             "User releases or rejects it")
        return self._held.pop(request_id)

    def release(self, request_id: str, user_id: str) -> bytes:
        """A quarantined command its User (``user_id``) released: MAC'd and on its way
        (TR-10); one that is not the issued Pre-Command (MA-1), or (MA-9) one the meter
        would refuse as a replay, is refused instead (DuisError) and never sent."""
        held = self._take_held(request_id, user_id)
        apdu, request = held.apdu, held.request
        try:
            self._check_issued(request_id, held.signed, held.pre_command)
        except DuisError:
            self.engine.reject(request.counter, request.user_id, self._now(), request.device_id)
            raise
        since = self.stale(apdu)
        if since is not None:
            if self.assumptions.refuse_stale_release:  # MA-9
                self.engine.reject(request.counter, request.user_id, self._now(),
                                   request.device_id)
                raise DuisError(
                    ResponseCode.STALE_RELEASE,
                    f"counter {apdu.originator_counter} is not above {since}, which the DCC "
                    f"has sent since from {apdu.originator_id.upper()} to "
                    f"{apdu.recipient_id.upper()}: the meter would refuse it as a replay; "
                    "re-sign the reset as a new request (MA-9)",
                    request_id=request.echo_id)
            self.stale_released += 1  # sent in vain: the meter refuses it (F-76)
        self.engine.release(request.counter, request.user_id, self._now(), request.device_id)
        return self._mac(apdu, request_id)

    def stale(self, apdu: GeneralSigning) -> int | None:
        """The highest counter the DCC has sent from the command's originator to its device
        if it is not below that one's (the meter would refuse the command as a replay,
        F-76), else None."""
        last = self.last_sent(apdu.originator_id, apdu.recipient_id)
        return last if last is not None and apdu.originator_counter <= last else None

    def reject(self, request_id: str, user_id: str) -> None:
        """A quarantined command its User (``user_id``) rejected: dropped, never sent
        (TR-10)."""
        request = self._take_held(request_id, user_id).request
        self.engine.reject(request.counter, request.user_id, self._now(), request.device_id)

    def _mac(self, apdu: GeneralSigning, request_id: str) -> bytes:
        """The ACB's MAC header on a command; the DCC notes the highest counter it sent
        from each Supplier to each device (:meth:`last_sent`)."""
        acb_key = self.keys.private_key(self.acb_id, "ka")
        device_key = self.keys.public_key(apdu.recipient, "ka")
        if acb_key is None or device_key is None:
            raise DuisError(ResponseCode.UNDELIVERABLE, "the ACB ka key or the device ka "
                            "certificate is missing: the command cannot be MAC'd",
                            request_id=request_id)
        command = messages.encode(messages.add_mac(apdu, acb_key, device_key))
        pair = (apdu.originator_id.upper(), apdu.recipient_id.upper())
        last = self._sent.get(pair)  # a stale release is sent below it: the highest stays
        self._sent[pair] = (apdu.originator_counter if last is None
                            else max(last, apdu.originator_counter))
        return command

    def last_sent(self, supplier_id: str, device_id: str) -> int | None:
        """The highest originator counter the DCC MAC'd from ``supplier_id`` for
        ``device_id`` (None: none). Every command of that Supplier the meter could still
        receive has a counter at most this; the floor of a change of Supplier (MA-8)."""
        return self._sent.get((entity_id(supplier_id).upper(), entity_id(device_id).upper()))

    # the response
    def service_response(self, request: ResetRequest, reply: DeviceReply) -> bytes:
        """Step 5: the DUIS Service Response for what came back from the device."""
        return self.answer(request, reply)[1]

    def answer(self, request: ResetRequest, reply: DeviceReply) -> tuple[ResponseCode, bytes]:
        """Step 5 with the refusal it means (several share a DUIS code, I0 among them)."""
        echo = {"request_id": request.echo_id}
        if reply.alert is not None:
            code = ALERT_CODES.get(reply.alert.kind, ResponseCode.REJECTED_BY_DEVICE)
            return code, self.refuse(DuisError(
                code, f"{reply.alert.kind.value} {reply.alert.detail}".strip(), **echo))
        if reply.response is None:  # MA-7: the meter stayed silent until the time-out
            return ResponseCode.NO_DEVICE_RESPONSE, self.refuse(DuisError(
                ResponseCode.NO_DEVICE_RESPONSE, "no answer from the device before the time-out",
                **echo))
        try:
            apdu = messages.decode(reply.response)
        except DecodeError as exc:
            return ResponseCode.BAD_DEVICE_RESPONSE, self.refuse(DuisError(
                ResponseCode.BAD_DEVICE_RESPONSE, str(exc), **echo))
        device_key = self.keys.public_key(request.device_id, "ds")
        if (not isinstance(apdu, GeneralSigning) or apdu.cra is not Cra.RESPONSE
                or apdu.originator_counter != request.counter
                or messages.check_signature(apdu, device_key) is not messages.Check.VALID):
            return ResponseCode.BAD_DEVICE_RESPONSE, self.refuse(DuisError(
                ResponseCode.BAD_DEVICE_RESPONSE,
                "not a response to this request signed by the device", **echo))
        report = ResetReport(request.register, reset_messages.response_success(apdu))
        return answered_code(report), self._signed(
            service_response(request, reply.response, report, clock=self.clock))

    def refuse(self, error: DuisError) -> bytes:
        """The DUIS error response for ``error``, signed by the DCC; its reason recorded in
        :attr:`refusals`."""
        self.refusals.append((error.request_id, error.code.value, error.reason))
        return self._signed(error_response(error, clock=self.clock))

    def _signed(self, response: bytes) -> bytes:
        return sign_response(response, keys_dir=self.keys_dir, signer_id=self.signer_id)
