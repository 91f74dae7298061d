"""Pacing a bulk campaign under volume thresholds (SR-12, TR-10): how many requests a
day, how many days, which limits to set, and when to send each request.

A paced campaign sends the same number of requests every day, spread evenly
over the sender's working hours, so that no rolling hour holds more than the
hourly limit and no rolling day more than the daily limit (``0``: none). The
thresholds' windows are those of :mod:`specpkg.anomaly.engine`: ``(t - window, t]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from specpkg.anomaly.replay import RequestBatch
from specpkg.anomaly.traffic import DAY
from specpkg.errors import ValidationError
from specpkg.meter.registers import check_int

#: Working days a year (MA-20's ordinary resets arrive on them).
WORKING_DAYS = 250


def ordinary_per_day(meters: int, per_meter_year: float) -> int:
    """The User's ordinary resets a working day (MA-20): meters x resets a meter a year / 250."""
    if isinstance(per_meter_year, bool) or not isinstance(per_meter_year, int | float) \
            or not 0 <= per_meter_year <= 12:
        raise ValidationError("ordinary_per_meter_year",
                              f"must be between 0 and 12 a year, got {per_meter_year!r}")
    return round(meters * per_meter_year / WORKING_DAYS)


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


# --- the recommendation: a threshold with headroom, and a rate to send at ------------------

#: The bounds of :func:`recommend`'s parameters (the cli and the notebook share them).
MAX_TRIALS = 2_000
MAX_RESETS = 10_000_000
#: Trials with a quarantine whose mean under "only delivered requests count" (MA-4 no) is
#: replayed: that reading walks every request in order, so a sample of the trials.
WALKED_TRIALS = 20
#: The sides of :func:`recommend` that send the campaign at random over its days: against
#: the recommended threshold, and at the threshold it would need.
AT_RANDOM = "sent at random over the days"
AT_RANDOM_NEEDS = "sent at random, the threshold it needs"
#: The chance of any quarantine a recommended threshold accepts, unless a run says otherwise.
DEFAULT_RISK = 0.05
#: How far either side of the recommendation :func:`recommend` looks (10 %).
SIDE_STEP = 0.1


@dataclass(frozen=True)
class Side:
    """One setting near the recommendation and what happens there, over the trials.

    ``threshold`` is the hourly limit set and ``rate`` the resets sent an hour
    (0: sent at random over the campaign days); ``chance`` the share of trials
    with at least one quarantine; ``quarantined`` the mean resets quarantined per
    trial under each reading of MA-4 (``True``: quarantined requests count; the other
    over at most :data:`WALKED_TRIALS` of the trials with a quarantine);
    ``headroom`` the resets an hour a runaway or tampered sender could add before
    the threshold stops it; ``daily`` the daily threshold set (0: none).
    """

    label: str
    threshold: int
    rate: int
    days: int
    chance: float
    quarantined: dict[bool, float]
    headroom: int
    daily: int = 0


@dataclass(frozen=True)
class Recommendation:
    """The two-part recommendation (SR-12, TR-10): send at ``rate`` resets an hour, paced,
    and set the hourly threshold to ``threshold`` (and the daily one to ``daily``), so that
    the campaign and the User's ordinary traffic (random, ``ordinary_per_day`` a working
    day, MA-20) pass without a quarantine in all but ``risk`` of the trials; ``sides``
    is what happens either side of each part, and sent at random instead."""

    resets: int
    days: int
    ordinary_per_day: int
    risk: float
    trials: int
    rate: int
    threshold: int
    daily: int
    sides: tuple[Side, ...]
    #: The trials each side's chance is over.
    side_trials: int = 0
    #: Each trial's busiest rolling hour, paced at ``rate`` (what ``threshold`` is set from).
    hourly_peaks: tuple[int, ...] = ()

    @property
    def headroom(self) -> int:
        """Resets an hour the threshold leaves above the campaign's rate."""
        return self.threshold - self.rate

    def side(self, label: str) -> Side:
        """The side of the recommendation named ``label``."""
        return next(s for s in self.sides if s.label == label)

    def trials_with_quarantine(self, side: Side) -> int:
        """Of :attr:`side_trials`, those in which ``side`` saw a quarantine."""
        return round(side.chance * self.side_trials)

    def chance_by_threshold(self) -> list[tuple[int, float]]:
        """Paced at :attr:`rate`, the share of the trials whose busiest rolling hour goes
        over each hourly threshold, from the rate to the busiest of them (the daily
        threshold as recommended, so never binding): the chance of any quarantine against
        the threshold, step by step, from the very trials :attr:`threshold` was set from."""
        ordered = np.sort(np.array(self.hourly_peaks))
        return [(t, float((ordered > t).sum()) / len(ordered))
                for t in range(max(1, self.rate - 1), int(ordered[-1]) + 2)]


