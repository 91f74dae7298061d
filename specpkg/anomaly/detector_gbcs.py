"""Read a GBCS Signed Pre-Command for threshold anomaly detection (TR-10, SR-12).

:class:`specpkg.detector.ThresholdDetector` needs a ``decode`` function from
the bytes of a Signed Pre-Command to a :class:`~specpkg.detector.Decoded`
(service reference, device, register, data value). :func:`decode` is that
function for the real messages of this workbook:

* the bytes are decoded with :func:`specpkg.messages.decode`: a general-signing
  command APDU carrying a signature (the User's), nothing else;
* the Service Request reference comes from the Message Mapping Catalogue by the
  message code (``0x0F01`` / ``0x0F02`` -> ``2.4``); a message code the
  catalogue does not know is refused;
* the device is the APDU's recipient; the register and the data value come
  from :func:`specpkg.reset_messages.operations`: the data value is the value
  the command writes (its magnitude, whole pence), so a correct reset has data
  value 0 and a data value ADT of 0 quarantines any other write.

Anything that cannot be read raises :class:`~specpkg.errors.ValidationError`
naming the field (the detector neither delivers nor quarantines it).
"""

from __future__ import annotations

from functools import cache

from specpkg.anomaly.detector import Decoded, ThresholdDetector
from specpkg.errors import DecodeError, ValidationError
from specpkg.gbcs import messages, reset_messages
from specpkg.gbcs.envelope import Cra, GeneralSigning
from specpkg.meter.registers import INT32_MAX


@cache
def service_references() -> dict[int, str]:
    """Message code -> Service Request reference, from the catalogue (SR-3, TR-6)."""
    return {e.message_code: e.service_reference for e in reset_messages.catalogue()}


def decode(signed_pre_command: bytes) -> Decoded:
    """What threshold detection needs from a Signed Pre-Command (TR-10)."""
    if not isinstance(signed_pre_command, bytes | bytearray):
        raise ValidationError("signed_pre_command", "must be bytes")
    try:
        apdu = messages.decode(bytes(signed_pre_command))
    except DecodeError as exc:
        raise ValidationError("signed_pre_command", f"not a GBCS message: {exc}") from None
    if not isinstance(apdu, GeneralSigning) or apdu.cra is not Cra.COMMAND:
        raise ValidationError("signed_pre_command", "not a general-signing command APDU")
    if apdu.signature is None:
        raise ValidationError("signature", "the Pre-Command is not signed")
    reference = service_references().get(apdu.message_code)
    if reference is None:
        raise ValidationError(
            "message_code", f"{apdu.message_code:#06x} is not in the Message Mapping Catalogue")
    ops = [op for op in reset_messages.operations(apdu.payload)
           if op.register is not None and op.value is not None]
    if not ops:
        raise ValidationError("payload", "the command writes no Debt Register")
    registers = {op.register for op in ops}
    register = ops[0].register.value if len(registers) == 1 else None  # type: ignore[union-attr]
    value = max(abs(op.value) for op in ops)  # type: ignore[arg-type]
    return Decoded(reference, apdu.recipient_id, register, min(value, INT32_MAX))


def gbcs_threshold_detector() -> ThresholdDetector:
    """The threshold detector of the test environment reading real GBCS (TR-10)."""
    return ThresholdDetector(decode)
