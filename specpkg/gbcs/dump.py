"""An annotated, byte-by-byte dump of a GBCS message for notebooks (SR-1, SR-2, BR-5).

:func:`dump` decodes a message with :mod:`specpkg.messages` and lays its bytes
out as rows: offset, bytes (hex), field, value, meaning. The rows cover every
byte exactly once, in order (checked), so the table is the message.
Length and count fields are named ``... length`` / ``... count``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from specpkg.errors import DecodeError
from specpkg.gbcs import dlms, gbz, messages
from specpkg.gbcs.envelope import Cra, GeneralSigning, MacHeader

COLUMNS = ["offset", "bytes", "field", "value", "meaning"]


@dataclass
class _Walker:
    data: bytes
    pos: int = 0
    rows: list[tuple[int, str, str, str, str]] = field(default_factory=list)

    def add(self, size: int, name: str, value: object = None, meaning: str = "") -> bytes:
        raw = self.data[self.pos : self.pos + size]
        if len(raw) != size:
            raise DecodeError(self.pos, f"dump ran past the end at {name}")
        shown = "" if value is None else str(value)
        self.rows.append((self.pos, raw.hex(" ").upper(), name, shown, meaning))
        self.pos += size
        return raw

    def length(self, name: str, meaning: str = "") -> int:
        first = self.data[self.pos]
        size = 1 if first < 0x80 else 1 + (first & 0x7F)
        raw = self.data[self.pos : self.pos + size]
        value = first if size == 1 else int.from_bytes(raw[1:], "big")
        self.add(size, name, value, meaning)
        return value


def _envelope(w: _Walker, apdu: GeneralSigning) -> None:
    use_case = messages.USE_CASES.get(apdu.message_code)
    w.add(1, "general-signing tag", "DF", "general-signing APDU")
    w.add(1, "transaction id length", 9)
    w.add(
        1,
        "CRA flag",
        apdu.cra.name.lower(),
        {Cra.COMMAND: "a command", Cra.RESPONSE: "a response", Cra.ALERT: "an alert"}[apdu.cra],
    )
    w.add(
        8, "originator counter", apdu.originator_counter, "unique per originator; replay protection"
    )
    w.add(1, "originator title length", 8)
    w.add(8, "originator system title", apdu.originator_id, "who sent (and signed) it")
    w.add(1, "recipient title length", 8)
    w.add(8, "recipient system title", apdu.recipient_id, "who it is for")
    w.add(
        1,
        "date-time length",
        len(apdu.date_time),
        "00 = no date-time" if not apdu.date_time else "",
    )
    if apdu.date_time:
        w.add(len(apdu.date_time), "date-time")
    w.length("other-information length")
    w.add(
        2,
        "message code",
        f"0x{apdu.message_code:04X}",
        f"{use_case.name} {use_case.title}" if use_case else "use case not modelled",
    )
    if apdu.other_information_rest:
        w.add(len(apdu.other_information_rest), "other-information rest")
    content_length = w.length("content length", "the payload follows")
    payload = apdu.payload
    if isinstance(payload, gbz.Gbz):
        _gbz(w, payload)
    elif isinstance(payload, dlms.AccessRequest | dlms.AccessResponse):
        _dlms(w, payload)
    else:
        w.add(content_length, "payload", None, "opaque (use case not modelled)")
    if apdu.signature is not None:
        w.add(1, "signature length", 64)
        w.add(32, "signature r", None, "ECDSA P-256 over the bytes after DF up to here")
        w.add(32, "signature s")


def _gbz(w: _Walker, payload: gbz.Gbz) -> None:
    w.add(2, "GBZ profile id", "0x0109", "ZigBee Smart Energy")
    w.add(1, "component count", len(payload.components))
    for i, comp in enumerate(payload.components, 1):
        flags = [
            n
            for bit, n in ((1, "last"), (2, "encrypted"), (16, "from date-time"))
            if comp.control & bit
        ]
        w.add(1, f"[{i}] control", f"0x{comp.control:02X}", ", ".join(flags) or "more follow")
        cluster = "Prepayment" if comp.cluster_id == gbz.PREPAYMENT_CLUSTER else ""
        w.add(2, f"[{i}] cluster id", f"0x{comp.cluster_id:04X}", cluster)
        length = int.from_bytes(w.data[w.pos : w.pos + 2], "big")
        w.add(2, f"[{i}] frame length", length)
        frame = comp.frame
        if isinstance(frame, bytes):
            w.add(len(frame), f"[{i}] frame", None, "opaque")
            continue
        direction = "server to client" if frame.frame_control & 0x08 else "client to server"
        kind = "cluster-specific" if frame.frame_control & 0x03 else "general"
        w.add(1, f"[{i}] ZCL frame control", f"0x{frame.frame_control:02X}", f"{kind}, {direction}")
        if frame.manufacturer_code is not None:
            w.add(2, f"[{i}] manufacturer code", frame.manufacturer_code)
        w.add(1, f"[{i}] sequence number", frame.sequence)
        p = frame.payload
        if isinstance(p, gbz.ChangeDebt):
            w.add(1, f"[{i}] command id", "0x02", "Change Debt")
            _change_debt(w, i, p)
        elif isinstance(p, gbz.DefaultResponse):
            w.add(1, f"[{i}] command id", "0x0B", "Default Response")
            w.add(1, f"[{i}] answered command id", f"0x{p.command_id:02X}")
            status = p.status.name if isinstance(p.status, gbz.ZclStatus) else "unknown"
            w.add(1, f"[{i}] status", f"0x{int(p.status):02X}", status)
        else:
            w.add(1, f"[{i}] command id", f"0x{frame.command_id:02X}")
            if p:
                w.add(len(p), f"[{i}] payload", None, "opaque")


def _change_debt(w: _Walker, i: int, p: gbz.ChangeDebt) -> None:
    w.add(4, f"[{i}] issuer event id", p.issuer_event_id)
    w.add(1, f"[{i}] debt label length", len(p.debt_label), "empty" if not p.debt_label else "")
    if p.debt_label:
        w.add(len(p.debt_label), f"[{i}] debt label")
    w.add(4, f"[{i}] debt amount", p.debt_amount, "pence")
    w.add(1, f"[{i}] debt recovery method", p.recovery_method.name)
    w.add(
        1,
        f"[{i}] debt amount type",
        p.amount_type.name,
        f"{p.register.label}, {'incremental' if p.amount_type.incremental else 'absolute'}",
    )
    w.add(4, f"[{i}] debt recovery start time", p.recovery_start_time, "ZigBee UTC seconds")
    w.add(2, f"[{i}] debt recovery collection time", p.collection_time)
    w.add(1, f"[{i}] debt recovery frequency", p.frequency.name)
    w.add(4, f"[{i}] debt recovery amount", p.recovery_amount, "pence")
    w.add(2, f"[{i}] debt recovery balance percentage", p.balance_percentage, "basis points")


def _dlms(w: _Walker, payload: dlms.AccessRequest | dlms.AccessResponse) -> None:
    request = isinstance(payload, dlms.AccessRequest)
    w.add(
        1,
        "xDLMS tag",
        "D9" if request else "DA",
        "ACCESS-Request" if request else "ACCESS-Response",
    )
    w.add(4, "long-invoke-id-and-priority", f"0x{payload.invoke_id:08X}")
    w.length("date-time length", "00 = no date-time" if not payload.date_time else "")
    if payload.date_time:
        w.add(len(payload.date_time), "date-time")
    if isinstance(payload, dlms.AccessRequest):
        _request_specs(w, payload.specs)
        w.length("data count")
        for i, item in enumerate(payload.data, 1):
            _data(w, f"data[{i}]", item)
        return
    present = payload.request_specs is not None
    w.add(1, "request specifications present", present)
    if payload.request_specs is not None:
        _request_specs(w, payload.request_specs)
    w.length("data count")
    for i, item in enumerate(payload.data, 1):
        _data(w, f"data[{i}]", item)
    w.length("response specification count")
    for i, rsp in enumerate(payload.specs, 1):
        w.add(1, f"response[{i}] kind", rsp.kind.name.lower())
        name = rsp.result.name if isinstance(rsp.result, dlms.AccessResult) else "unknown"
        w.add(1, f"response[{i}] result", int(rsp.result), name)


def _request_specs(w: _Walker, specs: tuple[dlms.RequestSpec, ...]) -> None:
    w.length("request specification count")
    for i, spec in enumerate(specs, 1):
        w.add(1, f"spec[{i}] kind", spec.kind.name.lower())
        cls = "Charge" if spec.class_id == dlms.CHARGE_CLASS_ID else ""
        w.add(2, f"spec[{i}] class id", spec.class_id, cls)
        register = spec.register
        w.add(
            6, f"spec[{i}] instance (OBIS)", str(spec.instance), register.label if register else ""
        )
        if spec.kind is dlms.SpecKind.ACTION:
            method = spec.method
            w.add(1, f"spec[{i}] method id", spec.id, method.name.lower() if method else "")
        else:
            w.add(1, f"spec[{i}] attribute id", spec.id)


def _data(w: _Walker, name: str, item: dlms.Data) -> None:
    w.add(1, f"{name} type", item.type.name.lower())
    if item.type in (dlms.DataType.ARRAY, dlms.DataType.STRUCTURE):
        w.length(f"{name} count")
        for j, child in enumerate(item.value, 1):
            _data(w, f"{name}.{j}", child)
    elif item.type is dlms.DataType.BIT_STRING:
        raw = item.value[1]
        w.length(f"{name} bit length")
        w.add(len(raw), f"{name} value")
    elif isinstance(item.value, bytes):
        w.length(f"{name} length")
        if item.value:
            w.add(len(item.value), f"{name} value")
    elif item.type is not dlms.DataType.NULL:
        size = len(dlms.encode_data(item)) - 1
        w.add(size, f"{name} value", item.value)


def rows(data: bytes) -> list[tuple[int, str, str, str, str]]:
    """The dump rows of a message (offset, bytes, field, value, meaning)."""
    message = messages.decode(data)
    w = _Walker(bytes(data))
    if isinstance(message, MacHeader):
        w.add(1, "MAC header tag", "DD", "general-ciphering (MAC only, no encryption)")
        w.add(6, "reserved", "00 x 6")
        w.length("MAC header length", "bytes that follow")
        w.add(1, "security header", "0x11", "authentication only")
        w.add(4, "invocation counter", message.invocation_counter)
        _envelope(w, message.apdu)
        w.add(12, "MAC (GCM tag)", None, "AES-128-GCM tag, 12 bytes")
    else:
        _envelope(w, message)
    if w.pos != len(data):
        raise DecodeError(w.pos, "dump did not cover the whole message")
    return w.rows


def dump(data: bytes) -> pd.DataFrame:
    """The annotated dump of a message as a DataFrame (one row per field)."""
    return pd.DataFrame(rows(data), columns=COLUMNS)


def section(data: bytes, part: str) -> pd.DataFrame:
    """The dump rows of one part of a message (SR-1, SR-2), with the part's
    name taken off the field names so that parts of two messages line up.

    ``part`` is a field-name prefix up to a space or dot: ``"[2]"`` is the
    second GBZ component, ``"spec[8]"`` and ``"data[8]"`` the eighth
    specification and data item of an ACCESS-Request (``"data[1]"`` does not
    match ``data[10]``). An empty table when nothing matches.
    """
    frame = dump(data)
    fields = frame["field"]
    mask = (fields == part) | fields.str.startswith(part + " ") | fields.str.startswith(part + ".")
    chosen = frame[mask].copy()
    chosen["field"] = chosen["field"].str.slice(len(part)).str.lstrip(" .")
    return chosen.reset_index(drop=True)


def compare(sections: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Sections of messages side by side by field (SR-1, SR-2): the bytes and
    value each carries (columns ``"<name> bytes"``, ``"<name> value"``) and
    ``same bytes``: whether all carry the same bytes. Fields in the order they
    first appear; a field a message lacks is empty there (and not the same)."""
    order: list[str] = []
    for chosen in sections.values():
        order += [f for f in chosen["field"] if f not in order]
    columns = {}
    for name, chosen in sections.items():
        indexed = chosen.set_index("field")
        columns[f"{name} bytes"] = indexed["bytes"].reindex(order)
        columns[f"{name} value"] = indexed["value"].reindex(order)
    table = pd.DataFrame(columns, index=pd.Index(order, name="field"))
    byte_columns = table[[f"{name} bytes" for name in sections]]
    table["same bytes"] = byte_columns.notna().all(axis=1) & (
        byte_columns.nunique(axis=1, dropna=False) == 1
    )
    return table.fillna("")
