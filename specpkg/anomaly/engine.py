"""Threshold anomaly detection of Service Requests (SR-12, TR-10).

The reset commands are Critical, so the DCC checks each one against the
Anomaly Detection Thresholds its User set (:mod:`specpkg.thresholds`) before
delivering it. Every request ends exactly once in one :class:`Outcome`:

* ``REFUSED``: the record itself is invalid (:class:`Refusal` says why); it is
  never counted against a threshold;
* ``DELIVERED``: within every threshold, sent on to the device;
* ``QUARANTINED``: over at least one threshold; held with its reason, and the
  User and the DCC each get a :class:`Notification`. The User then releases it
  (it becomes ``DELIVERED``) or rejects it (``REJECTED``).

Two engines implement the same rules and must agree exactly:

* :class:`ThresholdEngine`, the reference: one request at a time, rolling
  windows as deques, with the quarantine, release/reject and notifications;
* :func:`specpkg.replay.replay`, vectorised with numpy over a
  :class:`~specpkg.replay.RequestBatch`, for bulk analysis (millions of requests).

Rules both follow, in this order, for each request in arrival order:

1. refusal checks, the first failing one wins: record shape, request_id
   (integer >= 0), duplicate request_id (seen in any earlier record), user_id
   (a known User), service_reference, device_id (16 hex digits), register
   (a Debt Register, required for a reset "2.4", else optional), timestamp
   (integer seconds >= 0), data_value (integer 0..2**31-1), and finally
   out-of-order: a timestamp earlier than that of an earlier accepted request;
2. thresholds of the request's User and Service Request: a volume threshold is
   exceeded when the count of accepted requests of that pair in
   ``(t - window, t]``, this one included, is above the limit; a data value
   threshold is exceeded when ``data_value > limit``. The exceeded ones form a
   bit mask over :meth:`ThresholdTable.for_request`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from specpkg.anomaly.records import (
    NO_REGISTER,
    REGISTERS,
    Refusal,
    Request,
    as_request,
    check_fields,
)
from specpkg.anomaly.thresholds import (
    Threshold,
    ThresholdKind,
    ThresholdTable,
    parse_user_id,
)
from specpkg.errors import ValidationError

DCC = "DCC"


class Outcome(StrEnum):
    DELIVERED = "delivered"
    QUARANTINED = "quarantined"
    REFUSED = "refused"
    REJECTED = "rejected"


#: Codes of :class:`Outcome` in the vectorised arrays.
OUTCOME_CODES: tuple[Outcome, ...] = tuple(Outcome)


# --- results -------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What became of one request, as first decided (SR-12)."""

    sequence: int
    request_id: Any
    outcome: Outcome
    refusal: Refusal = Refusal.NONE
    mask: int = 0
    reason: str = ""


@dataclass(frozen=True)
class Notification:
    """A message to a User or to the DCC about a quarantined command (TR-10)."""

    recipient: str
    event: str
    request_id: int
    user_id: str
    service_reference: str
    timestamp: int
    reason: str


@dataclass
class _Held:
    sequence: int
    request: Request
    reason: str


