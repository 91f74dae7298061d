"""What the model remembers of its past, bounded (issue 18, "Bounded state").

A decision needs counters, open quarantines and the requests inside a threshold
window; it never needs the history of what happened (decisions, notifications,
routes, meter logs, screenings, issued Pre-Commands already taken). That history
is a :class:`Journal` (a sequence) or a :class:`JournalMap` (a mapping), which
keeps at most ``keep`` entries in memory, oldest out first, and hands each entry
it lets go to its ``sink``, so that a long run can write everything out while
holding only its tail. :class:`Retention` is the one setting: ``keep=None``
(the default) keeps everything, as the workbook's small runs want; a long-running
service or load run sets a bound and a sink (e.g. :func:`jsonl_sink`).

Entries keep their absolute position: ``journal[i]`` is the ``i``-th entry ever
appended (the engine's request sequence), while it is still in memory.
"""

from __future__ import annotations

import dataclasses
import json
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

from specpkg.errors import ValidationError

T = TypeVar("T")
K = TypeVar("K")

#: Where an entry goes when it leaves memory: (what kind of history, the entry).
Sink = Callable[[str, Any], None]


@dataclasses.dataclass(frozen=True)
class Retention:
    """How much history each part of the model keeps in memory (None: all), and where
    the rest goes."""

    keep: int | None = None
    sink: Sink | None = None

    def __post_init__(self) -> None:
        if self.keep is not None and (not isinstance(self.keep, int) or self.keep < 0):
            raise ValidationError("keep", f"must be a whole number >= 0 or None, not {self.keep!r}")

    def journal(self, kind: str) -> Journal:
        return Journal(kind, self.keep, self.sink)

    def mapping(self, kind: str) -> JournalMap:
        return JournalMap(kind, self.keep, self.sink)


class Journal(Generic[T]):
    """An append-only history holding at most ``keep`` entries in memory."""

    def __init__(self, kind: str = "", keep: int | None = None, sink: Sink | None = None,
                 ) -> None:
        self.kind, self.keep, self.sink = kind, keep, sink
        self._items: deque[T] = deque()
        #: Entries ever appended (in memory or let go).
        self.total = 0

    @property
    def first(self) -> int:
        """The position of the oldest entry still in memory."""
        return self.total - len(self._items)

    def append(self, item: T) -> None:
        self._items.append(item)
        self.total += 1
        if self.keep is not None:
            while len(self._items) > self.keep:
                self._let_go(self._items.popleft())

    def _let_go(self, item: T) -> None:
        if self.sink is not None:
            self.sink(self.kind, item)

    def flush(self) -> None:
        """Hand every entry still in memory to the sink (the end of a run)."""
        while self._items and self.sink is not None:
            self._let_go(self._items.popleft())

    def _index(self, position: int) -> int:
        index = position - self.first if position >= 0 else len(self._items) + position
        if not 0 <= index < len(self._items):
            raise IndexError(f"{self.kind or 'journal'} entry {position} is not in memory "
                             f"(entries {self.first} to {self.total - 1} are)")
        return index

    def __getitem__(self, position):  # int: an absolute position; slice: of what is in memory
        if isinstance(position, slice):
            return list(self._items)[position]
        return self._items[self._index(position)]

    def __setitem__(self, position: int, item: T) -> None:
        self._items[self._index(position)] = item

    def __contains__(self, position: object) -> bool:
        return isinstance(position, int) and self.first <= position < self.total

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return list(self._items) == list(other) if isinstance(other, (list, tuple, Journal)) \
            else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Journal({self.kind!r}, {len(self)} in memory of {self.total})"


class JournalMap(OrderedDict, Generic[K, T]):  # type: ignore[type-arg]
    """A mapping holding at most ``keep`` entries in memory, the oldest inserted let go
    first (as (key, value) to the sink)."""

    def __init__(self, kind: str = "", keep: int | None = None, sink: Sink | None = None,
                 ) -> None:
        super().__init__()
        self.kind, self.keep, self.sink = kind, keep, sink

    def __setitem__(self, key: K, value: T) -> None:
        super().__setitem__(key, value)
        if self.keep is not None:
            while len(self) > self.keep:
                old = self.popitem(last=False)
                if self.sink is not None:
                    self.sink(self.kind, old)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)


def jsonl_sink(path: Path) -> Sink:
    """A sink appending each entry let go to ``path`` as one JSON line
    ``{"kind": ..., "entry": ...}`` (bytes as hex); the file is the written-out record."""
    handle = Path(path).open("a", encoding="utf-8")

    def write(kind: str, entry: Any) -> None:
        handle.write(json.dumps({"kind": kind, "entry": _plain(entry)}) + "\n")

    return write
