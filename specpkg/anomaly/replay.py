"""Threshold anomaly detection in bulk: the vectorised replay (SR-12, TR-10).

Decides millions of Service Requests at once with numpy, exactly as the
reference engine :class:`specpkg.anomaly.ThresholdEngine` decides them one at a
time (same refusals, same threshold bit masks; tests compare them). Requests
come as columns, a :class:`RequestBatch`. The rules are in :mod:`specpkg.anomaly`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from specpkg.anomaly.engine import DCC, OUTCOME_CODES, Notification, Outcome
from specpkg.anomaly.records import (
    BAD_REGISTER,
    NO_REGISTER,
    REGISTERS,
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
    ``request_id``, ``timestamp``, ``data_value`` are -1 when malformed;
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

    def __post_init__(self) -> None:
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
                                       "timestamp", "data_value", "record_ok")}
        for record in records:
            req = as_request(record)
            if req is None:
                for k in cols:
                    cols[k].append(-1)
                cols["record_ok"][-1] = 0
                continue
            rid = check_request_id(req.request_id)
            user = check_user_id(req.user_id)
            service = check_service_reference(req.service_reference)
            device = check_device_id(req.device_id)
            t = check_timestamp(req.timestamp)
            value = check_data_value(req.data_value)
            cols["request_id"].append(-1 if rid is None else rid)
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
            request_id=np.array(cols["request_id"], dtype=np.int64),
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

    outcome: np.ndarray  # int8 codes into OUTCOME_CODES
    refusal: np.ndarray  # int8 Refusal values
    mask: np.ndarray  # uint64 bit masks over ThresholdTable.for_request

    def counts(self) -> dict[Outcome, int]:
        totals = np.bincount(self.outcome, minlength=len(OUTCOME_CODES))
        return {o: int(totals[i]) for i, o in enumerate(OUTCOME_CODES)}

    def outcomes(self) -> list[Outcome]:
        return [OUTCOME_CODES[i] for i in self.outcome.tolist()]


_DELIVERED = OUTCOME_CODES.index(Outcome.DELIVERED)
_QUARANTINED = OUTCOME_CODES.index(Outcome.QUARANTINED)
_REFUSED = OUTCOME_CODES.index(Outcome.REFUSED)


def _first_occurrence(ids: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """True where ``ids`` is a duplicate of an earlier candidate row."""
    dup = np.zeros(len(ids), dtype=bool)
    rows = np.flatnonzero(candidates)
    if len(rows) == 0:
        return dup
    order = np.argsort(ids[rows], kind="stable")
    sorted_ids = ids[rows][order]
    repeat = np.empty(len(rows), dtype=bool)
    repeat[0] = False
    np.not_equal(sorted_ids[1:], sorted_ids[:-1], out=repeat[1:])
    np.logical_not(repeat[1:], out=repeat[1:])
    dup[rows[order[repeat]]] = True
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


def replay(batch: RequestBatch, table: ThresholdTable,
           users: Iterable[str] | None = None) -> ReplayResult:
    """Decide every request of ``batch`` at once, exactly as :class:`ThresholdEngine`
    would in arrival order (before any release or reject) (SR-12).

    Picks each (User, Service Request)'s accepted requests in arrival order
    (their times are then sorted) and counts each volume window with
    ``searchsorted``.
    """
    if not isinstance(table, ThresholdTable):
        raise ValidationError("table", "must be a ThresholdTable")
    known = set(table.users() if users is None else (parse_user_id(u) for u in users))
    n = len(batch)
    refusal = np.zeros(n, dtype=np.int8)
    ok = np.ones(n, dtype=bool) if batch.record_ok is None else batch.record_ok.astype(bool)

    def refuse(condition: np.ndarray, why: Refusal) -> None:
        hit = condition & (refusal == 0)
        refusal[hit] = why

    refuse(~ok, Refusal.RECORD)
    id_ok = batch.request_id >= 0
    refuse(~id_ok, Refusal.REQUEST_ID)
    refuse(_first_occurrence(batch.request_id, ok & id_ok), Refusal.DUPLICATE)
    known_user = np.array([u in known for u in batch.users] + [False], dtype=bool)
    refuse(~known_user[batch.user], Refusal.USER)  # code -1 picks the trailing False
    refuse(batch.service < 0, Refusal.SERVICE)
    refuse(batch.device < 0, Refusal.DEVICE)
    is_reset = np.array([s == RESET_DEBT_REGISTER for s in batch.services] + [False], dtype=bool)
    bad_register = (batch.register == BAD_REGISTER) | (
        (batch.register == NO_REGISTER) & is_reset[batch.service])
    refuse(bad_register, Refusal.REGISTER)
    refuse(batch.timestamp < 0, Refusal.TIMESTAMP)
    refuse(batch.data_value < 0, Refusal.DATA_VALUE)
    # Out of order: earlier than the latest earlier request that passed every other check.
    passed = refusal == 0
    latest = np.where(passed, batch.timestamp, -1)
    np.maximum.accumulate(latest, out=latest)
    previous = np.empty(n, dtype=np.int64)
    if n:
        previous[0] = -1
        previous[1:] = latest[:-1]
    refuse(passed & (batch.timestamp < previous), Refusal.OUT_OF_ORDER)

    accepted = np.flatnonzero(refusal == 0)
    mask = np.zeros(n, dtype=np.uint64)
    user_code = {u: i for i, u in enumerate(batch.users)}
    service_code = {s: i for i, s in enumerate(batch.services)}
    pairs = [(u, s) for u, s in table.pairs() if u in user_code and s in service_code]
    for user, service, group in _groups(batch, accepted, pairs, user_code, service_code):
        times = batch.timestamp[group]
        position = np.arange(len(group), dtype=np.int64)
        for bit, threshold in enumerate(table.for_request(user, service)):
            if threshold.kind is ThresholdKind.VOLUME:
                first = np.searchsorted(times, times - threshold.window_seconds, side="right")
                over = position - first + 1 > threshold.limit
            else:
                over = batch.data_value[group] > threshold.limit
            mask[group[over]] |= np.uint64(1 << bit)
    outcome = np.full(n, _DELIVERED, dtype=np.int8)
    outcome[mask != 0] = _QUARANTINED
    outcome[refusal != 0] = _REFUSED
    return ReplayResult(outcome, refusal, mask)


def replay_frame(batch: RequestBatch, table: ThresholdTable, result: ReplayResult) -> pd.DataFrame:
    """One row per request: ids, timestamp, outcome, refusal and quarantine reason."""
    users = np.array([*batch.users, ""], dtype=object)
    services = np.array([*batch.services, ""], dtype=object)
    frame = pd.DataFrame({
        "request_id": batch.request_id,
        "user_id": users[batch.user],
        "service_reference": services[batch.service],
        "timestamp": batch.timestamp,
        "data_value": batch.data_value,
        "outcome": pd.Categorical.from_codes(result.outcome.astype(np.int64),
                                             [o.value for o in OUTCOME_CODES]),
        "refusal": [Refusal(r).name.lower() if r else "" for r in result.refusal.tolist()],
    })
    reasons = []
    for user, service, m in zip(frame["user_id"], frame["service_reference"],
                                result.mask.tolist(), strict=True):
        reasons.append(table.describe_mask(user, service, m) if m else "")
    frame["reason"] = reasons
    return frame


def notifications(batch: RequestBatch, table: ThresholdTable,
                  result: ReplayResult) -> list[Notification]:
    """The quarantine notifications the replayed requests raise: User first, then DCC."""
    out = []
    for i in np.flatnonzero(result.outcome == _QUARANTINED).tolist():
        user, service = batch.users[batch.user[i]], batch.services[batch.service[i]]
        reason = table.describe_mask(user, service, int(result.mask[i]))
        for recipient in (user, DCC):
            out.append(Notification(recipient, "quarantined", int(batch.request_id[i]), user,
                                    service, int(batch.timestamp[i]), reason))
    return out


def counts_by_period(timestamps: np.ndarray, outcome: np.ndarray, period_seconds: int,
                     start: int = 0) -> pd.DataFrame:
    """Requests per period and outcome (rows: period start in seconds from ``start``)."""
    period = (np.asarray(timestamps, dtype=np.int64) - start) // period_seconds
    frame = pd.DataFrame({"period": period, "outcome": np.asarray(outcome)})
    table = frame.groupby(["period", "outcome"]).size().unstack(fill_value=0)
    table = table.reindex(columns=range(len(OUTCOME_CODES)), fill_value=0)
    table.columns = [o.value for o in OUTCOME_CODES]
    table.index = table.index * period_seconds
    table.index.name = "seconds"
    return table.astype("int64")
