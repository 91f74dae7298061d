"""A bulk debt relief campaign at any scale: targets, pacing, anomaly detection, and
what it does for the customers (SR-12 impact; BR-1..BR-3).

A Supplier resets one Debt Register on every meter carrying debt on it when the campaign
is planned (the *targets*), sent at random over the working hours of the campaign days
or *paced* (:mod:`specpkg.anomaly.pacing`). The DCC's threshold anomaly detection decides
each reset (:func:`specpkg.anomaly.replay.replay`, ``count_quarantined`` passed in); the
fleet is then run hour by hour under each :class:`Scenario`, chunk by chunk
(:func:`specpkg.meter.fleet.random_fleet`), so a national fleet runs in bounded memory
and a chunked run gives exactly the totals of one run over the whole fleet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum

import numpy as np

from specpkg.anomaly.engine import DISPOSITION_CODES, Disposition
from specpkg.anomaly.pacing import (
    DEFAULT_RISK,
    Recommendation,
    paced_seconds,
    recommend,
    recommended_limits,
)
from specpkg.anomaly.replay import ReplayResult, RequestBatch, replay
from specpkg.anomaly.thresholds import Threshold, ThresholdTable, parse_user_id
from specpkg.anomaly.traffic import (
    DAY,
    EXAMPLE_USERS,
    bulk_reset_campaign,
    delivered_reset_hours,
    reset_batch,
)
from specpkg.errors import ValidationError
from specpkg.gbcs.catalogue import RESET_DEBT_REGISTER
from specpkg.meter.fleet import FleetResult, random_fleet, simulate_fleet
from specpkg.meter.households import FleetInputs, check_share, default_inputs, on_release
from specpkg.meter.registers import DebtRegister, check_int, parse_register

#: What the DCC and the Supplier are each notified of for every quarantined command:
#: the quarantine, then the Supplier's release or rejection of it (TR-10).
NOTIFIED_EVENTS: tuple[str, ...] = ("quarantined", "released or rejected")
#: Meters per chunk of the fleet passes.
CHUNK = 1 << 17
#: The largest fleet a campaign runs over (GB has about 4.4 million prepayment meters).
MAX_METERS = 10_000_000
#: The most hourly limits one report replays the campaign at.
MAX_LIMITS = 50


class Scenario(StrEnum):
    """The fleet runs: nothing reset; every reset applied when sent; only the resets
    anomaly detection delivered at the campaign's limits (the quarantined ones held)."""

    NO_SCHEME = "no scheme"
    DELIVERED = "every reset delivered"
    HELD = "quarantined resets held"


class Sending(StrEnum):
    """How the Supplier spreads its resets over time."""

    RANDOM = "random"
    PACED = "paced"



@dataclass(frozen=True)
class Campaign:
    """A campaign's parameters (the notebook's and the benchmark's).

    ``days`` is the length of a random campaign; a paced one takes
    :func:`days_needed`. ``daily_limit`` 0 means the Supplier set no daily volume
    threshold. Days count from the simulation start (day 0, midnight).
    """

    meters: int
    register: DebtRegister = DebtRegister.TIME_DEBT_1
    first_day: int = 4
    days: int = 3
    simulation_days: int = 14
    hourly_limit: int = 600
    daily_limit: int = 0
    working_hours: tuple[int, int] = (8, 18)
    sending: Sending = Sending.RANDOM
    seed: int = 2019
    user: str = EXAMPLE_USERS[0]
    #: Share of the meters on firmware of the Release (MA-19); the others refuse the
    #: reset with an alert (MA-7) but it still counts against the thresholds (SR-4).
    release_share: float = 1.0
    #: The User's ordinary resets a working day besides the campaign (MA-20).
    ordinary_per_day: int = 0
    #: The households' inputs (data/campaign/inputs.csv unless changed).
    inputs: FleetInputs = field(default_factory=default_inputs)

    def __post_init__(self) -> None:
        check_int("meters", self.meters, 0)
        if self.meters > MAX_METERS:
            raise ValidationError("meters", f"{self.meters:,} meters is above the maximum of "
                                            f"{MAX_METERS:,} (the GB prepayment fleet is about "
                                            "4.5 million)")
        object.__setattr__(self, "register", parse_register(self.register))
        check_int("first_day", self.first_day, 0)
        check_int("days", self.days, 1)
        check_int("simulation_days", self.simulation_days, 1, 366)
        if self.first_day >= self.simulation_days:
            raise ValidationError("first_day", f"day {self.first_day} is not within the "
                                               f"{self.simulation_days} simulated days")
        check_int("hourly_limit", self.hourly_limit, 1)
        check_int("daily_limit", self.daily_limit, 0)
        if len(self.working_hours) != 2:
            raise ValidationError("working_hours", "needs a first and a last hour")
        low, high = self.working_hours
        check_int("working_hours", low, 0, 23)
        check_int("working_hours", high, low + 1, 24)
        object.__setattr__(self, "working_hours", (low, high))
        try:
            object.__setattr__(self, "sending", Sending(self.sending))
        except ValueError:
            raise ValidationError("sending",
                                  f"must be random or paced, got {self.sending!r}") from None
        check_int("seed", self.seed, 0)
        object.__setattr__(self, "release_share", check_share("release_share",
                                                              self.release_share))
        check_int("ordinary_per_day", self.ordinary_per_day, 0, MAX_METERS)
        if not isinstance(self.inputs, FleetInputs):
            raise ValidationError("inputs", "must be FleetInputs")
        try:
            object.__setattr__(self, "user", parse_user_id(self.user))
        except ValidationError as exc:
            raise ValidationError("user", exc.reason) from None

    @property
    def hours(self) -> int:
        return self.simulation_days * 24

    def thresholds(self, hourly_limit: int | None = None) -> ThresholdTable:
        """The Supplier's ADTs for the reset: per rolling hour, per rolling day (if set),
        and a data value of 0 (a reset writes zero) (SR-12, TR-10)."""
        limit = self.hourly_limit if hourly_limit is None else hourly_limit
        found = [Threshold(self.user, RESET_DEBT_REGISTER, "volume", 3600, limit),
                 Threshold(self.user, RESET_DEBT_REGISTER, "data_value", 0, 0)]
        if self.daily_limit:
            found.append(Threshold(self.user, RESET_DEBT_REGISTER, "volume", DAY,
                                   self.daily_limit))
        return ThresholdTable(found)


