"""Pacing a bulk campaign under volume thresholds (SR-12, TR-10): how many requests a
day, how many days, which limits to set, and when to send each request.

A paced campaign sends the same number of requests every day, spread evenly
over the sender's working hours, so that no rolling hour holds more than the
hourly limit and no rolling day more than the daily limit (``0``: none). The
thresholds' windows are those of :mod:`specpkg.anomaly.engine`: ``(t - window, t]``.
"""

from __future__ import annotations

import numpy as np

from specpkg.anomaly.replay import RequestBatch
from specpkg.anomaly.traffic import DAY
from specpkg.meter.registers import check_int


def per_day(hourly_limit: int, daily_limit: int = 0,
            working_hours: tuple[int, int] = (8, 18)) -> int:
    """Resets a paced campaign sends each day: the hourly limit in every working hour,
    at most the daily limit (0: none)."""
    check_int("hourly_limit", hourly_limit, 1)
    check_int("daily_limit", daily_limit, 0)
    low, high = working_hours
    most = hourly_limit * (high - low)
    return min(most, daily_limit) if daily_limit else most


def days_needed(resets: int, hourly_limit: int, daily_limit: int = 0,
                working_hours: tuple[int, int] = (8, 18)) -> int:
    """Days a paced campaign of ``resets`` needs to stay within the limits."""
    check_int("resets", resets, 0)
    return -(-resets // per_day(hourly_limit, daily_limit, working_hours))


def recommended_limits(resets: int, days: int,
                       working_hours: tuple[int, int] = (8, 18)) -> tuple[int, int]:
    """The rule: the smallest hourly limit with which ``resets`` paced resets go through
    in ``days`` days without a quarantine, and the daily limit that pace needs (the
    hourly limit times the working hours)."""
    check_int("resets", resets, 0)
    check_int("days", days, 1)
    hours = working_hours[1] - working_hours[0]
    hourly = max(1, -(-resets // (days * hours)))
    return hourly, hourly * hours


def paced_seconds(resets: int, hourly_limit: int, daily_limit: int = 0, first_day: int = 0,
                  working_hours: tuple[int, int] = (8, 18)) -> np.ndarray:
    """When each of ``resets`` paced resets is sent (seconds from the simulation start).

    Every day has the same :func:`per_day` slots, ``c`` of them spread evenly over
    the working hours (slot ``k`` at ``k * working seconds // c``); the last day
    uses its first slots. Slot ``k + hourly_limit`` is at least an hour after slot
    ``k`` and each slot is a day after the same slot of the day before, so no
    rolling hour holds more than the hourly limit nor any rolling day more than
    the daily limit.
    """
    check_int("resets", resets, 0)
    check_int("first_day", first_day, 0)
    slots = per_day(hourly_limit, daily_limit, working_hours)
    low, high = working_hours
    k = np.arange(resets, dtype=np.int64)
    return ((first_day + k // slots) * DAY + low * 3600
            + (k % slots) * ((high - low) * 3600) // slots)


def busiest(batch: RequestBatch, window_seconds: int = 3600) -> int:
    """The most requests of ``batch`` (in arrival order) in any rolling window
    ``(t - window, t]``: the smallest volume limit over that window that quarantines
    none of them, under either setting of ``count_quarantined``."""
    times = batch.timestamp
    if not len(times):
        return 0
    first = np.searchsorted(times, times - window_seconds, side="right")
    return int((np.arange(len(times)) - first + 1).max())
