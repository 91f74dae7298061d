"""Threshold anomaly detection in bulk: the vectorised replay (SR-12, TR-10).

Decides millions of Service Requests at once with numpy, exactly as the
reference engine :class:`specpkg.anomaly.engine.ThresholdEngine` decides them one
at a time (same refusals, same threshold bit masks, same dispositions; tests
compare them). Requests come as columns, a :class:`RequestBatch`; the rules are
those of :mod:`specpkg.anomaly.engine`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from specpkg.anomaly.engine import (
    DISPOSITION_CODES,
    Disposition,
    Notification,
    over,
    quarantine_reason,
)
from specpkg.anomaly.records import (
    BAD_REGISTER,
    NO_REGISTER,
    REGISTERS,
    TIMESTAMP_MAX,
    Refusal,
    as_request,
    check_data_value,
    check_device_id,
    check_request_id,
    check_service_reference,
    check_timestamp,
    check_user_id,
    register_code,
)
from specpkg.anomaly.thresholds import (
    DCC,
    ThresholdKind,
    ThresholdTable,
    parse_user_id,
)
from specpkg.errors import ValidationError
from specpkg.gbcs.catalogue import RESET_DEBT_REGISTER


@dataclass(frozen=True)
class RequestBatch:
    """Requests as columns (numpy), for :func:`replay`.

    ``user`` and ``service`` index ``users`` and ``services`` (-1 = malformed);
    ``register`` indexes :data:`REGISTERS` (``NO_REGISTER``, ``BAD_REGISTER``);
    ``device`` is -1 for a malformed device id, else any code >= 0;
    ``timestamp``, ``data_value`` are -1 when malformed;
    ``request_id`` holds the full counter range 0..2**64-1 (unsigned); a malformed one is
    marked False in ``id_ok`` (a signed array given with -1 for it is converted);
    ``record_ok`` is False for a record that is not a 7-field record at all.
    """

    request_id: np.ndarray
    user: np.ndarray
    service: np.ndarray
    device: np.ndarray
    register: np.ndarray
    timestamp: np.ndarray
    data_value: np.ndarray
    users: tuple[str, ...]
    services: tuple[str, ...]
    record_ok: np.ndarray | None = None
    id_ok: np.ndarray | None = None

    def __post_init__(self) -> None:
        ids = np.asarray(self.request_id)
        if ids.dtype != np.uint64:  # signed input: -1 marks a malformed id
            ok = ids >= 0 if self.id_ok is None else np.asarray(self.id_ok, bool) & (ids >= 0)
            object.__setattr__(self, "id_ok", ok)
            object.__setattr__(self, "request_id", np.where(ok, ids, 0).astype(np.uint64))
        elif self.id_ok is None:
            object.__setattr__(self, "id_ok", np.ones(len(ids), dtype=bool))
        n = len(self.request_id)
        for name in ("user", "service", "device", "register", "timestamp", "data_value"):
            if len(getattr(self, name)) != n:
                raise ValidationError(name, f"has {len(getattr(self, name))} rows, expected {n}")
        if self.record_ok is not None and len(self.record_ok) != n:
            raise ValidationError("record_ok", f"has {len(self.record_ok)} rows, expected {n}")
        for name, low, high in (("user", -1, len(self.users) - 1),
                                ("service", -1, len(self.services) - 1),
                                ("register", BAD_REGISTER, len(REGISTERS) - 1)):
            codes = getattr(self, name)
            if n and (codes.min() < low or codes.max() > high):
                raise ValidationError(name, f"codes must be in [{low}, {high}]")

    def __len__(self) -> int:
        return len(self.request_id)

    @classmethod
    def from_records(cls, records: Iterable[Any]) -> RequestBatch:
        """Columns from raw records, with the same field checks as the reference engine."""
        users: dict[str, int] = {}
        services: dict[str, int] = {}
        devices: dict[str, int] = {}
        cols: dict[str, list[int]] = {k: [] for k in
                                      ("request_id", "user", "service", "device", "register",
                                       "timestamp", "data_value", "record_ok", "id_ok")}
        for record in records:
            req = as_request(record)
            if req is None:
                for k in cols:
                    cols[k].append(-1)
                cols["record_ok"][-1] = cols["id_ok"][-1] = cols["request_id"][-1] = 0
                continue
            rid = check_request_id(req.request_id)
            user = check_user_id(req.user_id)
            service = check_service_reference(req.service_reference)
            device = check_device_id(req.device_id)
            t = check_timestamp(req.timestamp)
            value = check_data_value(req.data_value)
            cols["request_id"].append(0 if rid is None else rid)
            cols["id_ok"].append(rid is not None)
            cols["user"].append(-1 if user is None else users.setdefault(user, len(users)))
            cols["service"].append(
                -1 if service is None else services.setdefault(service, len(services)))
            cols["device"].append(
                -1 if device is None else devices.setdefault(device, len(devices)))
            cols["register"].append(register_code(req.register))
            cols["timestamp"].append(-1 if t is None else t)
            cols["data_value"].append(-1 if value is None else value)
            cols["record_ok"].append(1)
        return cls(
            request_id=np.array(cols["request_id"], dtype=np.uint64),
            id_ok=np.array(cols["id_ok"], dtype=bool),
            user=np.array(cols["user"], dtype=np.int32),
            service=np.array(cols["service"], dtype=np.int32),
            device=np.array(cols["device"], dtype=np.int64),
            register=np.array(cols["register"], dtype=np.int8),
            timestamp=np.array(cols["timestamp"], dtype=np.int64),
            data_value=np.array(cols["data_value"], dtype=np.int64),
            users=tuple(users),
            services=tuple(services),
            record_ok=np.array(cols["record_ok"], dtype=bool),
        )


@dataclass(frozen=True)
class ReplayResult:
    """Per-request results of :func:`replay`, in input order."""

    disposition: np.ndarray  # int8 codes into DISPOSITION_CODES
    refusal: np.ndarray  # int8 Refusal values
    mask: np.ndarray  # uint64 bit masks over ThresholdTable.for_request
    dcc_mask: np.ndarray  # uint64 bit masks over the DCC's own thresholds

    def counts(self) -> dict[Disposition, int]:
        totals = np.bincount(self.disposition, minlength=len(DISPOSITION_CODES))
        return {o: int(totals[i]) for i, o in enumerate(DISPOSITION_CODES)}

    def dispositions(self) -> list[Disposition]:
        return [DISPOSITION_CODES[i] for i in self.disposition.tolist()]


_DELIVERED = DISPOSITION_CODES.index(Disposition.DELIVERED)
_QUARANTINED = DISPOSITION_CODES.index(Disposition.QUARANTINED)
_REFUSED = DISPOSITION_CODES.index(Disposition.REFUSED)


def _duplicates(users: np.ndarray, devices: np.ndarray, ids: np.ndarray,
                candidates: np.ndarray) -> np.ndarray:
    """True where a candidate row's counter is not greater than that of every earlier
    candidate of the same User and device: the freshness rule of
    :mod:`specpkg.anomaly.freshness`, vectorised."""
    dup = np.zeros(len(ids), dtype=bool)
    rows = np.flatnonzero(candidates)
    if len(rows) == 0:
        return dup
    order = np.lexsort((rows, devices[rows], users[rows]))  # by User, device, then arrival
    u, d = users[rows][order], devices[rows][order]
    _, rank = np.unique(ids[rows][order], return_inverse=True)  # counters as dense ranks
    rank = rank.astype(np.int64)
    start = np.ones(len(rows), dtype=bool)
    start[1:] = (u[1:] != u[:-1]) | (d[1:] != d[:-1])
    group = np.cumsum(start) - 1
    span = np.int64(len(rows) + 1)
    # a running maximum that starts again with each group: later groups' keys are larger
    highest = np.maximum.accumulate(group * span + rank) - group * span
    stale = np.zeros(len(rows), dtype=bool)
    stale[1:] = ~start[1:] & (rank[1:] <= highest[:-1])
    dup[rows[order[stale]]] = True
    return dup


#: Up to this many (User, Service Request) pairs, rows are picked by one comparison
#: per pair; beyond it, by one stable sort of all rows.
_FEW_PAIRS = 16


def _groups(batch: RequestBatch, accepted: np.ndarray, pairs: list[tuple[str, str]],
            user_code: dict[str, int], service_code: dict[str, int]):
    """(user, service, rows in arrival order) for each pair with thresholds."""
    n_services = max(len(batch.services), 1)
    key = batch.user[accepted].astype(np.int64) * n_services + batch.service[accepted]
    if len(pairs) <= _FEW_PAIRS:
        for user, service in pairs:
            group = accepted[key == user_code[user] * n_services + service_code[service]]
            if len(group):
                yield user, service, group
        return
    order = np.argsort(key, kind="stable")
    rows, sorted_key = accepted[order], key[order]
    for user, service in pairs:
        k = user_code[user] * n_services + service_code[service]
        lo, hi = np.searchsorted(sorted_key, [k, k + 1])
        if hi > lo:
            yield user, service, rows[lo:hi]


def replay(batch: RequestBatch, table: ThresholdTable, *, count_quarantined: bool,
           users: Iterable[str] | None = None,
           inspected: np.ndarray | None = None) -> ReplayResult:
    """Decide every request of ``batch`` at once, exactly as :class:`ThresholdEngine`
    would in arrival order (before any release or reject) (SR-12).

    ``count_quarantined`` is the model assumption of that name; ``inspected``
    (bool per row) marks the requests packet inspection quarantined before the
    thresholds (the engine's ``quarantine`` reason). Picks each (User, Service
    Request)'s accepted requests in arrival order and counts each volume window
    with ``searchsorted``; the DCC's own thresholds count every User's requests of
    their Service Request. When quarantined requests do not count, each window
    depends on the decisions before it and is walked in order.
    """
    if not isinstance(table, ThresholdTable):
        raise ValidationError("table", "must be a ThresholdTable")
    known = set(table.users() if users is None else (parse_user_id(u) for u in users))
    known.discard(DCC)  # the DCC's own id is never a User's (its thresholds are its own)
    n = len(batch)
    flagged = np.zeros(n, dtype=bool) if inspected is None else np.asarray(inspected, dtype=bool)
    if len(flagged) != n:
        raise ValidationError("inspected", f"has {len(flagged)} rows, expected {n}")
    refusal = _refusals(batch, known)
    accepted = np.flatnonzero(refusal == 0)
    mask = np.zeros(n, dtype=np.uint64)
    dcc_mask = np.zeros(n, dtype=np.uint64)
    user_code = {u: i for i, u in enumerate(batch.users)}
    service_code = {s: i for i, s in enumerate(batch.services)}
    dcc_services = [s for s in table.dcc_services() if s in service_code]
    joint = set() if count_quarantined else set(dcc_services)  # decided across all Users
    pairs = [(u, s) for u, s in table.pairs()
             if u in user_code and s in service_code and s not in joint]
    for user, service, group in _groups(batch, accepted, pairs, user_code, service_code):
        thresholds = {user_code[user]: table.for_request(user, service)}
        if count_quarantined:
            _count_all(batch, thresholds[user_code[user]], group, mask)
        else:
            _count_delivered(batch, thresholds, [], group, flagged, mask, dcc_mask)
    for service in dcc_services:
        group = accepted[batch.service[accepted] == service_code[service]]
        if count_quarantined:
            _count_all(batch, table.for_request(DCC, service), group, dcc_mask)
        else:
            thresholds = {user_code[u]: table.for_request(u, service) for u in batch.users}
            _count_delivered(batch, thresholds, table.for_request(DCC, service), group, flagged,
                             mask, dcc_mask)
    disposition = np.full(n, _DELIVERED, dtype=np.int8)
    disposition[(mask != 0) | (dcc_mask != 0) | flagged] = _QUARANTINED
    disposition[refusal != 0] = _REFUSED
    return ReplayResult(disposition, refusal, mask, dcc_mask)


def _refusals(batch: RequestBatch, known: set[str]) -> np.ndarray:
    """The first refusal of every row, in :class:`Refusal` order (0: accepted)."""
    n = len(batch)
    refusal = np.zeros(n, dtype=np.int8)
    ok = np.ones(n, dtype=bool) if batch.record_ok is None else batch.record_ok.astype(bool)

    def refuse(condition: np.ndarray, why: Refusal) -> None:
        refusal[condition & (refusal == 0)] = why

    refuse(~ok, Refusal.RECORD)
    refuse(~batch.id_ok, Refusal.REQUEST_ID)
    known_user = np.array([u in known for u in batch.users] + [False], dtype=bool)
    refuse(~known_user[batch.user], Refusal.USER)  # code -1 picks the trailing False
    refuse(batch.service < 0, Refusal.SERVICE)
    refuse(batch.device < 0, Refusal.DEVICE)
    is_reset = np.array([s == RESET_DEBT_REGISTER for s in batch.services] + [False], dtype=bool)
    bad_register = (batch.register == BAD_REGISTER) | (
        (batch.register == NO_REGISTER) & is_reset[batch.service])
    refuse(bad_register, Refusal.REGISTER)
    refuse((batch.timestamp < 0) | (batch.timestamp > TIMESTAMP_MAX), Refusal.TIMESTAMP)
    refuse(batch.data_value < 0, Refusal.DATA_VALUE)
    refuse(_duplicates(batch.user, batch.device, batch.request_id, refusal == 0),
           Refusal.DUPLICATE)
    # Out of order: earlier than the latest earlier request that passed every other check.
    passed = refusal == 0
    latest = np.where(passed, batch.timestamp, -1)
    np.maximum.accumulate(latest, out=latest)
    previous = np.empty(n, dtype=np.int64)
    if n:
        previous[0] = -1
        previous[1:] = latest[:-1]
    refuse(passed & (batch.timestamp < previous), Refusal.OUT_OF_ORDER)
    return refusal


def _count_all(batch: RequestBatch, thresholds: list, group: np.ndarray,
               mask: np.ndarray) -> None:
    """Every accepted request counts in the volume windows: vectorised."""
    times = batch.timestamp[group]
    position = np.arange(len(group), dtype=np.int64)
    for bit, threshold in enumerate(thresholds):
        if threshold.kind is ThresholdKind.VOLUME:
            first = np.searchsorted(times, times - threshold.window_seconds, side="right")
            exceeded = position - first + 1 > threshold.limit
        else:
            exceeded = batch.data_value[group] > threshold.limit
        mask[group[exceeded]] |= np.uint64(1 << bit)


def _count_delivered(batch: RequestBatch, thresholds: dict[int, list], dcc_thresholds: list,
                     group: np.ndarray, flagged: np.ndarray, mask: np.ndarray,
                     dcc_mask: np.ndarray) -> None:
    """Only delivered requests count: a request's windows (its User's and the DCC's)
    depend on earlier decisions, so the rows are walked in order."""
    windows: dict[tuple[int, int], deque] = {}
    users, times = batch.user[group].tolist(), batch.timestamp[group].tolist()
    values, held = batch.data_value[group].tolist(), flagged[group].tolist()
    user_bits, dcc_bits = [], []
    for k in range(len(group)):
        counted = []
        bits = []
        for owner, owned in ((users[k], thresholds.get(users[k], [])), (-1, dcc_thresholds)):
            found = 0
            for bit, threshold in enumerate(owned):
                window = None
                if threshold.kind is ThresholdKind.VOLUME:
                    window = windows.setdefault((owner, bit), deque())
                    counted.append(window)
                if over(threshold, window, times[k], values[k]):
                    found |= 1 << bit
            bits.append(found)
        if bits[0] or bits[1] or held[k]:
            for window in counted:
                window.pop()  # a quarantined request does not count
        user_bits.append(bits[0])
        dcc_bits.append(bits[1])
    mask[group] = np.array(user_bits, dtype=np.uint64)
    dcc_mask[group] = np.array(dcc_bits, dtype=np.uint64)


def notifications(batch: RequestBatch, table: ThresholdTable, result: ReplayResult,
                  inspected: np.ndarray | None = None,
                  inspection: str = "") -> list[Notification]:
    """The quarantine notifications the replayed requests raise, User first, then DCC;
    ``inspection`` is the reason of the rows ``inspected`` marks (packet inspection)."""
    flagged = np.zeros(len(batch), dtype=bool) if inspected is None else np.asarray(inspected)
    out = []
    for i in np.flatnonzero(result.disposition == _QUARANTINED).tolist():
        user, service = batch.users[batch.user[i]], batch.services[batch.service[i]]
        reason = quarantine_reason(table, user, service, int(result.mask[i]),
                                   inspection if flagged[i] else "", int(result.dcc_mask[i]))
        for recipient in (user, DCC):
            out.append(Notification(recipient, "quarantined", int(batch.request_id[i]), user,
                                    service, int(batch.timestamp[i]), reason))
    return out


def counts_by_period(timestamps: np.ndarray, disposition: np.ndarray, period_seconds: int,
                     start: int = 0) -> pd.DataFrame:
    """Requests per period and disposition (rows: period start in seconds from ``start``)."""
    period = (np.asarray(timestamps, dtype=np.int64) - start) // period_seconds
    frame = pd.DataFrame({"period": period, "disposition": np.asarray(disposition)})
    table = frame.groupby(["period", "disposition"]).size().unstack(fill_value=0)
    table = table.reindex(columns=range(len(DISPOSITION_CODES)), fill_value=0)
    table.columns = [o.value for o in DISPOSITION_CODES]
    table.index = table.index * period_seconds
    table.index.name = "seconds"
    return table.astype("int64")
