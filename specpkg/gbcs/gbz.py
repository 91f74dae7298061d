"""GBZ, the GSME payload: ZigBee Smart Energy frames in a GBCS wrapper (SR-1, BR-5).

* GBZ: profile ``0109``, component count, then per component a control byte
  (bit 0 last component, bit 1 encrypted, bit 4 from-date-time present),
  cluster id, length (big-endian) and a ZCL frame (:mod:`specpkg.gbcs.zcl`).

Encrypted or from-date-time components are kept as opaque bytes. The layout is
defined once in :data:`GbzStruct`; :func:`decode` and :func:`encode` try a
hand-rolled fast path first, checked equal by the property tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from construct import GreedyBytes, IfThenElse, Int8ub, Int16ub, Struct, Terminated, this

from specpkg.errors import ValidationError
from specpkg.gbcs import wire
from specpkg.gbcs.typed import Typed
from specpkg.gbcs.wire import Counted, Fixed, Framed, Shown
from specpkg.gbcs.zcl import (
    CHANGE_DEBT,
    DEFAULT_RESPONSE,
    FC_CLUSTER_SPECIFIC,
    FC_MANUFACTURER,
    FC_SERVER_TO_CLIENT,
    PREPAYMENT_CLUSTER,
    ChangeDebt,
    DebtAmountType,
    DefaultResponse,
    RecoveryFrequency,
    RecoveryMethod,
    ZclFrame,
    ZclFrameStruct,
    ZclStatus,
    fast_frame,
    fast_frame_bytes,
)

__all__ = [  # the ZCL names GBZ users reach through this module
    "CHANGE_DEBT", "DEFAULT_RESPONSE", "FC_CLUSTER_SPECIFIC", "FC_MANUFACTURER",
    "FC_SERVER_TO_CLIENT", "PREPAYMENT_CLUSTER", "ChangeDebt", "DebtAmountType",
    "DefaultResponse", "RecoveryFrequency", "RecoveryMethod", "ZclFrame", "ZclStatus",
]

PROFILE_ID = 0x0109

CONTROL_LAST = 0x01
CONTROL_ENCRYPTED = 0x02
CONTROL_FROM_DATE_TIME = 0x10
_OPAQUE = CONTROL_ENCRYPTED | CONTROL_FROM_DATE_TIME


@dataclass(frozen=True, slots=True)
class GbzComponent:
    """One GBZ component: control byte, cluster id and ZCL frame (or opaque bytes)."""

    control: int
    cluster_id: int
    frame: ZclFrame | bytes

    @property
    def last(self) -> bool:
        return bool(self.control & CONTROL_LAST)

    @property
    def encrypted(self) -> bool:
        return bool(self.control & CONTROL_ENCRYPTED)


@dataclass(frozen=True, slots=True)
class Gbz:
    """A GBZ payload: its components in order."""

    components: tuple[GbzComponent, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "components", tuple(self.components))


def _control_meaning(value: int, _context: object) -> str:
    flags = [name for bit, name in ((CONTROL_LAST, "last"), (CONTROL_ENCRYPTED, "encrypted"),
                                    (CONTROL_FROM_DATE_TIME, "from date-time")) if value & bit]
    return ", ".join(flags) or "more follow"


GbzComponentStruct = Typed(Struct(
    "control" / Shown(Int8ub, "control", _control_meaning, show=lambda v: f"0x{v:02X}"),
    "cluster_id" / Shown(Int16ub, "cluster id",
                         lambda v, _: "Prepayment" if v == PREPAYMENT_CLUSTER else "",
                         show=lambda v: f"0x{v:04X}"),
    "frame" / Framed(Shown(Int16ub, "frame length"), IfThenElse(
        this.control & _OPAQUE, Shown(GreedyBytes, "frame", "opaque"), ZclFrameStruct)),
), GbzComponent)

GbzStruct = Typed(Struct(
    "profile" / Shown(Fixed(PROFILE_ID.to_bytes(2, "big")), "GBZ profile id",
                      "ZigBee Smart Energy", show="0x0109"),
    "components" / Counted(Int8ub, GbzComponentStruct, "component count", "[{i}]"),
    Terminated,
), Gbz)
"""The GBZ payload."""


def _fast_decode(data: bytes) -> Gbz:
    """Hand-rolled fast path of GbzStruct for well-formed input."""
    if data[0] != 0x01 or data[1] != 0x09:
        raise wire.Fallback
    components = []
    pos = 3
    for _ in range(data[2]):
        control = data[pos]
        cluster_id = (data[pos + 1] << 8) | data[pos + 2]
        length = (data[pos + 3] << 8) | data[pos + 4]
        pos += 5
        frame = data[pos : pos + length]
        if len(frame) != length:
            raise wire.Fallback
        pos += length
        decoded = frame if control & _OPAQUE else fast_frame(cluster_id, frame)
        components.append(GbzComponent(control, cluster_id, decoded))
    if pos != len(data):
        raise wire.Fallback
    return Gbz(tuple(components))


def decode(data: bytes, base: int = 0, fast: bool = True) -> Gbz:
    """Decode a GBZ payload; malformed bytes raise DecodeError (offset from ``base``).

    ``fast`` tries a hand-rolled fast path first; whatever it does not accept
    goes to the construct definition, which alone decides errors.
    """
    return wire.fast_first((lambda: _fast_decode(data)) if fast else None,
                           lambda: wire.parse(GbzStruct, data, base))


def _fast_encode(gbz: Gbz) -> bytes:
    """Hand-rolled fast path of building GbzStruct (checked by tests)."""
    parts = [b"\x01\x09", bytes((len(gbz.components),))]
    for component in gbz.components:
        frame = component.frame
        opaque = bool(component.control & _OPAQUE)
        if isinstance(frame, bytes) != opaque:
            raise wire.Fallback
        body = frame if isinstance(frame, bytes) else fast_frame_bytes(frame)
        parts += [bytes((component.control,)), component.cluster_id.to_bytes(2, "big"),
                  len(body).to_bytes(2, "big"), body]
    data = b"".join(parts)
    if _fast_decode(data) != gbz:  # the payload kind must be what decode will see
        raise wire.Fallback
    return data


def encode(gbz: Gbz, fast: bool = True) -> bytes:
    """Encode a GBZ payload (the exact inverse of :func:`decode`)."""
    return wire.fast_first((lambda: _fast_encode(gbz)) if fast else None,
                           lambda: wire.build(GbzStruct, gbz))


def change_debt_component(command: ChangeDebt, sequence: int, last: bool) -> GbzComponent:
    """A GBZ component carrying one Change Debt command (client to server)."""
    frame = ZclFrame(FC_CLUSTER_SPECIFIC, sequence, CHANGE_DEBT, command)
    return GbzComponent(CONTROL_LAST if last else 0, PREPAYMENT_CLUSTER, frame)


def default_response_component(
    command_id: int, status: ZclStatus | int, sequence: int, last: bool
) -> GbzComponent:
    """A GBZ component carrying one ZCL Default Response (server to client)."""
    frame = ZclFrame(
        FC_SERVER_TO_CLIENT, sequence, DEFAULT_RESPONSE, DefaultResponse(command_id, status)
    )
    return GbzComponent(CONTROL_LAST if last else 0, PREPAYMENT_CLUSTER, frame)


@dataclass(frozen=True, order=True, slots=True)
class ZclCommand:
    """Which ZigBee command a GBZ component carries on the SM HAN (SR-5).

    Cluster, frame type (cluster-specific or general), direction and command
    id: two components that agree on these use the same ZigBee command.
    """

    cluster_id: int
    cluster_specific: bool
    server_to_client: bool
    command_id: int

    def __str__(self) -> str:
        kind = "cluster-specific" if self.cluster_specific else "general"
        way = "server to client" if self.server_to_client else "client to server"
        return f"cluster 0x{self.cluster_id:04X} {kind} command 0x{self.command_id:02X} ({way})"


def zcl_commands(payload: Gbz) -> frozenset[ZclCommand]:
    """The ZigBee commands a GBZ payload uses (SR-5); ValidationError for an
    opaque frame, whose command cannot be told (it could hide a new one)."""
    found = set()
    for component in payload.components:
        frame = component.frame
        if not isinstance(frame, ZclFrame):
            raise ValidationError(
                "frame", f"opaque frame on cluster 0x{component.cluster_id:04X}: command unknown"
            )
        cluster_specific = (frame.frame_control & 0x03) == FC_CLUSTER_SPECIFIC
        to_client = bool(frame.frame_control & FC_SERVER_TO_CLIENT)
        found.add(ZclCommand(component.cluster_id, cluster_specific, to_client, frame.command_id))
    return frozenset(found)
