"""The Supplier's side: request, correlate, sign (SR-9, issue 4 step 3).

Before signing, the User correlates the Pre-Command the DCC returned with the
request it sent: same device, same counter, its own identity as originator,
the reset use case of that device, and exactly one operation that sets the
named register to zero. Any mismatch is refused before anything is signed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from specpkg.duis import reset_request, responses
from specpkg.duis.reset_request import DEFAULT_CLOCK, ResetRequest
from specpkg.errors import DecodeError, SpecError, ValidationError
from specpkg.gbcs import messages, reset_messages
from specpkg.gbcs.envelope import Cra, GeneralSigning
from specpkg.gbcs.security import Keys, entity_id
from specpkg.meter.registers import DebtRegister, Device, parse_device
from specpkg.paths import PKI_DIR


class CorrelationError(SpecError):
    """The Pre-Command does not match the request; names the field."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"correlation failed on {field}: {reason}")


@dataclass
class User:
    """A Supplier acting as a DCC User (Import and/or Gas Supplier)."""

    user_id: str = reset_request.DEFAULT_USER_ID
    keys_dir: Path = PKI_DIR
    next_counter: int = 1_000
    #: The User's own inventory (device id -> device type): the test meters, every
    #: device it asked a reset for, and those it added to a test SMS (TR-8).
    inventory: dict[str, str] = field(default_factory=dict)
    #: The Parse and Correlate version this User's correlation implements (TR-6).
    parse_and_correlate_version = reset_request.PARSE_AND_CORRELATE_VERSION

    def __post_init__(self) -> None:
        self.user_id = entity_id(self.user_id).upper()
        self.keys = Keys(self.keys_dir)
        self.inventory = {**reset_request.TEST_METERS,
                          **{entity_id(k).upper(): str(v) for k, v in self.inventory.items()}}

    def add_device(self, device_id: str, device: Device | str) -> None:
        """A meter the User now knows (one it added to a test SMS, TR-8)."""
        self.inventory[entity_id(device_id).upper()] = parse_device(device).value

    def request(
        self, device: Device | str, register: DebtRegister | str, device_id: str | None = None
    ) -> tuple[ResetRequest, bytes]:
        """A new signed Reset Debt Register request with the next counter."""
        request = reset_request.make_request(device, register, self.next_counter,
                                             user_id=self.user_id, device_id=device_id)
        self.inventory.setdefault(request.device_id, parse_device(device).value)
        self.next_counter += 1
        return request, reset_request.request_xml(request, keys_dir=self.keys_dir)

    def correlate(self, request: ResetRequest, pre_command: bytes) -> GeneralSigning:
        """The decoded Pre-Command if it matches ``request``; CorrelationError otherwise."""
        try:
            apdu = messages.decode(pre_command)
        except DecodeError as exc:
            raise CorrelationError("pre_command", str(exc)) from None
        if not isinstance(apdu, GeneralSigning) or apdu.signature is not None:  # a pre-command
            raise CorrelationError("pre_command", "not an unsigned general-signing APDU")
        try:  # the User's own inventory: the devices it asked resets for or added (TR-8)
            device = reset_request.device_of(request.device_id, self.inventory)
        except ValidationError as exc:
            raise CorrelationError("device", exc.reason) from None
        expected = {
            "cra": (apdu.cra, Cra.COMMAND),
            "originator": (apdu.originator_id, entity_id(request.user_id).upper()),
            "recipient": (apdu.recipient_id, entity_id(request.device_id).upper()),
            "counter": (apdu.originator_counter, request.counter),
            "message_code": (apdu.message_code,
                             reset_messages.entry(device, request.register).message_code),
        }
        for name, (found, wanted) in expected.items():
            if found != wanted:
                raise CorrelationError(name, f"Pre-Command has {found!r}, request {wanted!r}")
        try:
            register = reset_messages.reset_register_of(apdu)
        except ValidationError as exc:
            raise CorrelationError("payload", exc.reason) from None
        if register is not request.register:
            raise CorrelationError("register", f"Pre-Command resets {register.value}, "
                                               f"request names {request.register.value}")
        return apdu

    def receive(self, response: bytes, at: datetime = DEFAULT_CLOCK,
                dcc_signer: str = responses.DCC_SIGNER_ID, *,
                request: ResetRequest | None = None,
                sent_at: datetime | None = None) -> responses.DuisResponse:
        """Read a Service Response as signed by the DCC, from what the signature
        covered (TR-5). ValidationError for one the DCC did not sign, one whose RequestID
        is not ``request``'s (or, without ``request``, names another User), and one
        dated after ``at`` (now) or before ``sent_at`` (when the request was sent)."""
        read = responses.read_signed_response(response, keys_dir=self.keys_dir,
                                              signer_id=dcc_signer, at=at)
        if read.request_id is not None:
            _check_request_id(read.request_id, self.user_id, request)
        if read.date_time:
            _check_time(read.date_time, at, sent_at)
        return read

    def sign(self, apdu: GeneralSigning) -> bytes:
        """The Signed Pre-Command (deterministic ECDSA with the User's ds key)."""
        key = self.keys.private_key(self.user_id, "ds")
        if key is None:
            raise ValidationError("keys", f"no ds private key for {self.user_id}")
        return messages.encode_apdu(messages.sign_apdu(apdu, key))


def _check_request_id(found: str, user_id: str, request: ResetRequest | None) -> None:
    """The response answers this User's ``request`` (or at least one of its own)."""
    if request is not None:
        if found.upper() != request.request_id.upper():
            raise ValidationError("response", f"answers RequestID {found}, not the request "
                                              f"sent, {request.request_id}")
        return
    try:
        if entity_id(found.partition(":")[0]).upper() == user_id:
            return
    except ValidationError:
        pass  # an originator that is no entity id is no User's
    raise ValidationError("response", f"RequestID {found} is not one of {user_id}'s")


def _check_time(stamp: str, at: datetime, sent_at: datetime | None) -> None:
    """The response is dated no later than now and no earlier than the request."""
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        raise ValidationError("response", f"ResponseDateTime {stamp!r} is not a time") from None
    if when.tzinfo is None:
        raise ValidationError("response", f"ResponseDateTime {stamp!r} has no time zone")
    if when > at:
        raise ValidationError("response", f"dated {stamp}, after it was received "
                                          f"({at.isoformat()})")
    if sent_at is not None and when < sent_at:
        raise ValidationError("response", f"dated {stamp}, before the request was sent "
                                          f"({sent_at.isoformat()})")
