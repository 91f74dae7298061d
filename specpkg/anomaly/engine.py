"""Threshold anomaly detection, one request at a time: the reference engine (SR-12, TR-10).

The reset commands are Critical, so the DCC checks each one against the
Anomaly Detection Thresholds its User set (:mod:`specpkg.anomaly.thresholds`)
before delivering it. Every request gets exactly one :class:`Disposition`:

* ``REFUSED``: the record itself is invalid (:class:`~specpkg.anomaly.records.Refusal`
  says why); it is never counted against a threshold;
* ``DELIVERED``: within every threshold, sent on to the device;
* ``QUARANTINED``: over at least one threshold, or quarantined before the
  thresholds by packet inspection (the ``quarantine`` reason of :meth:`submit`);
  held with its reason, and the User and the DCC each get a :class:`Notification`.
  The User then releases it (``DELIVERED``) or rejects it (``REJECTED``); both
  are notified to the User and the DCC too.

:func:`specpkg.anomaly.replay.replay` decides millions of requests at once by the
same rules (tests compare them). Rules, for each request in arrival order:

1. the record checks of :func:`~specpkg.anomaly.records.check_fields`, then a
   stale counter (``Refusal.DUPLICATE``: not greater than the last request id of an
   earlier record of the same User and device that passed those checks, the one
   freshness rule of :mod:`specpkg.anomaly.freshness`) and an out-of-order
   timestamp (earlier than an earlier accepted request);
2. the thresholds of the request's User and Service Request: a volume threshold
   is exceeded when the number of counted requests of that pair in
   ``(t - window, t]``, this one included, is above the limit; a data value
   threshold when ``data_value > limit``. The exceeded ones form a bit mask over
   :meth:`ThresholdTable.for_request`. Which requests a volume window counts is
   the model assumption ``count_quarantined``: every accepted request (``True``)
   or only those delivered when decided (``False``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from specpkg.anomaly.freshness import CounterBook
from specpkg.anomaly.records import NO_REGISTER, REGISTERS, Refusal, Request, check_fields
from specpkg.anomaly.thresholds import (
    DCC,
    Threshold,
    ThresholdKind,
    ThresholdTable,
    parse_user_id,
)
from specpkg.errors import ValidationError
from specpkg.journal import Journal, Retention


class Disposition(StrEnum):
    """What anomaly detection did with a request (not the request's final outcome)."""

    DELIVERED = "delivered"
    QUARANTINED = "quarantined"
    REFUSED = "refused"
    REJECTED = "rejected"


#: Codes of :class:`Disposition` in the vectorised arrays.
DISPOSITION_CODES: tuple[Disposition, ...] = tuple(Disposition)


@dataclass(frozen=True)
class Decision:
    """What became of one request, as first decided (SR-12)."""

    sequence: int
    request_id: Any
    disposition: Disposition
    refusal: Refusal = Refusal.NONE
    mask: int = 0
    reason: str = ""
    #: The DCC's own thresholds exceeded (bits over ``for_request(DCC, service)``).
    dcc_mask: int = 0


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


def _user(user_id: str) -> str:
    """A User ID the engine accepts: well formed and not the DCC's own ``"DCC"``, which
    names the DCC's thresholds and its inbox (a User of that id would be counted twice
    against them and its notifications mixed with the DCC's)."""
    user = parse_user_id(user_id)
    if user == DCC:
        raise ValidationError("user_id", f"{DCC!r} is the DCC's own id, not a User's")
    return user


def quarantine_reason(table: ThresholdTable, user: str, service: str, mask: int,
                      inspection: str = "", dcc_mask: int = 0) -> str:
    """The reason a quarantine is notified with: packet inspection first, then the User's
    thresholds, then the DCC's own."""
    parts = [f"packet inspection: {inspection}"] if inspection else []
    if mask:
        parts.append(f"threshold: {table.describe_mask(user, service, mask)}")
    if dcc_mask:
        parts.append(f"DCC threshold: {table.describe_mask(DCC, service, dcc_mask)}")
    return "; ".join(parts)


def over(threshold: Threshold, window: deque[int] | None, t: int, value: int) -> bool:
    """Whether one request exceeds one threshold; a volume window is brought up to
    ``t`` and the request counted in it (the caller takes it out again if it must not
    count)."""
    if threshold.kind is ThresholdKind.DATA_VALUE:
        return value > threshold.limit
    assert window is not None
    window.append(t)
    while window[0] <= t - threshold.window_seconds:
        window.popleft()
    return len(window) > threshold.limit


@dataclass
class ThresholdEngine:
    """The reference engine: one request at a time (SR-12, TR-10).

    ``users`` are the known Users (default: those with a threshold).
    ``count_quarantined`` is the model assumption of the same name. Replacing
    thresholds takes effect from the next request; a volume threshold's history
    is kept per (User, Service Request, window), so changing only its limit keeps
    the requests already counted.
    """

    table: ThresholdTable
    count_quarantined: bool
    users: Iterable[str] | None = None
    #: How much history (decisions, deliveries, notifications) stays in memory.
    retention: Retention = field(default_factory=Retention)

    def __post_init__(self) -> None:
        if not isinstance(self.table, ThresholdTable):
            raise ValidationError("table", "must be a ThresholdTable")
        if not isinstance(self.count_quarantined, bool):
            raise ValidationError("count_quarantined", "must be True or False")
        known = self.table.users() if self.users is None else self.users
        self.users = frozenset(_user(u) for u in known)
        self.decisions: Journal[Decision] = self.retention.journal("decision")
        self.delivered: Journal[Request] = self.retention.journal("delivered")
        self.notifications: Journal[Notification] = self.retention.journal("notification")
        self._status: Journal[Disposition] = self.retention.journal("disposition")
        self._counts = dict.fromkeys(Disposition, 0)
        self._book = CounterBook()
        self._last_time: int | None = None
        self._windows: dict[tuple[str, str, int], deque[int]] = {}
        self._held: dict[tuple[str, int, str], _Held] = {}

    # thresholds (TR-10: Users set their ADTs)
    def set_threshold(self, threshold: Threshold) -> None:
        self.table = self.table.set(threshold)
        if threshold.user_id != DCC:  # the DCC's own threshold makes no User
            self.add_user(threshold.user_id)

    def replace_thresholds(self, user_id: str, thresholds: Iterable[Threshold]) -> None:
        """All of one User's thresholds at once; the User becomes known (TR-10)."""
        self.table = self.table.replace_user(user_id, thresholds)
        if user_id != DCC:
            self.add_user(user_id)

    def add_user(self, user_id: str) -> None:
        """A User the engine takes requests from; never the DCC's own id."""
        self.users = self.users | {_user(user_id)}  # type: ignore[operator]

    # requests
    def submit(self, record: Any, quarantine: str = "") -> Decision:
        """Decide one request: refused, delivered or quarantined (with notifications).

        ``quarantine`` is a reason found before the thresholds (packet inspection):
        the request is quarantined whatever the thresholds say, and counted in the
        volume windows as any quarantined request is.
        """
        sequence = self._status.total
        checked = check_fields(record, self.users)  # type: ignore[arg-type]
        refusal = checked.refusal
        key = (checked.user_id, checked.request_id, checked.device_id)
        if refusal is Refusal.NONE and not self._book.accept(
                checked.user_id, checked.device_id, checked.request_id):  # type: ignore[arg-type]
            refusal = Refusal.DUPLICATE
        if refusal is Refusal.NONE and self._last_time is not None:
            if checked.timestamp < self._last_time:
                refusal = Refusal.OUT_OF_ORDER
        if refusal is not Refusal.NONE:
            request_id = getattr(record, "request_id", None)
            return self._record(Decision(sequence, checked.request_id or request_id,
                                         Disposition.REFUSED, refusal, 0,
                                         f"{refusal.field}: {refusal.description}"))
        self._last_time = checked.timestamp
        user, service, t = checked.user_id, checked.service_reference, checked.timestamp
        counted: list[deque[int]] = []
        masks = []
        for owner in (user, DCC):
            mask = 0
            for bit, threshold in enumerate(self.table.for_request(owner, service)):  # type: ignore[arg-type]
                window = None
                if threshold.kind is ThresholdKind.VOLUME:
                    window = self._windows.setdefault(
                        (owner, service, threshold.window_seconds), deque())  # type: ignore[arg-type]
                    counted.append(window)
                if over(threshold, window, t, checked.data_value):  # type: ignore[arg-type]
                    mask |= 1 << bit
            masks.append(mask)
        mask, dcc_mask = masks
        request = Request(checked.request_id, user, service, checked.device_id,
                          None if checked.register == NO_REGISTER else REGISTERS[checked.register],
                          t, checked.data_value)
        if mask == 0 and dcc_mask == 0 and not quarantine:
            self.delivered.append(request)
            return self._record(Decision(sequence, checked.request_id, Disposition.DELIVERED))
        if not self.count_quarantined:
            for window in counted:
                window.pop()  # a quarantined request does not count against volumes
        reason = quarantine_reason(self.table, user, service, mask, quarantine,  # type: ignore[arg-type]
                                   dcc_mask)
        self._held[key] = _Held(sequence, request, reason)  # type: ignore[index]
        self._notify("quarantined", request, reason)
        return self._record(Decision(sequence, checked.request_id, Disposition.QUARANTINED,
                                     Refusal.NONE, mask, reason, dcc_mask))

    def submit_many(self, records: Iterable[Any]) -> list[Decision]:
        return [self.submit(r) for r in records]

    def _record(self, decision: Decision) -> Decision:
        self._status.append(decision.disposition)
        self._counts[decision.disposition] += 1
        self.decisions.append(decision)
        return decision

    def _settle(self, sequence: int, disposition: Disposition) -> None:
        """A held request's disposition changes from QUARANTINED (release or reject)."""
        self._counts[Disposition.QUARANTINED] -= 1
        self._counts[disposition] += 1
        if sequence in self._status:
            self._status[sequence] = disposition

    # the quarantine (TR-10)
    def quarantined(self, user_id: str | None = None) -> list[tuple[Request, str]]:
        """The commands held, oldest first, with their reasons."""
        return [(h.request, h.reason) for h in sorted(self._held.values(), key=lambda h: h.sequence)
                if user_id is None or h.request.user_id == user_id]

    def _take(self, request_id: int, user_id: str, device_id: str | None) -> _Held:
        """The held command of ``user_id`` with ``request_id`` (for ``device_id``; None:
        the only one with that request id)."""
        user = parse_user_id(user_id)
        if device_id is None:
            keys = [k for k in self._held if k[:2] == (user, request_id)]
            key = keys[0] if len(keys) == 1 else None
        else:
            key = (user, request_id, device_id.upper())
        held = self._held.pop(key, None)  # type: ignore[arg-type]  # no key: None
        if held is None:
            raise ValidationError("request_id", f"{user} has no request {request_id!r} "
                                                "in quarantine" + (
                                                    "" if device_id is None
                                                    else f" for device {device_id}"))
        return held

    def release(self, request_id: int, user_id: str, at: int | None = None,
                device_id: str | None = None) -> Request:
        """The User releases a quarantined command: it is delivered now."""
        held = self._take(request_id, user_id, device_id)
        self._settle(held.sequence, Disposition.DELIVERED)
        self.delivered.append(held.request)
        self._notify("released", held.request, held.reason, at)
        return held.request

    def reject(self, request_id: int, user_id: str, at: int | None = None,
               device_id: str | None = None) -> Request:
        """The User rejects a quarantined command: it is never delivered."""
        held = self._take(request_id, user_id, device_id)
        self._settle(held.sequence, Disposition.REJECTED)
        self._notify("rejected", held.request, held.reason, at)
        return held.request

    def _notify(self, event: str, r: Request, reason: str, at: int | None = None) -> None:
        """Tell the User and the DCC (TR-10); ``at`` defaults to the request's time."""
        when = r.timestamp if at is None else at
        for recipient in (r.user_id, DCC):
            self.notifications.append(Notification(
                recipient, event, r.request_id, r.user_id, r.service_reference, when, reason))

    def notifications_for(self, recipient: str) -> list[Notification]:
        """A User's (or the DCC's) notifications, oldest first: its inbox (TR-10)."""
        who = parse_user_id(recipient, "recipient")  # "DCC" is a well-formed id too
        return [n for n in self.notifications if n.recipient == who]

    def disposition(self, sequence: int) -> Disposition:
        """The current disposition of the request that arrived ``sequence``-th (0-based),
        while the retention keeps it (IndexError otherwise)."""
        return self._status[sequence]

    def counts(self) -> dict[Disposition, int]:
        """Requests by current disposition; the values always add up to those submitted,
        whatever the retention let go."""
        return dict(self._counts)

    def __len__(self) -> int:
        return self._status.total
