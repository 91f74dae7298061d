"""construct Adapters from wire structs to the package's typed values (SR-1, SR-2).

:class:`Typed` maps a Struct straight to a frozen dataclass and back, so that no
codec writes a container <-> dataclass mapping by hand; :class:`StrictEnum` and
:class:`OpenEnum` map integer fields to enums; :class:`Joined` maps a struct of
byte strings to their concatenation.
"""

from __future__ import annotations

import dataclasses
from enum import IntEnum
from typing import Any

from construct import Adapter, Construct, ExplicitError, Struct, Subconstruct

from specpkg.errors import ValidationError


class StrictEnum(Adapter):
    """An integer field that must be a member of ``enum`` (parsed as the member)."""

    def __init__(self, subcon: Construct, enum: type[IntEnum], name: str = "") -> None:
        super().__init__(subcon)
        self.enum = enum
        self.what = name or enum.__name__

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        start = stream.tell()
        value = self.subcon._parsereport(stream, context, path)
        try:
            return self.enum(value)
        except ValueError:
            stream.seek(start)  # the error names the field's own offset
            raise ExplicitError(f"unknown {self.what} {value:#04x}", path=path) from None

    def _encode(self, obj: Any, context: Any, path: str) -> int:
        return int(self.enum(obj))


class OpenEnum(Adapter):
    """An integer field parsed as a member of ``enum`` when it is one, else kept
    as the integer (status and result codes outside the modelled set)."""

    def __init__(self, subcon: Construct, enum: type[IntEnum]) -> None:
        super().__init__(subcon)
        self.members = {m.value: m for m in enum}

    def _decode(self, obj: int, context: Any, path: str) -> Any:
        return self.members.get(obj, obj)

    def _encode(self, obj: Any, context: Any, path: str) -> int:
        return int(obj)


def _struct_of(con: Construct) -> Struct | None:
    """The Struct a (wrapped) construct parses, looking through Subconstructs."""
    while not isinstance(con, Struct):
        if isinstance(con, Typed) or not isinstance(con, Subconstruct):
            return None
        con = con.subcon
    return con


class Typed(Adapter):
    """Parse a Struct straight to the frozen dataclass ``cls`` and build it back.

    Struct members are matched to dataclass fields by name (``renamed`` maps a
    wire name to a field of another name). A member that is not a field but a
    nested group of fields (the transaction id, the MAC'd body) is looked into;
    constants, lengths and ``_`` names are the wire's own business.
    """

    def __init__(self, subcon: Construct, cls: type, renamed: dict[str, str] | None = None) -> None:
        super().__init__(subcon)
        self.cls = cls
        renamed = renamed or {}
        names = {f.name for f in dataclasses.fields(cls)}
        self.direct: list[tuple[str, str]] = []  # (member, field)
        self.groups: dict[str, list[str]] = {}
        struct = _struct_of(subcon)
        assert struct is not None, f"Typed needs a Struct for {cls.__name__}"
        for member in struct.subcons:
            field = renamed.get(member.name, member.name)
            if field in names:
                self.direct.append((member.name, field))
            elif member.name and not member.name.startswith("_"):
                inner = _struct_of(member)
                if inner is not None:
                    self.groups[member.name] = [m.name for m in inner.subcons if m.name in names]

    def _decode(self, obj: Any, context: Any, path: str) -> Any:
        values = {field: obj[member] for member, field in self.direct}
        for group, members in self.groups.items():
            inner = obj[group]
            values.update((name, inner[name]) for name in members)
        try:
            return self.cls(**values)
        except ValidationError as exc:
            raise ExplicitError(str(exc), path=path) from None

    def _encode(self, obj: Any, context: Any, path: str) -> dict[str, Any]:
        if not isinstance(obj, self.cls):
            raise ExplicitError(f"expected {self.cls.__name__}, got {type(obj).__name__}",
                                path=path)
        value: dict[str, Any] = {member: getattr(obj, field) for member, field in self.direct}
        for group, members in self.groups.items():
            value[group] = {name: getattr(obj, name) for name in members}
        return value


class Joined(Adapter):
    """A struct of byte strings parsed as their concatenation (r||s of a signature)."""

    def __init__(self, subcon: Struct, sizes: tuple[int, ...]) -> None:
        super().__init__(subcon)
        self.names = [m.name for m in subcon.subcons]
        self.sizes = sizes

    def _decode(self, obj: Any, context: Any, path: str) -> bytes:
        return b"".join(obj[name] for name in self.names)

    def _encode(self, obj: bytes, context: Any, path: str) -> dict[str, bytes]:
        out, pos = {}, 0
        for name, size in zip(self.names, self.sizes, strict=True):
            out[name] = obj[pos : pos + size]
            pos += size
        return out