# --- anomaly detection ----------------------------------------------------------------


@dataclass(frozen=True)
class LimitOutcome:
    """What anomaly detection does with the campaign at one hourly limit (SR-12, TR-10)."""

    hourly_limit: int
    delivered: int
    quarantined: int
    refused: int

    @property
    def notifications(self) -> int:
        """Notifications each of the DCC and the Supplier handles (:data:`NOTIFIED_EVENTS`)."""
        return self.quarantined * len(NOTIFIED_EVENTS)


def outcome(hourly_limit: int, result: ReplayResult) -> LimitOutcome:
    counts = result.counts()
    return LimitOutcome(hourly_limit, counts[Disposition.DELIVERED],
                        counts[Disposition.QUARANTINED], counts[Disposition.REFUSED])


def outcomes_by_limit(spec: Campaign, batch: RequestBatch, limits: list[int], *,
                      count_quarantined: bool) -> list[LimitOutcome]:
    """The campaign replayed at each hourly limit (the spec's other thresholds kept)."""
    return [outcome(limit, replay(batch, spec.thresholds(limit),
                                  count_quarantined=count_quarantined))
            for limit in sorted({check_int("hourly_limit", int(x), 1) for x in limits})]


@dataclass(frozen=True)
class Readings:
    """The campaign at one hourly limit under both readings of MA-4: quarantined requests
    count against the volume limits (``counted``), or only delivered ones do."""

    hourly_limit: int
    counted: LimitOutcome
    not_counted: LimitOutcome

    def reading(self, count_quarantined: bool) -> LimitOutcome:
        return self.counted if count_quarantined else self.not_counted


def outcomes_both_readings(spec: Campaign, batch: RequestBatch,
                           limits: list[int]) -> list[Readings]:
    """The campaign replayed at each hourly limit under both readings of MA-4."""
    counted = outcomes_by_limit(spec, batch, limits, count_quarantined=True)
    other = outcomes_by_limit(spec, batch, limits, count_quarantined=False)
    return [Readings(a.hourly_limit, a, b) for a, b in zip(counted, other, strict=True)]


# --- the plan: targets, sending, decisions ----------------------------------------------


def chunks(meters: int, chunk: int = CHUNK) -> Iterator[tuple[int, int]]:
    check_int("chunk", chunk, 1)
    for start in range(0, meters, chunk):
        yield start, min(start + chunk, meters)


def _bar(total: int, what: str, progress: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=what, unit=" meters", unit_scale=True, disable=not progress,
                leave=False)


