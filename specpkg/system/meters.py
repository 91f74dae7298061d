"""Device stubs: an ESME or GSME that receives a reset command (SR-4, SR-8, BR-4, BR-5).

A stub holds the meter's state from :mod:`specpkg.meter.registers`, its own keys and
the version of SMETS/GBCS it emulates (TR-9b). On a command it:

1. checks that it is the recipient and that the use case is one it supports
   (a meter from before the Release does not know the reset use cases and
   answers "not supported": there is no requirement to update installed meters, SR-4);
2. checks the command against its own Device Security Credentials
   (:mod:`specpkg.system.trust`): the MAC with its Access Control Broker anchor, the
   signature with its Supplier anchor (the originator must be that Supplier) and
   the Supplier's counter (replays are refused);
3. carries out the command's debt operations on its model as written, every
   field of each (a reset sets the register to zero; a ZSE Change Debt also sets
   the register's recovery settings, ZSE 1.2 Prepayment cluster) and answers
   each with a signed response that says
   success iff the register is zero afterwards, carries no register value and is
   not encrypted (BR-4, BR-5). Whether a meter first checks that the command is
   a reset to zero is the model assumption MA-5 (default: it does not).

A refusal in steps 1-2 produces a :class:`DeviceAlert` (GBCS devices raise an
Alert rather than a Response there; the Alert's wire format is outside this
model), never an exception the caller could miss.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from specpkg.errors import DecodeError, ValidationError
from specpkg.gbcs import messages, reset_messages, usecases
from specpkg.gbcs.credentials import RemotePartyRole
from specpkg.gbcs.envelope import Cra, MacHeader
from specpkg.gbcs.security import ACB_ENTITY_ID, Keys, entity_id
from specpkg.journal import Journal, Retention
from specpkg.meter.registers import (
    Device,
    MeterState,
    apply_debt_change,
    outcome_of,
    parse_device,
    verdict,
)
from specpkg.system.trust import CredentialRefusal, DeviceCredentials
from specpkg.system.variants import RELEASE, MeterVersion

#: The use cases every meter of that type already supports (the existing debt ones).
EXISTING_USE_CASES = {u.device: {u.message_code} for u in (usecases.ECS07, usecases.GCS04)}


class AlertKind(StrEnum):
    NOT_SUPPORTED = "use case not supported by this meter version"
    NOT_FOR_ME = "command addressed to another device"
    BAD_MAC = CredentialRefusal.BAD_MAC.value
    BAD_SIGNATURE = CredentialRefusal.BAD_SIGNATURE.value
    NOT_THE_SUPPLIER = CredentialRefusal.NOT_THE_SUPPLIER.value
    REPLAY = CredentialRefusal.REPLAY.value
    MALFORMED = "command could not be decoded"
    NOT_A_COMMAND = "not a MAC'd command"


@dataclass(frozen=True)
class DeviceAlert:
    """What a device raises instead of executing a command."""

    device_id: str
    kind: AlertKind
    detail: str = ""


@dataclass(frozen=True)
class DeviceReply:
    """A device's answer: a signed response, an alert, or neither (silence, MA-7)."""

    response: bytes | None = None
    alert: DeviceAlert | None = None

    @property
    def silent(self) -> bool:
        return self.response is None and self.alert is None