def _ordinary_seconds(rng: np.random.Generator, per_day: int, first_day: int, days: int,
                      working_hours: tuple[int, int]) -> np.ndarray:
    """The User's ordinary resets: a Poisson number each day, at random working seconds."""
    low, high = working_hours
    counts = rng.poisson(per_day, days) if per_day else np.zeros(days, dtype=np.int64)
    day = np.repeat(np.arange(first_day, first_day + days), counts)
    return day * DAY + rng.integers(low * 3600, high * 3600, len(day))


def _random_seconds(rng: np.random.Generator, resets: int, first_day: int, days: int,
                    working_hours: tuple[int, int]) -> np.ndarray:
    low, high = working_hours
    return (rng.integers(first_day, first_day + days, resets) * DAY
            + rng.integers(low * 3600, high * 3600, resets))


def _busiest(times: np.ndarray, window: int) -> int:
    if not len(times):
        return 0
    times = np.sort(times)
    first = np.searchsorted(times, times - window, side="right")
    return int((np.arange(len(times)) - first + 1).max())


def _trial_times(resets: int, rate: int, days: int, ordinary: int, seed: int, trial: int,
                 working_hours: tuple[int, int], first_day: int = 0) -> np.ndarray:
    """One trial's arrival times: the campaign (paced at ``rate``, or at random over
    ``days`` if ``rate`` is 0) and the ordinary traffic over the days it takes."""
    rng = np.random.default_rng((seed, trial))
    if rate:
        campaign = paced_seconds(resets, rate, 0, first_day, working_hours)
        span = days_needed(resets, rate, 0, working_hours) or 1
    else:
        campaign, span = _random_seconds(rng, resets, first_day, days, working_hours), days
    return np.sort(np.concatenate([campaign, _ordinary_seconds(rng, ordinary, first_day,
                                                               span, working_hours)]))


def _quantile_limit(peaks: list[int], risk: float) -> int:
    """The smallest limit that at most ``risk`` of the trials' peaks exceed."""
    ordered = sorted(peaks)
    allowed = int(np.floor(risk * len(ordered) + 1e-9))  # trials that may exceed it
    return ordered[len(ordered) - 1 - allowed] if allowed < len(ordered) else 1


def _quarantines(resets: int, rate: int, days: int, ordinary: int, threshold: int,
                 daily: int, seed: int, trials: int, working_hours: tuple[int, int],
                 user: str) -> tuple[float, dict[bool, float]]:
    """The share of trials with a quarantine, and the mean quarantined under each reading."""
    from specpkg.anomaly.replay import replay
    from specpkg.anomaly.thresholds import Threshold, ThresholdTable
    from specpkg.anomaly.traffic import reset_batch
    from specpkg.gbcs.catalogue import RESET_DEBT_REGISTER

    table = ThresholdTable([Threshold(user, RESET_DEBT_REGISTER, "volume", 3600, threshold),
                            *([Threshold(user, RESET_DEBT_REGISTER, "volume", DAY, daily)]
                              if daily else [])])
    hit, held, walked = 0, {True: 0, False: 0}, 0
    for trial in range(trials):
        times = _trial_times(resets, rate, days, ordinary, seed, trial, working_hours)
        if _busiest(times, 3600) <= threshold and (not daily or _busiest(times, DAY) <= daily):
            continue  # no window over a limit: nothing quarantined under either reading
        hit += 1
        batch = reset_batch(np.arange(len(times)), times, user=user)
        held[True] += int((replay(batch, table, count_quarantined=True).disposition == 1).sum())
        if walked < WALKED_TRIALS:  # the other reading walks every request: a sample
            walked += 1
            result = replay(batch, table, count_quarantined=False)
            held[False] += int((result.disposition == 1).sum())
    not_counted = held[False] / walked * hit / trials if walked else 0.0
    return hit / trials, {True: held[True] / trials, False: not_counted}


def limits_needed(resets: int, days: int, *, ordinary_per_day: int = 0,
                  working_hours: tuple[int, int] = (8, 18), risk: float = DEFAULT_RISK,
                  trials: int = 200, seed: int = 0) -> tuple[int, int, int]:
    """The two parts of :func:`recommend` without their either-side replays: the rate
    (resets an hour, paced), the hourly threshold (at most ``risk`` of ``trials`` trials
    of the campaign and the ordinary traffic exceed it) and the daily one (no trial
    exceeds it)."""
    rate, hourly_peaks, daily_peaks = _paced_peaks(resets, days, ordinary_per_day,
                                                   working_hours, trials, seed)
    return rate, _quantile_limit(hourly_peaks, risk), max(daily_peaks)