@dataclass(frozen=True)
class Plan:
    """The campaign as sent and as anomaly detection decided it (at ``spec``'s limits)."""

    spec: Campaign
    targets: np.ndarray  # meter indices carrying debt on the register
    debt: int  # pence on the register of the targets when planned
    batch: RequestBatch
    result: ReplayResult

    @property
    def outcome(self) -> LimitOutcome:
        return outcome(self.spec.hourly_limit, self.result)

    @property
    def release(self) -> np.ndarray:
        """Per reset sent (batch row): its meter runs firmware of the Release (MA-19)."""
        return on_release(self.batch.device, self.spec.release_share, self.spec.seed)

    @property
    def refused_by_meter(self) -> int:
        """Resets anomaly detection delivered to a meter from before the Release: each is
        refused by the meter (with an alert, MA-7) and writes nothing off (SR-4)."""
        delivered = self.result.disposition == DISPOSITION_CODES.index(Disposition.DELIVERED)
        return int((delivered & ~self.release).sum())

    def reset_hours(self, scenario: Scenario | str) -> np.ndarray | None:
        """Per meter, the hour its reset takes effect in ``scenario`` (-1: none)."""
        try:
            scenario = Scenario(scenario)
        except ValueError:
            raise ValidationError("scenario", f"unknown scenario {scenario!r}") from None
        if scenario is Scenario.NO_SCHEME:
            return None
        if scenario is Scenario.HELD:
            hours = delivered_reset_hours(self.batch, self.result, self.spec.meters)
        else:
            hours = np.full(self.spec.meters, -1, dtype=np.int64)
            hours[self.batch.device] = self.batch.timestamp // 3600
        if self.spec.release_share < 1:  # a meter from before the Release changes nothing
            hours[self.batch.device[~self.release]] = -1
        return hours

    @property
    def sending_days(self) -> int:
        """Days from the first to the last reset sent."""
        if not len(self.batch):
            return 0
        return int(self.batch.timestamp[-1] // DAY - self.batch.timestamp[0] // DAY) + 1


def find_targets(spec: Campaign, *, chunk: int = CHUNK,
                 progress: bool = False) -> tuple[np.ndarray, int]:
    """The meters carrying debt on the register when the campaign is planned, and the
    pence they owe on it: one pass over the fleet, chunk by chunk."""
    found, debt = [], 0
    with _bar(spec.meters, "targets", progress) as bar:
        for start, stop in chunks(spec.meters, chunk):
            owed = getattr(random_fleet(stop - start, spec.seed, start=start,
                                        inputs=spec.inputs), spec.register.field)
            found.append(start + np.flatnonzero(owed > 0))
            debt += int(owed.sum())
            bar.update(stop - start)
    return (np.concatenate(found) if found else np.zeros(0, dtype=np.int64)), debt


def plan(spec: Campaign, *, count_quarantined: bool, chunk: int = CHUNK,
         progress: bool = False, targets: tuple[np.ndarray, int] | None = None) -> Plan:
    """The targets (or those given, from :func:`find_targets`), one reset each, sent
    as ``spec.sending`` says, and anomaly detection's decisions at ``spec``'s limits."""
    devices, debt = targets or find_targets(spec, chunk=chunk, progress=progress)
    if spec.sending is Sending.PACED:
        batch = reset_batch(devices, paced_seconds(len(devices), spec.hourly_limit,
                                                   spec.daily_limit, spec.first_day,
                                                   spec.working_hours),
                            user=spec.user, register=spec.register)
    else:
        batch = bulk_reset_campaign(devices, user=spec.user, register=spec.register,
                                    first_day=spec.first_day, days=spec.days,
                                    working_hours=spec.working_hours, seed=spec.seed)
    result = replay(batch, spec.thresholds(), count_quarantined=count_quarantined)
    return Plan(spec, devices, debt, batch, result)


# --- the customers ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Totals:
    """One scenario over a fleet, as sums (pence, hours, households) that add over chunks.

    ``recovered`` and ``balance`` are per day: the debt recovered from all meters,
    and the sum of their balances at the end of the day. A household is *off* in
    an hour that ends with its supply disabled; *spared* households were off at
    least an hour without the scheme and never in this scenario.
    """

    meters: int
    resets: int
    written_off: int
    recovered: np.ndarray
    balance: np.ndarray
    households_off: int
    hours_off: int
    spared: int

    @classmethod
    def of(cls, run: FleetResult, reset_hours: np.ndarray | None, hours: int,
           baseline_off: np.ndarray | None = None) -> Totals:
        off = run.daily_disabled_hours.sum(axis=1, dtype=np.int64)
        applied = 0 if reset_hours is None else int(((reset_hours >= 0)
                                                     & (reset_hours < hours)).sum())
        spared = 0 if baseline_off is None else int(((baseline_off > 0) & (off == 0)).sum())
        return cls(len(off), applied, int(run.written_off.sum()),
                   run.daily_recovered.sum(axis=0, dtype=np.int64),
                   run.daily_balance.sum(axis=0, dtype=np.int64),
                   int((off > 0).sum()), int(off.sum()), spared)

    def __add__(self, other: Totals) -> Totals:
        return Totals(**{f.name: getattr(self, f.name) + getattr(other, f.name)
                         for f in fields(self)})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Totals) and all(
            np.array_equal(getattr(self, f.name), getattr(other, f.name)) for f in fields(self))

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Impact:
    """The plan and the totals of each :class:`Scenario`."""

    plan: Plan
    totals: dict[Scenario, Totals]

    @property
    def baseline(self) -> Totals:
        return self.totals[Scenario.NO_SCHEME]