@dataclass
class MeterStub:
    """An ESME or GSME test stub (TR-9b). ``keys`` holds the meter's own keys (and the
    certificates commissioning reads the anchors from); ``supplier``: the Supplier
    commissioned into its trust anchor (None: not yet, it then refuses every
    Supplier command). ``fault`` makes the register write fail; ``checks_payload`` is
    the model assumption MA-5 (``meter_checks_payload``), ``alerts_unknown`` MA-7
    (``pre_release_alerts``: an alert for a use case the meter does not know, else
    silence)."""

    device_id: str
    device: Device
    state: MeterState
    keys: Keys
    meter_version: MeterVersion = RELEASE
    acb_id: str = ACB_ENTITY_ID
    fault: bool = False
    checks_payload: bool = False
    alerts_unknown: bool = True
    supplier: str | None = None
    #: How much of the meter's log stays in memory (issue 18).
    retention: Retention = field(default_factory=Retention)

    def __post_init__(self) -> None:
        self.log: Journal[str] = self.retention.journal(f"log of {self.device_id}")
        self.device_id = entity_id(self.device_id).upper()
        self.device = parse_device(self.device)
        if self.state.device is not self.device:
            raise ValidationError("state", f"is a {self.state.device} state, not {self.device}")
        self.credentials = DeviceCredentials.commissioned(self.device_id, self.keys,
                                                          supplier=self.supplier,
                                                          acb=self.acb_id)

    def change_supplier(self, supplier: str, floor: int | None = None) -> None:
        """A change of Supplier: the new Supplier replaces the old in the trust anchor;
        its counter starts at ``floor``, the Update Security Credentials command's
        floor for it (None: afresh), see :mod:`specpkg.system.trust`."""
        self.credentials.replace(RemotePartyRole.SUPPLIER, supplier, self.keys, floor)
        self.supplier = self.credentials.party(RemotePartyRole.SUPPLIER)

    @property
    def supported_use_cases(self) -> set[int]:
        codes = set(EXISTING_USE_CASES[self.device])
        if self.meter_version.supports_reset:
            codes.add(reset_messages.message_codes()[self.device])
        return codes

    def _alert(self, kind: AlertKind, detail: str = "") -> DeviceReply:
        self.log.append(f"alert: {kind.value} {detail}".strip())
        return DeviceReply(alert=DeviceAlert(self.device_id, kind, detail))

    def receive(self, command: bytes) -> DeviceReply:
        """Process one command as it arrives over the HAN."""
        try:
            message = messages.decode(command)
        except DecodeError as exc:
            return self._alert(AlertKind.MALFORMED, str(exc))
        if not isinstance(message, MacHeader) or message.apdu.cra is not Cra.COMMAND:
            return self._alert(AlertKind.NOT_A_COMMAND)
        apdu = message.apdu
        if apdu.recipient_id != self.device_id:
            return self._alert(AlertKind.NOT_FOR_ME, apdu.recipient_id)
        if apdu.message_code not in self.supported_use_cases:
            if not self.alerts_unknown:  # MA-7: ignored, no answer at all
                self.log.append(f"ignored: message code {apdu.message_code:#06x} unknown")
                return DeviceReply()
            return self._alert(AlertKind.NOT_SUPPORTED, f"message code {apdu.message_code:#06x}")
        refused = self.credentials.check_supplier_command(message)
        if refused is not None:
            why, detail = refused
            return self._alert(AlertKind(why.value), detail)
        return self._execute(apdu)

    def _execute(self, apdu: messages.GeneralSigning) -> DeviceReply:
        """Carry out each operation of the command as written, then answer each. A reset
        use case answers success iff its register is zero afterwards (BR-4); an existing
        debt use case (SR 2.3's ECS07, GCS04) answers success iff the operation was
        carried out, its settings other than register values taken as given. With
        ``checks_payload`` (model assumption MA-5) a reset command that is not one
        reset to zero is refused whole instead."""
        ops = reset_messages.operations(apdu.payload)
        is_reset = apdu.message_code in reset_messages.message_codes().values()
        if self.checks_payload and is_reset:
            try:
                reset_messages.reset_register_of(apdu)
            except ValidationError as exc:
                self.log.append(f"refused payload: {exc.reason}")
                return DeviceReply(response=self._sign(
                    reset_messages.device_response(apdu, [False] * len(ops))))
        results = [self._apply(op, is_reset) for op in ops]
        return DeviceReply(response=self._sign(reset_messages.device_response(apdu, results)))

    def _apply(self, op: reset_messages.Operation, is_reset: bool) -> bool:
        if not op.writes:
            if is_reset:  # a reset is one register write and nothing else
                self.log.append(f"cannot execute: {op.description}")
                return False
            self.log.append(f"{op.description}: set (not a Debt Register value)")
            return True
        before = self.state
        try:
            # every field the command carries: a Change Debt's recovery settings too
            intended = apply_debt_change(before, op.register, op.value, op.absolute, op.recovery)
        except ValidationError as exc:
            self.log.append(f"refused {op.description}: {exc.reason}")
            return False
        after = before if self.fault else intended  # a fault: the write did not happen
        self.state = after
        outcome = outcome_of(op.register, after, before)
        # a reset: BR-4; an existing use case: its write took effect
        success = outcome.success if is_reset else after == intended
        self.log.append(f"{op.description}: {outcome.before} -> {outcome.after} "
                        f"({verdict(success)})")
        return success

    def _sign(self, apdu: messages.GeneralSigning) -> bytes:
        key = self.keys.private_key(self.device_id, "ds")
        if key is None:
            raise ValidationError("keys", f"no ds private key for device {self.device_id}")
        return messages.encode_apdu(messages.sign_apdu(apdu, key))
