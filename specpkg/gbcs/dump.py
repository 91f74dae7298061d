"""An annotated, byte-by-byte dump of a GBCS message for notebooks (SR-1, SR-2, BR-5).

:func:`dump` lays a message's bytes out as rows: offset, bytes (hex), field,
value, meaning. The rows come from the construct definitions of the envelope
and payloads, whose fields say how they are shown (:class:`wire.Shown`), so a
field is described once, next to its definition. The rows cover every byte
exactly once, in order (checked), so the table is the message. Length and
count fields are named ``... length`` / ``... count``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from specpkg.errors import DecodeError
from specpkg.gbcs import messages, wire
from specpkg.gbcs.envelope import MessageStruct
from specpkg.gbcs.usecases import REGISTRY

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["offset", "bytes", "field", "value", "meaning"]


def rows(data: bytes) -> list[tuple[int, str, str, str, str]]:
    """The dump rows of a message (offset, bytes, field, value, meaning), as the
    construct definitions record them while they parse it; DecodeError if the
    message does not decode or (a defect) the rows miss or repeat a byte."""
    messages.decode(data)  # the same verdict on bad bytes as everywhere else
    _, found = wire.record(MessageStruct, bytes(data), codecs=REGISTRY)
    covered = 0
    for offset, raw, name, _value, _meaning in found:
        if offset != covered:
            raise DecodeError(covered, f"dump rows do not cover the message at {name}")
        covered += len(raw.split())
    if covered != len(data):
        raise DecodeError(covered, "dump did not cover the whole message")
    return found


def dump(data: bytes) -> pd.DataFrame:
    """The annotated dump of a message as a DataFrame (one row per field)."""
    import pandas as pd

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
    import pandas as pd

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
