"""Synthetic Service Request traffic for threshold anomaly detection (SR-12, TR-10).

Deterministic for a given seed. Traffic comes as a :class:`RequestBatch`
(columns, fast for millions of requests); :func:`to_records` turns any slice
back into raw records for the reference engine, malformed fields included.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from specpkg.anomaly.engine import DISPOSITION_CODES, Disposition
from specpkg.anomaly.records import BAD_REGISTER, NO_REGISTER, REGISTERS, Request, register_code
from specpkg.anomaly.replay import ReplayResult, RequestBatch
from specpkg.anomaly.thresholds import parse_user_id
from specpkg.errors import ValidationError
from specpkg.gbcs.catalogue import RESET_DEBT_REGISTER, UPDATE_DEBT
from specpkg.meter.registers import check_int

#: Example DCC User IDs (Import/Gas Suppliers). The first is the test PKI's Supplier.
EXAMPLE_USERS: tuple[str, ...] = (
    "90B3D51F30010000",
    "90B3D51F30010001",
    "90B3D51F30010002",
    "90B3D51F30010003",
)
#: A well-formed User ID that is never registered.
UNKNOWN_USER = "90B3D51F3001FFFF"
DAY = 24 * 3600
#: The most requests one batch holds (a week of the benchmark's traffic, about 1 GiB of
#: columns): more is drawn in several batches (``start``), never at once.
MAX_BATCH = 10_000_000


def generate_batch(
    n: int,
    *,
    users: Sequence[str] = EXAMPLE_USERS,
    services: Sequence[str] = (RESET_DEBT_REGISTER, UPDATE_DEBT),
    seconds: int = DAY,
    start: int = 0,
    seed: int = 0,
    bad_fraction: float = 0.001,
    nonzero_reset_fraction: float = 0.002,
    burst_fraction: float = 0.0,
) -> RequestBatch:
    """``n`` mixed requests from ``users`` over ``seconds`` seconds, in arrival order.

    About ``bad_fraction`` of the requests are spoiled each of several ways
    (unknown User, bad device, bad register, negative value, duplicate id,
    arrival out of order, not a record); about ``nonzero_reset_fraction`` of
    resets write a non-zero value; ``burst_fraction`` of the traffic is
    squeezed into the first minute of each hour (to trip volume thresholds).
    """
    check_int("n", n, 0)
    if n > MAX_BATCH:
        raise ValidationError("n", f"{n:,} requests in one batch is above the maximum of "
                                   f"{MAX_BATCH:,}: draw them in several batches")
    check_int("seconds", seconds, 1)
    if not users:
        raise ValidationError("users", "needs at least one User")
    user_ids = tuple(parse_user_id(u) for u in users)
    rng = np.random.default_rng(seed)
    times = rng.integers(start, start + seconds, size=n, dtype=np.int64)
    if burst_fraction > 0:
        burst = rng.random(n) < burst_fraction
        times[burst] = times[burst] // 3600 * 3600 + rng.integers(0, 60, size=int(burst.sum()))
    times.sort()
    user = rng.integers(0, len(user_ids), size=n).astype(np.int32)
    service = rng.integers(0, len(services), size=n).astype(np.int32)
    register = rng.integers(0, len(REGISTERS), size=n).astype(np.int8)
    device = rng.integers(0, 2**40, size=n, dtype=np.int64)
    value = np.zeros(n, dtype=np.int64)
    is_reset = np.array([s == RESET_DEBT_REGISTER for s in services])[service]
    nonzero = is_reset & (rng.random(n) < nonzero_reset_fraction)
    value[nonzero] = rng.integers(1, 10_000, size=int(nonzero.sum()))
    value[~is_reset] = rng.integers(0, 50_000, size=int((~is_reset).sum()))
    request_id = np.arange(1, n + 1, dtype=np.int64)
    record_ok = np.ones(n, dtype=bool)
    all_users = (*user_ids, UNKNOWN_USER)
    if bad_fraction > 0:
        kind = np.where(rng.random(n) < bad_fraction * 8, rng.integers(0, 8, size=n), -1)
        user[kind == 0] = len(user_ids)  # well-formed but unknown
        device[kind == 1] = -1
        register[kind == 2] = BAD_REGISTER
        register[(kind == 3) & is_reset] = NO_REGISTER
        value[kind == 4] = -1
        dup = np.flatnonzero(kind == 5)
        request_id[dup] = np.maximum(request_id[dup] - 1 - rng.integers(0, 100, dup.size), 1)
        late = np.flatnonzero(kind == 6)
        times[late] = np.maximum(times[late] - rng.integers(1, 3600, late.size), 0)
        record_ok[kind == 7] = False
    return RequestBatch(request_id, user, service, device, register, times, value,
                        users=all_users, services=tuple(services), record_ok=record_ok)


def to_records(batch: RequestBatch, start: int = 0, stop: int | None = None) -> list:
    """Raw records for rows ``start:stop``; malformed columns become malformed fields."""
    stop = len(batch) if stop is None else stop
    out: list = []
    ok = batch.record_ok
    for i in range(start, stop):
        if ok is not None and not ok[i]:
            out.append(("not", "a", "record"))
            continue
        rid = int(batch.request_id[i]) if batch.id_ok[i] else -1
        u, s, d = int(batch.user[i]), int(batch.service[i]), int(batch.device[i])
        r, t, v = int(batch.register[i]), int(batch.timestamp[i]), int(batch.data_value[i])
        out.append(Request(
            request_id=rid if rid >= 0 else "?",
            user_id=batch.users[u] if u >= 0 else "no body",
            service_reference=batch.services[s] if s >= 0 else "2.x",
            device_id=f"{d:016X}" if d >= 0 else "not-a-device",
            register=(None if r == NO_REGISTER else "NoSuchRegister" if r == BAD_REGISTER
                      else REGISTERS[r].value),
            timestamp=t if t >= 0 else "soon",
            data_value=v if v >= 0 else -5,
        ))
    return out


def reset_batch(devices: np.ndarray, seconds: np.ndarray, *, user: str = EXAMPLE_USERS[0],
                register: str = "TimeDebtRegister1") -> RequestBatch:
    """One reset (Service Request 2.4, value 0) of ``register`` per meter of ``devices``
    (fleet indices) at ``seconds`` from the simulation start, in arrival order (SR-12)."""
    devices = np.asarray(devices, dtype=np.int64)
    seconds = np.asarray(seconds, dtype=np.int64)
    if devices.shape != seconds.shape or devices.ndim != 1:
        raise ValidationError("seconds", "needs one time per device")
    if len(devices) and (devices.min() < 0 or seconds.min() < 0):
        raise ValidationError("devices", "meter indices and times must be >= 0")
    code = register_code(register)
    if code < 0:
        raise ValidationError("register", f"unknown register {register!r}")
    order = np.argsort(seconds, kind="stable")
    n = len(devices)
    return RequestBatch(
        request_id=np.arange(1, n + 1, dtype=np.int64),
        user=np.zeros(n, dtype=np.int32),
        service=np.zeros(n, dtype=np.int32),
        device=devices[order],
        register=np.full(n, code, dtype=np.int8),
        timestamp=seconds[order],
        data_value=np.zeros(n, dtype=np.int64),
        users=(parse_user_id(user),),
        services=(RESET_DEBT_REGISTER,),
    )


def bulk_reset_campaign(
    devices: int | np.ndarray,
    *,
    user: str = EXAMPLE_USERS[0],
    register: str = "TimeDebtRegister1",
    first_day: int = 1,
    days: int = 3,
    working_hours: tuple[int, int] = (8, 18),
    seed: int = 0,
) -> RequestBatch:
    """One reset per meter of ``devices`` (fleet indices, or a count: meters 0..n-1) from
    one Supplier, each at a random second of the working hours of ``days`` days from
    ``first_day`` (SR-12 impact).

    Seconds count from the simulation start (midnight). ``device`` is the meter's
    index in the fleet, so that delivered resets can be applied to the fleet.
    """
    if isinstance(devices, int | np.integer) and not isinstance(devices, bool):
        devices = np.arange(check_int("devices", int(devices), 0), dtype=np.int64)
    devices = np.asarray(devices, dtype=np.int64)
    check_int("days", days, 1)
    check_int("first_day", first_day, 0)
    low, high = working_hours
    check_int("working_hours", low, 0, 23)
    check_int("working_hours", high, low + 1, 24)
    rng = np.random.default_rng(seed)
    n = len(devices)
    day = rng.integers(first_day, first_day + days, n)
    seconds = day * DAY + rng.integers(low * 3600, high * 3600, n)
    return reset_batch(devices, seconds, user=user, register=register)


def delivered_reset_hours(batch: RequestBatch, result: ReplayResult, meters: int) -> np.ndarray:
    """Per meter (``device`` code), the simulation hour its reset was delivered, or -1."""
    hours = np.full(meters, -1, dtype=np.int64)
    delivered = result.disposition == DISPOSITION_CODES.index(Disposition.DELIVERED)
    hours[batch.device[delivered]] = batch.timestamp[delivered] // 3600
    return hours
