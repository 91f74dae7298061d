"""The GBCS use cases the package knows: one explicit registry (SR-1, SR-2, SR-3).

Modelled use cases (their payload decodes to typed values):

* ECS07 ``0x001E`` and GCS04 ``0x006E``, the existing adjust-debt use cases of
  Service Request 2.3 "Update Debt" (``catalogue.UPDATE_DEBT``);
* the reset use cases of SECMP0002, one per device, read from the committed
  Message Mapping Catalogue (``data/catalogue``; SR 2.4 ``RESET_DEBT_REGISTER``).

Every other message code is named from the GBCS message code table
``gbcs-message-codes.tsv`` in the shared reference folder when it is there (it is
never copied into the project); its payload stays bytes. :data:`REGISTRY` is
complete as soon as this module is imported, whatever was imported before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from construct import Construct

from specpkg.errors import ValidationError
from specpkg.gbcs import dlms, gbz
from specpkg.gbcs.catalogue import (
    MESSAGE_CODES_FILE,
    UPDATE_DEBT,
    load_catalogue,
    read_message_codes,
)
from specpkg.meter.registers import Device
from specpkg.paths import reference_dir


@dataclass(frozen=True)
class PayloadCodec:
    """How a payload is read and written: its construct (the definition), and
    the decode (bytes, offset, fast=...) / encode (payload, fast=...) functions
    that try the hand-rolled fast path first."""

    name: str
    construct: Construct
    decode: Callable[..., Any]
    encode: Callable[..., bytes]
    types: tuple[type, ...]


GBZ = PayloadCodec("GBZ", gbz.GbzStruct, gbz.decode, gbz.encode, (gbz.Gbz,))
XDLMS = PayloadCodec("xDLMS", dlms.XdlmsStruct, dlms.decode, dlms.encode,
                     (dlms.AccessRequest, dlms.AccessResponse))
DEVICE_CODEC = {Device.ESME: XDLMS, Device.GSME: GBZ}
"""The payload every command to a device carries: xDLMS on the ESME, GBZ on the GSME."""


@dataclass(frozen=True)
class UseCase:
    """A GBCS use case: message code, short name and title; for a modelled one
    also the target device, payload codec and Service Request reference."""

    message_code: int
    name: str
    title: str
    device: Device | None = None
    codec: PayloadCodec | None = field(default=None, repr=False)
    service_reference: str | None = None

    @property
    def modelled(self) -> bool:
        return self.codec is not None

    def __str__(self) -> str:
        return f"{self.name} {self.title}".strip()


ECS07 = UseCase(0x001E, "ECS07", "Manage Debt on the ESME", Device.ESME, XDLMS, UPDATE_DEBT)
GCS04 = UseCase(0x006E, "GCS04", "Manage Debt on the GSME", Device.GSME, GBZ, UPDATE_DEBT)


def _reset_use_cases() -> list[UseCase]:
    found: dict[int, UseCase] = {}
    for entry in load_catalogue():
        found.setdefault(entry.message_code, UseCase(
            entry.message_code, entry.use_case, entry.use_case_name, entry.device,
            DEVICE_CODEC[entry.device], entry.service_reference))
    return list(found.values())


_USE_CASE_CODE = re.compile("[A-Z]+[0-9][0-9A-Za-z]*")


@cache
def _named(path: Path) -> dict[int, UseCase]:
    if not path.is_file():
        return {}
    named = {}
    for code, text in read_message_codes(path).items():
        name, _, title = text.partition(" ")
        coded = _USE_CASE_CODE.fullmatch(name) is not None  # "ECS07 ...", not "Generic ..."
        named[code] = UseCase(code, name, title) if coded else UseCase(code, text, "")
    return named


class Registry:
    """Message code -> use case, and the payload codecs the envelope uses."""

    def __init__(self, modelled: list[UseCase]) -> None:
        self.modelled: dict[int, UseCase] = {}
        for use_case in modelled:
            if use_case.message_code in self.modelled:
                raise ValidationError("message_code",
                                      f"{use_case.message_code:#06x} registered twice")
            self.modelled[use_case.message_code] = use_case
        self._by_type = {t: c for u in modelled if u.codec for c in [u.codec] for t in c.types}

    def get(self, message_code: int) -> UseCase | None:
        """The use case of a message code: modelled, else named from the GBCS
        message code table when the reference folder has it, else None."""
        found = self.modelled.get(message_code)
        if found is None:
            found = _named(reference_dir() / MESSAGE_CODES_FILE).get(message_code)
        return found

    def __contains__(self, message_code: int) -> bool:
        return message_code in self.modelled

    def _codec(self, message_code: int) -> PayloadCodec | None:
        use_case = self.modelled.get(message_code)
        return use_case.codec if use_case else None

    # --- the envelope's PayloadCodecs ---------------------------------------------------

    def construct(self, message_code: int) -> Construct | None:
        codec = self._codec(message_code)
        return codec.construct if codec else None

    def construct_of(self, payload: Any) -> Construct | None:
        codec = self._by_type.get(type(payload))
        return codec.construct if codec else None

    def decode(self, message_code: int, content: bytes, offset: int) -> Any:
        codec = self._codec(message_code)
        return codec.decode(content, offset) if codec else content

    def encode(self, message_code: int, payload: Any, fast: bool = True) -> bytes:
        if isinstance(payload, bytes | bytearray):
            return bytes(payload)
        codec = self._by_type.get(type(payload))
        if codec is None:
            raise ValidationError("payload", f"cannot encode {type(payload).__name__} as content")
        return codec.encode(payload, fast=fast)

    def describe(self, message_code: int) -> str:
        use_case = self.get(message_code)
        if use_case is None:
            return "use case not known"
        return str(use_case) if use_case.modelled else f"{use_case} (payload not modelled)"


REGISTRY = Registry([ECS07, GCS04, *_reset_use_cases()])
"""Every use case the package knows; complete on import."""