def _paced_peaks(resets: int, days: int, ordinary_per_day: int,
                 working_hours: tuple[int, int], trials: int,
                 seed: int) -> tuple[int, list[int], list[int]]:
    """The even pace, and each trial's busiest rolling hour and day at that pace."""
    low, high = working_hours
    check_int("working_hours", low, 0, 23)
    check_int("working_hours", high, low + 1, 24)
    rate, _ = recommended_limits(resets, days, working_hours)
    hourly_peaks, daily_peaks = [], []
    for trial in range(trials):
        times = _trial_times(resets, rate, days, ordinary_per_day, seed, trial, working_hours)
        hourly_peaks.append(_busiest(times, 3600))
        daily_peaks.append(_busiest(times, DAY))
    return rate, hourly_peaks, daily_peaks


def recommend(resets: int, days: int, *, ordinary_per_day: int = 0,
              working_hours: tuple[int, int] = (8, 18), risk: float = DEFAULT_RISK,
              trials: int = 200, side_trials: int | None = None, seed: int = 0,
              user: str = "90B3D51F30010000") -> Recommendation:
    """The recommendation, computed by simulation over random arrivals.

    The rate is the even pace that sends ``resets`` in ``days`` (:func:`recommended_limits`).
    The threshold is the smallest hourly limit that the busiest rolling hour of the
    campaign plus the User's ordinary traffic exceeds in at most ``risk`` of ``trials``
    trials; the daily threshold the busiest rolling day of any trial (so that the
    chance of a quarantine is the hourly threshold's alone). Either side: the
    hourly threshold 10 % lower and higher (the daily one as recommended), the daily
    threshold 10 % lower and higher (the hourly one as recommended), the rate 10 % lower and
    higher (against the threshold), and the campaign sent at random over its days
    (against the threshold, and the threshold it would need), each replayed through
    anomaly detection under both readings of MA-4 over ``side_trials`` trials.
    """
    check_int("resets", resets, 1, MAX_RESETS)
    check_int("days", days, 1, 366)
    check_int("ordinary_per_day", ordinary_per_day, 0, MAX_RESETS)
    check_int("trials", trials, 1, MAX_TRIALS)
    side_trials = check_int("side_trials", trials if side_trials is None else side_trials,
                            1, MAX_TRIALS)
    check_int("seed", seed, 0)
    if not isinstance(risk, float | int) or isinstance(risk, bool) or not 0 <= risk < 1:
        raise ValidationError("risk", f"must be a share in [0, 1), got {risk!r}")
    low, high = working_hours
    rate, hourly_peaks, daily_peaks = _paced_peaks(resets, days, ordinary_per_day,
                                                   working_hours, trials, seed)
    threshold, daily = _quantile_limit(hourly_peaks, risk), max(daily_peaks)
    random_peaks = [_busiest(_trial_times(resets, 0, days, ordinary_per_day, seed, t,
                                          working_hours), 3600) for t in range(trials)]
    random_needs = _quantile_limit(random_peaks, risk)

    def side(label: str, limit: int, pace: int, day_limit: int) -> Side:
        span = days_needed(resets, pace, 0, working_hours) if pace else days
        chance, held = _quarantines(resets, pace, days, ordinary_per_day, limit, day_limit,
                                    seed, side_trials, working_hours, user)
        sent = pace if pace else -(-resets // (days * (high - low)))
        return Side(label, limit, pace, span, chance, held, limit - sent, day_limit)

    lower = max(1, round(threshold * (1 - SIDE_STEP)))
    higher = max(threshold + 1, round(threshold * (1 + SIDE_STEP)))
    slower = max(1, round(rate * (1 - SIDE_STEP)))
    faster = max(rate + 1, round(rate * (1 + SIDE_STEP)))
    sides = (
        side("recommended", threshold, rate, daily),
        side("threshold 10 % lower", lower, rate, daily),
        side("threshold 10 % higher", higher, rate, daily),
        side("daily threshold 10 % lower", threshold, rate,
             max(1, round(daily * (1 - SIDE_STEP)))),
        side("daily threshold 10 % higher", threshold, rate,
             max(daily + 1, round(daily * (1 + SIDE_STEP)))),
        side("sending 10 % slower", threshold, slower, daily),
        side("sending 10 % faster", threshold, faster, daily),
        side(AT_RANDOM, threshold, 0, daily),
        side(AT_RANDOM_NEEDS, random_needs, 0, 0),
    )
    return Recommendation(resets, days, ordinary_per_day, float(risk), trials, rate,
                          threshold, daily, sides, side_trials, tuple(hourly_peaks))