@dataclass
class ThresholdEngine:
    """The reference engine: one request at a time (SR-12, TR-10).

    ``users`` are the known Users (default: those with a threshold). Replacing
    thresholds takes effect from the next request; a volume threshold's history
    is kept per (User, Service Request, window), so changing only its limit
    keeps the requests already counted.
    """

    table: ThresholdTable
    users: Iterable[str] | None = None
    decisions: list[Decision] = field(default_factory=list)
    delivered: list[Request] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.table, ThresholdTable):
            raise ValidationError("table", "must be a ThresholdTable")
        known = self.table.users() if self.users is None else self.users
        self.users = frozenset(parse_user_id(u) for u in known)
        self._status: list[Outcome] = []
        self._seen: set[int] = set()
        self._last_time: int | None = None
        self._windows: dict[tuple[str, str, int], deque[int]] = {}
        self._held: dict[int, _Held] = {}
        self._applicable: dict[tuple[str, str], list[Threshold]] = {}

    # thresholds (TR-10: Users set their ADTs)
    def set_threshold(self, threshold: Threshold) -> None:
        self.table = self.table.set(threshold)
        self._applicable.clear()

    def replace_thresholds(self, user_id: str, thresholds: Iterable[Threshold]) -> None:
        self.table = self.table.replace_user(user_id, thresholds)
        self._applicable.clear()

    def add_user(self, user_id: str) -> None:
        self.users = self.users | {parse_user_id(user_id)}  # type: ignore[operator]

    def _thresholds(self, user: str, service: str) -> list[Threshold]:
        pair = (user, service)
        if pair not in self._applicable:
            self._applicable[pair] = self.table.for_request(user, service)
        return self._applicable[pair]

    # requests
    def submit(self, record: Any) -> Decision:
        """Decide one request: refused, delivered or quarantined (with notifications)."""
        sequence = len(self._status)
        checked = check_fields(record, self.users)  # type: ignore[arg-type]
        refusal = checked.refusal
        if checked.request_id is not None:
            if checked.request_id in self._seen:
                refusal = Refusal.DUPLICATE
            self._seen.add(checked.request_id)
        if refusal is Refusal.NONE and self._last_time is not None:
            if checked.timestamp < self._last_time:
                refusal = Refusal.OUT_OF_ORDER
        raw = record if isinstance(record, Request) else as_request(record)
        if refusal is not Refusal.NONE:
            decision = Decision(sequence, raw.request_id if raw else None, Outcome.REFUSED,
                                refusal, 0, f"{refusal.field}: {refusal.description}")
            return self._record(decision)
        self._last_time = checked.timestamp
        user, service, t = checked.user_id, checked.service_reference, checked.timestamp
        mask = 0
        for bit, threshold in enumerate(self._thresholds(user, service)):  # type: ignore[arg-type]
            if threshold.kind is ThresholdKind.VOLUME:
                key = (user, service, threshold.window_seconds)
                window = self._windows.setdefault(key, deque())  # type: ignore[arg-type]
                window.append(t)
                while window[0] <= t - threshold.window_seconds:
                    window.popleft()
                over = len(window) > threshold.limit
            else:
                over = checked.data_value > threshold.limit
            if over:
                mask |= 1 << bit
        request = Request(checked.request_id, user, service, checked.device_id,
                          None if checked.register == NO_REGISTER else REGISTERS[checked.register],
                          t, checked.data_value)
        if mask == 0:
            self.delivered.append(request)
            return self._record(Decision(sequence, checked.request_id, Outcome.DELIVERED))
        reason = self.table.describe_mask(user, service, mask)  # type: ignore[arg-type]
        self._held[checked.request_id] = _Held(sequence, request, reason)  # type: ignore[index]
        for recipient in (user, DCC):
            self.notifications.append(Notification(
                recipient, "quarantined", request.request_id, user, service, t, reason))  # type: ignore[arg-type]
        return self._record(
            Decision(sequence, checked.request_id, Outcome.QUARANTINED, Refusal.NONE, mask, reason)
        )

    def submit_many(self, records: Iterable[Any]) -> list[Decision]:
        return [self.submit(r) for r in records]

    def _record(self, decision: Decision) -> Decision:
        self._status.append(decision.outcome)
        self.decisions.append(decision)
        return decision

    # the quarantine (TR-10)
    def quarantined(self, user_id: str | None = None) -> list[tuple[Request, str]]:
        """The commands held, oldest first, with their reasons."""
        return [(h.request, h.reason) for h in sorted(self._held.values(), key=lambda h: h.sequence)
                if user_id is None or h.request.user_id == user_id]

    def _take(self, request_id: int, user_id: str) -> _Held:
        user = parse_user_id(user_id)
        held = self._held.get(request_id)
        if held is None:
            raise ValidationError("request_id", f"{request_id!r} is not in quarantine")
        if held.request.user_id != user:
            raise ValidationError("user_id", f"{user} did not send request {request_id}")
        del self._held[request_id]
        return held

    def release(self, request_id: int, user_id: str, at: int | None = None) -> Request:
        """The User releases a quarantined command: it is delivered now."""
        held = self._take(request_id, user_id)
        self._status[held.sequence] = Outcome.DELIVERED
        self.delivered.append(held.request)
        self._notify_dcc("released", held, at)
        return held.request

    def reject(self, request_id: int, user_id: str, at: int | None = None) -> Request:
        """The User rejects a quarantined command: it is never delivered."""
        held = self._take(request_id, user_id)
        self._status[held.sequence] = Outcome.REJECTED
        self._notify_dcc("rejected", held, at)
        return held.request

    def _notify_dcc(self, event: str, held: _Held, at: int | None) -> None:
        r = held.request
        self.notifications.append(Notification(
            DCC, event, r.request_id, r.user_id, r.service_reference,
            r.timestamp if at is None else at, held.reason))

    def notifications_for(self, recipient: str) -> list[Notification]:
        who = recipient if recipient == DCC else parse_user_id(recipient)
        return [n for n in self.notifications if n.recipient == who]

    def outcome(self, sequence: int) -> Outcome:
        """The current outcome of the request that arrived ``sequence``-th (0-based)."""
        return self._status[sequence]

    def counts(self) -> dict[Outcome, int]:
        """Requests by current outcome; the values always add up to the requests submitted."""
        out = dict.fromkeys(Outcome, 0)
        for status in self._status:
            out[status] += 1
        return out

    def __len__(self) -> int:
        return len(self._status)