def impact(plan_: Plan, *, chunk: int = CHUNK, progress: bool = False) -> Impact:
    """Run the fleet under every scenario, chunk by chunk, and add up the totals."""
    spec = plan_.spec
    every = {s: plan_.reset_hours(s) for s in Scenario}
    sums: dict[Scenario, Totals] = {}
    with _bar(spec.meters, "fleet", progress) as bar:
        for start, stop in chunks(spec.meters, chunk):
            fleet = random_fleet(stop - start, spec.seed, start=start, inputs=spec.inputs)
            baseline_off = None
            for scenario, reset_hours in every.items():
                part = None if reset_hours is None else reset_hours[start:stop]
                chosen = fleet if part is None else fleet.with_resets(part, spec.register)
                run = simulate_fleet(chosen, spec.hours, chunk=chunk)
                found = Totals.of(run, part, spec.hours, baseline_off)
                if reset_hours is None:
                    baseline_off = run.daily_disabled_hours.sum(axis=1, dtype=np.int64)
                sums[scenario] = sums[scenario] + found if scenario in sums else found
            bar.update(stop - start)
    if not sums:  # an empty fleet
        empty = np.zeros(spec.simulation_days, dtype=np.int64)
        sums = {s: Totals(0, 0, 0, empty, empty, 0, 0, 0) for s in Scenario}
    return Impact(plan_, sums)


def run(spec: Campaign, *, count_quarantined: bool, chunk: int = CHUNK,
        progress: bool = False) -> Impact:
    """:func:`plan` then :func:`impact`: the whole campaign."""
    return impact(plan(spec, count_quarantined=count_quarantined, chunk=chunk,
                       progress=progress), chunk=chunk, progress=progress)


def by_register(spec: Campaign, *, count_quarantined: bool,
                chunk: int = CHUNK) -> dict[DebtRegister, Impact]:
    """The same campaign on each Debt Register in turn (pounds written off per register)."""
    return {r: run(replace(spec, register=r), count_quarantined=count_quarantined, chunk=chunk)
            for r in DebtRegister}


@dataclass(frozen=True)
class Report:
    """What the working group asks of a campaign (notebook 08 and the executive summary):
    its impact at the chosen limit, its outcome at each hourly limit, the
    recommended limits for sending it in ``spec.days`` days, and the campaign
    paced at those limits."""

    impact: Impact
    limits: list[LimitOutcome]
    recommended: tuple[int, int]
    paced: Plan
    count_quarantined: bool
    #: Every hourly limit (those asked and the chosen one) under both readings of MA-4.
    readings: list[Readings]
    #: The two-part recommendation: the threshold to set and the rate to send at.
    recommendation: Recommendation | None = None

    @property
    def plan(self) -> Plan:
        return self.impact.plan

    @property
    def chosen(self) -> Readings:
        """The chosen hourly limit under both readings of MA-4."""
        return next(r for r in self.readings if r.hourly_limit == self.plan.spec.hourly_limit)


def report(spec: Campaign, limits: list[int], *, count_quarantined: bool,
           chunk: int = CHUNK, progress: bool = False, trials: int = 0,
           side_trials: int | None = None, risk: float = DEFAULT_RISK) -> Report:
    """The campaign as :class:`Report` (one pass for the targets, one for the fleet);
    with ``trials`` > 0 also the two-part recommendation (:func:`recommend`)."""
    if len(limits) > MAX_LIMITS:
        raise ValidationError("limits", f"at most {MAX_LIMITS} hourly limits, got {len(limits)}")
    targets = find_targets(spec, chunk=chunk, progress=progress)
    sent = plan(spec, count_quarantined=count_quarantined, targets=targets)
    recommended = recommended_limits(len(targets[0]), spec.days, spec.working_hours)
    paced = plan(replace(spec, sending=Sending.PACED, hourly_limit=recommended[0],
                         daily_limit=recommended[1]),
                 count_quarantined=count_quarantined, targets=targets)
    asked = {check_int("hourly_limit", int(x), 1) for x in limits}
    advice = (recommend(len(targets[0]), spec.days, ordinary_per_day=spec.ordinary_per_day,
                        working_hours=spec.working_hours, risk=risk, trials=trials,
                        side_trials=side_trials, seed=spec.seed, user=spec.user)
              if trials and len(targets[0]) else None)
    shown = [*limits, spec.hourly_limit, *([advice.threshold] if advice else [])]
    readings = outcomes_both_readings(spec, sent.batch, shown)
    return Report(impact(sent, chunk=chunk, progress=progress),
                  [r.reading(count_quarantined) for r in readings if r.hourly_limit in asked],
                  recommended, paced, count_quarantined, readings, advice)
