"""Sample GBCS traffic of every kind, built with a test PKI (SR-1, SR-2, BR-5).

:func:`mixed_messages` builds distinct messages (own counters, varied debt
values) of the kinds a DCC tester meets: commands (signed by the Supplier,
MAC'd by the ACB), responses signed by the device, responses and alerts sent
without signature (length byte ``00``) but MAC'd by the device for the
Supplier, signed critical alerts, and pre-commands. The verification benchmark
and the robustness tests use them; every one verifies with the key store that
built it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric import ec

from specpkg.errors import ValidationError
from specpkg.gbcs import debt_messages as dm
from specpkg.gbcs import messages, reset_messages, zcl
from specpkg.gbcs.envelope import Cra, GeneralSigning, Message
from specpkg.gbcs.security import Keys
from specpkg.meter.registers import DebtRegister, Device

CRITICAL_ALERT = 0x1000
NON_CRITICAL_ALERT = 0x1001
KINDS = ("command", "signed response", "unsigned response", "alert", "pre-command")
WEIGHTS = (4, 2, 2, 1, 1)
"""Of every ten messages: four commands, two signed and two unsigned responses,
one alert (critical and signed, or non-critical and MAC'd) and one pre-command."""


class _Builder:
    def __init__(self, keys: Keys, supplier: str, devices: dict[Device, str], seed: int) -> None:
        self.keys, self.rng = keys, random.Random(seed)
        self.supplier = bytes.fromhex(supplier)
        self.devices = {d: bytes.fromhex(i) for d, i in devices.items()}

    def _values(self, device: Device) -> dm.UpdateDebt:
        amount = self.rng.randrange
        recovery: Callable[[int], dm.ElecRecovery | dm.GasRecovery] = (
            dm.ElecRecovery if device is Device.ESME else dm.GasRecovery)
        return dm.UpdateDebt(amount(-10**6, 10**6), amount(-10**6, 10**6), amount(-10**6, 10**6),
                             amount(0, 10_001), recovery(amount(0, 100)), recovery(amount(0, 100)))

    def command(self, counter: int) -> GeneralSigning:
        """An unsigned command: ECS07, GCS04 or a reset, to either device."""
        device = self.rng.choice(list(Device))
        if self.rng.random() < 0.5:
            register = self.rng.choice(list(DebtRegister))
            issued = zcl.from_zigbee_time(counter & 0xFFFFFFFF)
            return reset_messages.pre_command(device, register, self.supplier.hex(),
                                              self.devices[device].hex(), counter, issued)
        values = self._values(device)
        if device is Device.ESME:
            payload: object = dm.ecs07_request(values, counter)
        else:
            payload = dm.gcs04_payload(values, issuer_event_id=counter & 0xFFFFFFFF)
        code = dm.ECS07 if device is Device.ESME else dm.GCS04
        return messages.command(code, self.supplier, self.devices[device], counter, payload)

    def response(self, counter: int) -> GeneralSigning:
        """The device's unsigned answer to a command (success or failure)."""
        sent = self.command(counter)
        payload = sent.payload
        if sent.message_code == dm.ECS07:
            results = [self.rng.choice((0, 0, 1, 250)) for _ in payload.specs]
            payload = dm.ecs07_response(payload, results)
        elif sent.message_code == dm.GCS04:
            payload = dm.gcs04_response(payload, [self.rng.choice((0, 0, 1, 0xC0))
                                                  for _ in payload.components])
        else:
            return reset_messages.device_response(sent, self.rng.random() < 0.8)
        return messages.response(sent.message_code, sent.recipient, sent.originator, counter,
                                 payload)

    def alert(self, counter: int, critical: bool) -> GeneralSigning:
        device = self.devices[self.rng.choice(list(Device))]
        body = self.rng.randbytes(self.rng.randrange(4, 40))
        return GeneralSigning(Cra.ALERT, counter, device, self.supplier,
                              CRITICAL_ALERT if critical else NON_CRITICAL_ALERT, body)

    def sign(self, apdu: GeneralSigning) -> GeneralSigning:
        return messages.sign_apdu(apdu, self._key(apdu.originator, "ds"))

    def mac(self, apdu: GeneralSigning) -> Message:
        """MAC'd by the originator (device ka key) for the recipient (its ka certificate)."""
        peer = self.keys.public_key(apdu.recipient, "ka")
        if peer is None:
            raise ValidationError("keys", f"no ka certificate of {apdu.recipient_id}")
        return messages.add_mac(apdu, self._key(apdu.originator, "ka"), peer,
                                self.rng.randrange(1 << 32))

    def _key(self, entity: bytes, usage: str) -> ec.EllipticCurvePrivateKey:
        key = self.keys.private_key(entity, usage)
        if key is None:
            raise ValidationError("keys", f"no {usage} key of {entity.hex().upper()}")
        return key

    def message(self, kind: str, counter: int) -> Message:
        if kind == "command":
            return messages.protect(self.command(counter), self.keys, self.supplier)
        if kind == "signed response":
            return self.sign(self.response(counter))
        if kind == "unsigned response":
            return self.mac(replace(self.response(counter), signature=b""))
        if kind == "alert":
            if self.rng.random() < 0.5:
                return self.sign(self.alert(counter, critical=True))
            return self.mac(replace(self.alert(counter, critical=False), signature=b""))
        return self.command(counter)


def mixed_messages(
    keys: Keys, supplier: str, devices: dict[Device, str], count: int, seed: int = 2
) -> list[tuple[str, bytes]]:
    """``count`` distinct messages (kind, bytes) in the proportions of :data:`WEIGHTS`.

    ``keys`` must hold the Supplier's ds key, the ACB's ka key and the devices'
    ds and ka keys (the project's test PKI does).
    """
    builder = _Builder(keys, supplier, devices, seed)
    kinds = builder.rng.choices(KINDS, WEIGHTS, k=count)
    return [(kind, messages.encode(builder.message(kind, 10_000 + i)))
            for i, kind in enumerate(kinds)]
