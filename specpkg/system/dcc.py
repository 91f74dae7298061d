"""The DCC's part of a reset: accept, control access, transform, check, MAC, parse.

1. Accept the DUIS request (:func:`specpkg.duis.validate_request`: schema,
   signature, exactly one register).
2. Access control: only the Supplier registered for the device, in the role
   the catalogue allows (Import Supplier for an ESME, Gas Supplier for a GSME).
3. Transform the request into the Pre-Command (:mod:`specpkg.reset_messages`).
4. Take back the Signed Pre-Command: its signature must verify with the User's
   certificate; anomaly detection screens it (packet inspection and thresholds,
   :mod:`specpkg.inspection`); it must be the issued Pre-Command plus that
   signature; the ACB adds the MAC header.
5. Parse the device's response into the DUIS Service Response (success only if
   the device reports the register zero), or an alert into an error response.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from specpkg.duis import intake, reset_request, responses
from specpkg.duis.codes import DuisError, ResponseCode
from specpkg.duis.intake import AcceptedRequest
from specpkg.duis.reset_request import ResetRequest
from specpkg.errors import DecodeError, ValidationError
from specpkg.gbcs import messages, reset_messages
from specpkg.gbcs.envelope import Cra, GeneralSigning
from specpkg.gbcs.security import ACB_ENTITY_ID, Keys, entity_id
from specpkg.meter.registers import Device, ResetReport, parse_device
from specpkg.paths import PKI_DIR
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


@dataclass(frozen=True)
class Screening:
    """The verdict of anomaly detection on a Signed Pre-Command."""

    quarantined: bool
    reason: str = ""


#: Anomaly detection: (signed pre-command, accepted request, time) -> Screening.
Screen = Callable[[bytes, AcceptedRequest, datetime], Screening]


def no_screening(_signed: bytes, _accepted: AcceptedRequest, _at: datetime) -> Screening:
    return Screening(False)


@dataclass
class Dcc:
    """The DCC (DSP and ACB) as far as the reset Service Request needs it."""

    registrations: dict[str, Registration]
    keys_dir: Path = PKI_DIR
    acb_id: str = ACB_ENTITY_ID
    signer_id: str = responses.DCC_SIGNER_ID
    clock: datetime = reset_request.DEFAULT_CLOCK
    screen: Screen = no_screening
    issued: dict[str, tuple[AcceptedRequest, bytes]] = field(default_factory=dict)
    held: dict[str, GeneralSigning] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.keys = Keys(self.keys_dir)

    @property
    def inventory(self) -> dict[str, Device]:
        return {r.device_id: r.device for r in self.registrations.values()}

    def accept(self, xml: bytes) -> AcceptedRequest:
        """Steps 1 and 2: a valid request from the registered, eligible Supplier."""
        accepted = intake.validate_request(xml, keys_dir=self.keys_dir, inventory=self.inventory,
                                         at=self.clock)
        request = accepted.request
        registration = self.registrations[entity_id(request.device_id).upper()]
        echo = {"request_id": request.request_id}
        if entity_id(request.user_id).upper() != registration.supplier_id:
            raise DuisError(ResponseCode.NOT_REGISTERED_SUPPLIER,
                            f"{request.user_id} is not the Supplier registered for "
                            f"{registration.device} {registration.device_id}", **echo)
        eligible = accepted.entry.eligible_user_roles
        if registration.role not in eligible:
            raise DuisError(ResponseCode.ROLE_NOT_ELIGIBLE,
                            f"role {registration.role} may not reset a {registration.device} "
                            f"debt register (eligible: {', '.join(eligible)})", **echo)
        return accepted

    def pre_command(self, accepted: AcceptedRequest) -> bytes:
        """Step 3: the Pre-Command for the User to correlate and sign (SR-1, SR-2)."""
        request = accepted.request
        apdu = reset_messages.pre_command(accepted.device, request.register, request.user_id,
                                          request.device_id, request.counter)
        data = messages.encode_apdu(apdu)
        self.issued[request.request_id] = (accepted, data)
        return data

    def command(self, request_id: str, signed: bytes) -> bytes:
        """Step 4: check the Signed Pre-Command, screen it, add the MAC header."""
        if request_id not in self.issued:
            raise DuisError(ResponseCode.UNKNOWN_PRECOMMAND, f"no Pre-Command for {request_id}",
                            request_id=request_id)
        accepted, pre = self.issued[request_id]
        echo = {"request_id": request_id}
        try:
            apdu = messages.decode(signed)
        except DecodeError as exc:
            raise DuisError(ResponseCode.SIGNED_PRECOMMAND_MISMATCH, str(exc), **echo) from None
        if not isinstance(apdu, messages.GeneralSigning) or apdu.signature is None:
            raise DuisError(ResponseCode.SIGNED_PRECOMMAND_MISMATCH, "no signature", **echo)
        user_key = self.keys.public_key(accepted.request.user_id, "ds")
        if messages.check_signature(apdu, user_key) is not messages.Check.VALID:
            raise DuisError(ResponseCode.SIGNED_PRECOMMAND_MISMATCH,
                            "the signature does not verify with the User's certificate", **echo)
        # anomaly detection sees every validly signed command, before anything else
        verdict = self.screen(signed, accepted, self.clock)
        issued = signed.startswith(pre)
        if verdict.quarantined:
            reason = verdict.reason
            if issued:
                self.held[request_id] = apdu  # kept until the User releases or rejects it
            else:
                reason += "; not the issued Pre-Command, so it cannot be released"
            raise DuisError(ResponseCode.QUARANTINED, reason, **echo)
        if not issued:
            raise DuisError(ResponseCode.SIGNED_PRECOMMAND_MISMATCH,
                            "the Signed Pre-Command does not start with the issued Pre-Command",
                            **echo)
        return self._mac(apdu)

    def release(self, request_id: str) -> bytes:
        """A quarantined command the User released: MAC'd and on its way (TR-10)."""
        if request_id not in self.held:
            raise ValidationError("request_id", f"no quarantined command for {request_id}")
        return self._mac(self.held.pop(request_id))

    def reject(self, request_id: str) -> None:
        """A quarantined command the User rejected: dropped, never sent (TR-10)."""
        if self.held.pop(request_id, None) is None:
            raise ValidationError("request_id", f"no quarantined command for {request_id}")

    def _mac(self, apdu: GeneralSigning) -> bytes:
        acb_key = self.keys.private_key(self.acb_id, "ka")
        device_key = self.keys.public_key(apdu.recipient, "ka")
        if acb_key is None or device_key is None:
            raise ValidationError("keys", "the ACB ka key or the device ka certificate is missing")
        return messages.encode(messages.add_mac(apdu, acb_key, device_key))

    def service_response(self, request: ResetRequest, reply: DeviceReply) -> bytes:
        """Step 5: the DUIS Service Response for what came back from the device."""
        echo = {"request_id": request.request_id}
        if reply.alert is not None:
            code = ALERT_CODES.get(reply.alert.kind, ResponseCode.REJECTED_BY_DEVICE)
            error = DuisError(code, f"{reply.alert.kind.value} {reply.alert.detail}".strip(),
                              **echo)
            return self.refuse(error)
        if reply.response is None:
            raise ValidationError("reply", "neither a response nor an alert")
        try:
            apdu = messages.decode(reply.response)
        except DecodeError as exc:
            error = DuisError(ResponseCode.BAD_DEVICE_RESPONSE, str(exc), **echo)
            return self.refuse(error)
        device_key = self.keys.public_key(request.device_id, "ds")
        if (not isinstance(apdu, messages.GeneralSigning) or apdu.cra is not Cra.RESPONSE
                or apdu.originator_counter != request.counter
                or messages.check_signature(apdu, device_key) is not messages.Check.VALID):
            error = DuisError(ResponseCode.BAD_DEVICE_RESPONSE,
                              "not a response to this request signed by the device", **echo)
            return self.refuse(error)
        report = ResetReport(request.register, reset_messages.response_success(apdu))
        return self._signed(responses.service_response(request, reply.response, report,
                                                  clock=self.clock))

    def refuse(self, error: DuisError) -> bytes:
        """The DUIS error response for ``error``, signed by the DCC."""
        return self._signed(responses.error_response(error, clock=self.clock))

    def _signed(self, response: bytes) -> bytes:
        return responses.sign_response(response, keys_dir=self.keys_dir, signer_id=self.signer_id)
