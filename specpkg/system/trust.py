"""A meter's Device Security Credentials: whom it trusts, and for what (SR-3, issue 11).

A GBCS device holds one trust anchor cell per Remote Party Role (Supplier,
Network Operator, Access Control Broker, ...), each naming one entity and its
public keys, put there when the device is commissioned and replaced when the
party changes (a change of Supplier replaces the Supplier cell). The device
trusts nothing else: it never looks a key up by the id a message claims.

For a Critical command such as a reset the meter executes it only if

* the MAC verifies with the key agreement key in its Access Control Broker cell
  (and its own key agreement private key);
* the originator is the entity in its Supplier cell and the signature verifies
  with that cell's signing key;
* the originator counter is greater than the highest it has accepted from that
  Remote Party (one counter per cell): a replay, or a counter another party used,
  is refused.

A cell's counter does not simply start again when the cell is replaced. The
credentials are replaced by an Update Security Credentials command (GBCS CS02b,
section 13.3), whose AuthorisingRemotePartyControl carries the floor of the
Protection Against Replay counter of the new Remote Party
(``newRemotePartyFloorSeqNumber``, present "if one role (e.g. recovery,
transitionalCoS) is changing credentials for another role or roles (e.g.
supplier) ... to set Protection Against Replay counters for that other role";
GBCS v1.0 section 13.3.5, "Requirements for AuthorisingRemotePartyControl
elements", https://essaydocs.org/version-1-release-note-28-november-2014.html?page=179).
The device takes that floor as the highest counter seen from the new party:
only commands with a greater counter are executed. Who sets the floor is the
party changing the credentials; in this model the DCC does, from the highest
counter it has MAC'd from the new Supplier for that device (model assumption
MA-8, see :meth:`specpkg.system.dcc.Dcc.last_sent`), so that after a change of
Supplier A to B and back to A every command A sent before is still a replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric import ec

from specpkg.duis.reset_request import DEFAULT_CLOCK
from specpkg.errors import ValidationError
from specpkg.gbcs import messages
from specpkg.gbcs.credentials import RemotePartyRole, ca_certificate, check_certificate
from specpkg.gbcs.envelope import MacHeader
from specpkg.gbcs.security import ACB_ENTITY_ID, Keys, entity_id


class CredentialRefusal(StrEnum):
    """Why a device refuses a command on its credentials (it raises an alert)."""

    BAD_MAC = "MAC check failed"
    BAD_SIGNATURE = "Supplier signature check failed"
    NOT_THE_SUPPLIER = "originator is not the Supplier in the trust anchor"
    REPLAY = "originator counter not newer than one already seen"


@dataclass(frozen=True)
class AnchorCell:
    """One trust anchor cell: a Remote Party's entity id and public keys."""

    role: RemotePartyRole
    entity_id: str
    signing_key: ec.EllipticCurvePublicKey | None
    key_agreement_key: ec.EllipticCurvePublicKey | None


def anchor_from(keys: Keys, role: RemotePartyRole, party: str, *,
                at: datetime = DEFAULT_CLOCK) -> AnchorCell:
    """The cell for ``party`` as commissioning installs it, from its certificates, each
    checked as the DCC checks a User's (key usage, issuer, validity at ``at``, role,
    identity: :func:`specpkg.gbcs.credentials.check_certificate`), so that a device
    never installs a key its certificate does not give ``party`` in ``role``."""
    party = entity_id(party).upper()
    ca = ca_certificate(keys.directory)
    for usage in ("ds", "ka"):
        cert = keys.certificate(party, usage)
        if cert is not None:
            try:
                check_certificate(cert, party, at=at, role=role, usage=usage, ca=ca)
            except ValidationError as exc:
                raise ValidationError("party", f"the {usage} certificate of {party} "
                                               f"{exc.reason}") from None
    cell = AnchorCell(role, party, keys.public_key(party, "ds"), keys.public_key(party, "ka"))
    if cell.signing_key is None and cell.key_agreement_key is None:
        raise ValidationError("party", f"no certificate of {party} to install as {role.name}")
    return cell


@dataclass
class DeviceCredentials:
    """A device's own keys and its trust anchor cells, with a counter per cell."""

    device_id: str
    own: Keys
    anchors: dict[RemotePartyRole, AnchorCell] = field(default_factory=dict)
    counters: dict[RemotePartyRole, int] = field(default_factory=dict)

    @classmethod
    def commissioned(cls, device_id: str, keys: Keys, *, supplier: str | None = None,
                     acb: str = ACB_ENTITY_ID) -> DeviceCredentials:
        """A device as commissioned: its own keys, the ACB cell and (if given) the
        Supplier cell, read from the certificates once, now."""
        credentials = cls(entity_id(device_id).upper(), keys)
        credentials.replace(RemotePartyRole.ACCESS_CONTROL_BROKER, acb, keys)
        if supplier is not None:
            credentials.replace(RemotePartyRole.SUPPLIER, supplier, keys)
        return credentials

    def replace(self, role: RemotePartyRole, party: str, keys: Keys,
                floor: int | None = None) -> None:
        """Install ``party`` in the cell of ``role`` (e.g. a change of Supplier), as an
        Update Security Credentials command does (GBCS CS02b): the cell's counter is
        the command's floor for the new party (``newRemotePartyFloorSeqNumber``; None:
        none given, the new party's counters start afresh)."""
        if floor is not None and (isinstance(floor, bool) or not isinstance(floor, int)
                                  or floor < 0):
            raise ValidationError("floor", f"must be a counter >= 0, got {floor!r}")
        self.anchors[role] = anchor_from(keys, role, party)
        if floor is None:
            self.counters.pop(role, None)
        else:
            self.counters[role] = floor

    def party(self, role: RemotePartyRole) -> str | None:
        cell = self.anchors.get(role)
        return cell.entity_id if cell else None

    def check_supplier_command(self, message: MacHeader) -> tuple[CredentialRefusal, str] | None:
        """Why a Critical Supplier command must be refused, or None to execute it.

        The counter is recorded only for a command that passes every check."""
        apdu = message.apdu
        acb = self.anchors.get(RemotePartyRole.ACCESS_CONTROL_BROKER)
        own_ka = self.own.private_key(self.device_id, "ka")
        if acb is None or acb.key_agreement_key is None or own_ka is None:
            return CredentialRefusal.BAD_MAC, "no Access Control Broker anchor"
        key = messages.mac_key(apdu, own_ka, acb.key_agreement_key)
        mac = messages.check_mac(message, key)
        if mac is not messages.Check.VALID:
            return CredentialRefusal.BAD_MAC, mac.value
        supplier = self.anchors.get(RemotePartyRole.SUPPLIER)
        if supplier is None or apdu.originator_id != supplier.entity_id:
            return CredentialRefusal.NOT_THE_SUPPLIER, apdu.originator_id
        signature = messages.check_signature(apdu, supplier.signing_key)
        if signature is not messages.Check.VALID:
            return CredentialRefusal.BAD_SIGNATURE, signature.value
        highest = self.counters.get(RemotePartyRole.SUPPLIER)  # None: no command yet
        if highest is not None and apdu.originator_counter <= highest:
            return CredentialRefusal.REPLAY, f"{apdu.originator_counter} <= {highest}"
        self.counters[RemotePartyRole.SUPPLIER] = apdu.originator_counter
        return None
