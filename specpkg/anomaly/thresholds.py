"""Anomaly Detection Thresholds (ADTs) that Users set (SR-12, TR-10).

The new reset commands are Critical, so the DCC applies threshold anomaly
detection to them. Users set two kinds of threshold, per User and per Service
Request reference (``"2.4"``, ...):

* **volume**: at most ``limit`` requests in any rolling window of
  ``window_seconds`` seconds. A request is over the threshold when the number
  of the User's valid requests for that Service Request in the window
  ``(t - window_seconds, t]``, itself included, exceeds ``limit``. Every valid
  request counts, whether it was delivered or quarantined: the threshold
  watches what the User *sent*, so a burst stays quarantined until the window
  has moved past it.
* **data value**: the value a request writes must not exceed ``limit``. For a
  reset the value written is the new register value, 0 for a correct reset, so
  ``limit = 0`` quarantines any reset that would write something other than
  zero. Data value thresholds look at one request at a time; their
  ``window_seconds`` is 0.

A User may hold several volume thresholds for one Service Request (say 500 an
hour and 2,000 a day) and at most one data value threshold. The DCC sets
thresholds of its own too (owner ``DCC``): they count the requests of *every*
User for the Service Request, since the new commands are in scope of threshold
anomaly detection "affecting both DCC Users and the DCC" (SR-12). A threshold is
identified by ``(user_id, service_reference, kind, window_seconds)``; setting
one with the same identity replaces it.

The table lives in ``data/thresholds.csv`` with the columns of
:data:`COLUMNS`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from specpkg.errors import ValidationError
from specpkg.gbcs.catalogue import SERVICE_REFERENCE_FORMAT
from specpkg.meter.registers import INT32_MAX, check_int
from specpkg.paths import DATA_DIR

THRESHOLDS_CSV = DATA_DIR / "thresholds.csv"
#: The owner of the DCC's own thresholds, which count every User's requests (SR-12), and
#: the recipient of the DCC's notifications.
DCC = "DCC"
COLUMNS = ("user_id", "service_reference", "kind", "window_seconds", "limit")


#: A DCC User ID: in production an EUI-64 (16 hex digits); the test environment also
#: uses short names such as "U1", so any 1..32 letters, digits, ".", "_" or "-".
_USER_ID = re.compile(r"^[0-9A-Za-z._-]{1,32}$")
#: The longest rolling window a volume threshold may use: 31 days.
MAX_WINDOW_SECONDS = 31 * 24 * 3600
#: At most this many thresholds per (User, Service Request): one bit each in a uint64 mask.
MAX_PER_REQUEST = 64


class ThresholdKind(StrEnum):
    VOLUME = "volume"
    DATA_VALUE = "data_value"


def parse_user_id(value: Any, field: str = "user_id") -> str:
    """A User ID, kept exactly as given (case matters)."""
    if not isinstance(value, str) or not _USER_ID.match(value):
        raise ValidationError(
            field, f"must be 1 to 32 letters, digits, '.', '_' or '-', got {value!r}")
    return value


def parse_service_reference(value: Any, field: str = "service_reference") -> str:
    """A Service Request reference such as ``"2.4"`` or ``"1.1.1"``."""
    if not isinstance(value, str) or not SERVICE_REFERENCE_FORMAT.fullmatch(value):
        raise ValidationError(field, f"must look like '2.4' or '1.1.1', got {value!r}")
    return value


def parse_kind(value: Any) -> ThresholdKind:
    """``volume`` or ``data_value``; also accepts "user volume", "data value" (any case)."""
    if isinstance(value, ThresholdKind):
        return value
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "_").removeprefix("user_")
        for member in ThresholdKind:
            if text == member.value:
                return member
    allowed = ", ".join(m.value for m in ThresholdKind)
    raise ValidationError("kind", f"unknown kind {value!r}; expected one of {allowed}")


@dataclass(frozen=True)
class Threshold:
    """One ADT set by a User (SR-12, TR-10)."""

    user_id: str
    service_reference: str
    kind: ThresholdKind
    window_seconds: int
    limit: int

    def __post_init__(self) -> None:
        parse_user_id(self.user_id)  # both kept exactly as given
        parse_service_reference(self.service_reference)
        object.__setattr__(self, "kind", parse_kind(self.kind))
        check_int("limit", self.limit, 0, INT32_MAX)
        if self.kind is ThresholdKind.VOLUME:
            check_int("window_seconds", self.window_seconds, 1, MAX_WINDOW_SECONDS)
        else:
            check_int("window_seconds", self.window_seconds, 0, 0)

    @property
    def key(self) -> tuple[str, str, ThresholdKind, int]:
        return (self.user_id, self.service_reference, self.kind, self.window_seconds)

    def describe(self) -> str:
        if self.kind is ThresholdKind.VOLUME:
            return (
                f"volume: more than {self.limit} x {self.service_reference} "
                f"in {self.window_seconds} s"
            )
        return f"data value: {self.service_reference} value above {self.limit}"

    def as_row(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "service_reference": self.service_reference,
            "kind": self.kind.value,
            "window_seconds": self.window_seconds,
            "limit": self.limit,
        }


def _sort_key(t: Threshold) -> tuple[str, str, int, int]:
    return (t.user_id, t.service_reference, 0 if t.kind is ThresholdKind.VOLUME else 1,
            t.window_seconds)


class ThresholdTable:
    """The Users' ADTs, kept in a fixed order (User, Service Request, kind, window).

    The thresholds that apply to one User and Service Request are listed by
    :meth:`for_request`; an evaluation reports the ones a request exceeded as a
    bit mask over their positions in that list (at most 64 per pair).
    """

    def __init__(self, thresholds: Iterable[Threshold] = ()) -> None:
        self._by_key: dict[tuple[str, str, ThresholdKind, int], Threshold] = {}
        for threshold in thresholds:
            if not isinstance(threshold, Threshold):
                raise ValidationError("threshold", f"must be a Threshold, got {threshold!r}")
            if threshold.key in self._by_key:
                raise ValidationError(
                    "threshold", f"two thresholds with the same identity {threshold.key}"
                )
            self._by_key[threshold.key] = threshold
        self._check_size()

    def _check_size(self) -> None:
        counts: dict[tuple[str, str], int] = {}
        for t in self._by_key.values():
            pair = (t.user_id, t.service_reference)
            counts[pair] = counts.get(pair, 0) + 1
            if counts[pair] > MAX_PER_REQUEST:
                raise ValidationError(
                    "threshold", f"more than {MAX_PER_REQUEST} thresholds for {pair}"
                )

    def set(self, threshold: Threshold) -> ThresholdTable:
        """A new table with ``threshold`` added, or replacing the one of the same identity."""
        if not isinstance(threshold, Threshold):
            raise ValidationError("threshold", f"must be a Threshold, got {threshold!r}")
        merged = dict(self._by_key)
        merged[threshold.key] = threshold
        return ThresholdTable(merged.values())

    def remove(self, user_id: str, service_reference: str, kind: ThresholdKind | str,
               window_seconds: int = 0) -> ThresholdTable:
        """A new table without the named threshold (ValidationError if absent)."""
        key = (parse_user_id(user_id), parse_service_reference(service_reference),
               parse_kind(kind), window_seconds)
        if key not in self._by_key:
            raise ValidationError("threshold", f"no threshold {key}")
        return ThresholdTable(t for k, t in self._by_key.items() if k != key)

    def replace_user(self, user_id: str, thresholds: Iterable[Threshold]) -> ThresholdTable:
        """A new table in which all of one User's thresholds are ``thresholds`` (TR-10)."""
        user = parse_user_id(user_id)
        new = list(thresholds)
        for threshold in new:
            if threshold.user_id != user:
                raise ValidationError("user_id", f"{threshold.user_id} is not {user}")
        return ThresholdTable([t for t in self._by_key.values() if t.user_id != user] + new)

    def all(self) -> list[Threshold]:
        return sorted(self._by_key.values(), key=_sort_key)

    def __iter__(self) -> Iterator[Threshold]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self._by_key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ThresholdTable) and self.all() == other.all()

    __hash__ = None  # type: ignore[assignment]

    def users(self) -> list[str]:
        """The Users with a threshold (not the DCC's own)."""
        return sorted({t.user_id for t in self._by_key.values() if t.user_id != DCC})

    def pairs(self) -> list[tuple[str, str]]:
        """Every (User, Service Request) that has at least one threshold (not the DCC's)."""
        return sorted({(t.user_id, t.service_reference) for t in self._by_key.values()
                       if t.user_id != DCC})

    def dcc_services(self) -> list[str]:
        """The Service Requests the DCC set thresholds of its own on (SR-12)."""
        return sorted({t.service_reference for t in self._by_key.values() if t.user_id == DCC})

    def for_user(self, user_id: str) -> list[Threshold]:
        """All thresholds one User set (TR-10)."""
        return [t for t in self.all() if t.user_id == user_id]

    def for_request(self, user_id: str, service_reference: str) -> list[Threshold]:
        """The thresholds that apply to this User and Service Request, in mask-bit order."""
        return [
            t for t in self.all()
            if t.user_id == user_id and t.service_reference == service_reference
        ]

    def describe_mask(self, user_id: str, service_reference: str, mask: int) -> str:
        """The thresholds named by a bit mask, as one line of text."""
        applicable = self.for_request(user_id, service_reference)
        return "; ".join(t.describe() for i, t in enumerate(applicable) if mask >> i & 1)

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([t.as_row() for t in self.all()], columns=list(COLUMNS))

    @classmethod
    def load(cls, path: Path | str = THRESHOLDS_CSV) -> ThresholdTable:
        """Read a thresholds CSV; a bad cell raises ValidationError naming its column and row."""
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ValidationError(missing[0], f"column missing from {Path(path).name}")
            rows = list(reader)
        thresholds = []
        for number, row in enumerate(rows, start=2):
            thresholds.append(threshold_from_row(row, where=f"line {number}"))
        return cls(thresholds)


def threshold_from_row(row: dict[str, Any], where: str = "row") -> Threshold:
    """A Threshold from text cells (CSV); integers must be plain decimal digits."""
    values: dict[str, Any] = {}
    for column in COLUMNS:
        cell = row.get(column)
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            raise ValidationError(column, f"empty at {where}")
        values[column] = cell.strip() if isinstance(cell, str) else cell
    for column in ("window_seconds", "limit"):
        cell = values[column]
        if isinstance(cell, str):
            if not re.fullmatch(r"[0-9]+", cell):
                raise ValidationError(column, f"must be a whole number at {where}, got {cell!r}")
            values[column] = int(cell)
    try:
        return Threshold(**values)
    except ValidationError as exc:
        raise ValidationError(exc.field, f"{exc.reason} (at {where})") from None

