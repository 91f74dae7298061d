"""Tables and sentences of a bulk debt relief campaign (notebook 08, the executive
summary; SR-12 impact); its figures are :mod:`specpkg.workbook.campaign_figures`.

Presentation only: every number comes from :mod:`specpkg.anomaly.campaign`.
Money is kept in integer pence and shown in whole pounds.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from specpkg.anomaly.campaign import Campaign, Impact, Report, Scenario, report
from specpkg.anomaly.pacing import (
    AT_RANDOM_NEEDS,
    Recommendation,
    busiest,
    days_needed,
    ordinary_per_day,
)
from specpkg.meter.households import row
from specpkg.meter.registers import DebtRegister
from specpkg.system.assumptions import Assumptions


def notebook_report(*, meters: int, register: str, campaign_first_day: int, campaign_days: int,
                    simulation_days: int, hourly_limits: Sequence[int], chosen_limit: int,
                    daily_limit: int, working_hours: Sequence[int], seed: int,
                    assumptions: str = "", pacing_daily_limits: Sequence[int] = (),
                    release_share: float | None = None,
                    ordinary_per_meter_year: float | None = None, trials: int = 0,
                    risk: float = 0.05) -> Report:
    """Notebook 08's campaign from its papermill parameters, by name: what the notebook
    shows and the executive summary quotes (one computation for both).
    ``pacing_daily_limits`` are only drawn (:func:`pacing`), not computed;
    ``release_share`` (MA-19) and ``ordinary_per_meter_year`` (MA-20) default to the
    inputs table; ``trials`` > 0 adds the two-part recommendation."""
    spec = campaign_spec(meters=meters, register=register, campaign_first_day=campaign_first_day,
                         campaign_days=campaign_days, simulation_days=simulation_days,
                         chosen_limit=chosen_limit, daily_limit=daily_limit,
                         working_hours=working_hours, seed=seed, release_share=release_share,
                         ordinary_per_meter_year=ordinary_per_meter_year)
    return report(spec, list(hourly_limits),
                  count_quarantined=Assumptions.parse(assumptions).count_quarantined,
                  trials=trials, risk=risk)


def campaign_spec(*, meters: int, register: str, campaign_first_day: int, campaign_days: int,
                  simulation_days: int, chosen_limit: int, daily_limit: int,
                  working_hours: Sequence[int], seed: int, release_share: float | None = None,
                  ordinary_per_meter_year: float | None = None) -> Campaign:
    """The :class:`Campaign` of notebook 08's parameters (MA-19, MA-20 from the table)."""
    share = row("release_share").value if release_share is None else release_share
    yearly = (row("ordinary_per_meter_year").value if ordinary_per_meter_year is None
              else ordinary_per_meter_year)
    return Campaign(meters, register, first_day=campaign_first_day, days=campaign_days,
                    simulation_days=simulation_days, hourly_limit=chosen_limit,
                    daily_limit=daily_limit, working_hours=tuple(working_hours), seed=seed,
                    release_share=share, ordinary_per_day=ordinary_per_day(meters, yearly))


def pounds(pence: int) -> str:
    """Whole pounds, rounded half up, with thousands separators: ``£1,234``."""
    return f"£{(int(pence) + 50) // 100:,}"


def _share(part: int, whole: int) -> str:
    if not whole:
        return "-"
    if 0 < abs(part) * 100 < abs(whole):  # under 1 %: never shown as "0 %"
        return "less than 1 %"
    return f"{100 * part / whole:.0f} %"


def households(count: int, *, verb: bool = False) -> str:
    """``1 household``, ``2,000 households``; with ``verb``, ``1 household is``,
    ``2,000 households are``."""
    one = count == 1
    return f"{count:,} household" + ("" if one else "s") + (
        (" is" if one else " are") if verb else "")


def _hours_each(hours: int, meters: int) -> str:
    each = hours / max(meters, 1)
    return "less than 0.1 hours" if 0 < each < 0.05 else f"about {each:.1f} hours"


# --- tables ---------------------------------------------------------------------------


def targets_table(report: Report) -> pd.DataFrame:
    """Who the campaign targets: the meters that carry debt on the register."""
    plan = report.plan
    return pd.DataFrame([{
        "meters in the fleet": f"{plan.spec.meters:,}",
        f"carrying debt on {plan.spec.register.label}": f"{len(plan.targets):,}",
        "resets sent": f"{len(plan.batch):,}",
        "owed on that register when planned": pounds(plan.debt),
    }])


#: The column heads of the two readings of MA-4.
READINGS = {True: "if quarantined resets count (MA-4 yes)",
            False: "if only delivered resets count (MA-4 no)"}


def basis_in_words(report: Report) -> str:
    """The settings a table or figure of this run rests on, as one sentence (Markdown):
    the chosen hourly limit, the reading of MA-4 and the share of meters on the
    Release's firmware (MA-19), each said to be the default or not."""
    spec = report.plan.spec
    reading = READINGS[report.count_quarantined].removeprefix("if ")
    default_reading = report.count_quarantined == Assumptions().count_quarantined
    default_share = spec.release_share == row("release_share").value
    share = "MA-19's value" if default_share else "a setting of the run, not MA-19's value"
    text = (f"*This run:* a chosen hourly limit of {spec.hourly_limit:,} resets (an example, "
            f"a setting of the run); {reading}, "
            f"{'the default reading' if default_reading else 'not the default'}"
            f"; {100 * spec.release_share:.0f} % of meters on the Release's firmware ({share}),"
            " the others refusing the reset.")
    advice = report.recommendation
    if advice is None:
        return text
    seen = advice.trials_with_quarantine(advice.side("recommended"))
    return (f"{text} Of the scenarios, *{Scenario.DELIVERED}* is also what the "
            f"recommendation gives (paced at {advice.rate:,} an hour against a threshold of "
            f"{advice.threshold:,}, {seen:,} of {advice.side_trials:,} simulated campaigns see "
            f"any quarantine); *{Scenario.HELD}* is the campaign sent at random against the "
            f"chosen limit of {spec.hourly_limit:,}, the quarantined resets never released. "
            "Figures of *this run* are one simulated campaign; those over many simulated "
            "campaigns say so (the mean, or how many of them).")


def chosen_in_words(report: Report) -> str:
    """Why the chosen limit is not the recommended threshold (Markdown), when both exist."""
    spec, advice = report.plan.spec, report.recommendation
    if advice is None:
        return (f"The chosen limit of {spec.hourly_limit:,} is a setting of the run, an "
                "example threshold to show what anomaly detection does.")
    if advice.threshold == spec.hourly_limit:
        return (f"The chosen limit of {spec.hourly_limit:,}, a setting of the run, is the "
                "threshold the next section recommends, for this campaign sent evenly at its "
                "recommended rate together with the Supplier's ordinary resets; the tables and "
                "charts that follow send the campaign at random against it.")
    compare = "above" if advice.threshold > spec.hourly_limit else "below"
    return (f"The chosen limit of {spec.hourly_limit:,} is a setting of the run, an example "
            "threshold for the tables and charts that follow, not the recommendation: the "
            f"threshold the next section recommends is {advice.threshold:,} ({compare} the "
            "chosen one), for this campaign sent evenly at its recommended rate together "
            "with the Supplier's ordinary resets.")


def limits_table(report: Report) -> pd.DataFrame:
    """At each hourly limit (and the chosen one), under both readings of MA-4 side by side:
    the resets quarantined, their share, the notifications each of the DCC and the
    Supplier handles; and the days the campaign would need paced at that limit."""
    spec = report.plan.spec
    rows = []
    for r in report.readings:
        total = r.counted.delivered + r.counted.quarantined + r.counted.refused
        notes = [note for note, limit in (
            ("chosen", spec.hourly_limit),
            ("recommended, for paced sending",
             report.recommendation.threshold if report.recommendation else None))
            if limit == r.hourly_limit]
        row = {"hourly limit": f"{r.hourly_limit:,}"
                               + (f" ({'; '.join(notes)})" if notes else "")}
        for counted, head in READINGS.items():
            o = r.reading(counted)
            row[f"quarantined in this run, {head}"] = (
                f"{o.quarantined:,} ({_share(o.quarantined, total)})")
            row[f"notifications each to the DCC and the Supplier in this run, {head}"] = (
                f"{o.notifications:,}")
        row["days needed, paced"] = days_needed(total, r.hourly_limit, spec.daily_limit,
                                                spec.working_hours)
        rows.append(row)
    return pd.DataFrame(rows)


def _percent(share: float) -> str:
    return f"{100 * share:.0f} %"


def _chance(advice: Recommendation, side) -> str:
    """A side's chance of a quarantine with its count: ``0.5 % (1 of 200)``."""
    share = 100 * side.chance
    shown = f"{share:.1f}" if 0 < share < 1 else f"{share:.0f}"
    return f"{shown} % ({advice.trials_with_quarantine(side):,} of {advice.side_trials:,})"


def recommendation_table(advice: Recommendation) -> pd.DataFrame:
    """The recommendation and each setting either side of it: the hourly threshold, the
    sending, the days, the chance of any quarantine and the mean resets quarantined
    under each reading of MA-4, and the headroom (resets an hour a runaway sender could
    add unchecked)."""
    rows = []
    for side in advice.sides:
        rows.append({
            "setting": side.label,
            "hourly threshold": f"{side.threshold:,}",
            "daily threshold": f"{side.daily:,}" if side.daily else "none",
            "sending": (f"paced, {side.rate:,} an hour" if side.rate
                        else f"at random over {advice.days} days"),
            "days of sending": side.days,
            "chance of any quarantine": _chance(advice, side),
            **{f"resets quarantined (mean of {advice.side_trials:,} simulated campaigns), "
               f"{head}": f"{side.quarantined[counted]:,.0f}"
               for counted, head in READINGS.items()},
            "headroom (resets an hour)": f"{side.headroom:,}",
        })
    return pd.DataFrame(rows)


def recommendation_in_words(advice: Recommendation, working_hours: Sequence[int]) -> str:
    """The two-part recommendation as sentences (Markdown), every number computed."""
    sides = {s.label: s for s in advice.sides}
    low, high = working_hours
    lower, higher = sides["threshold 10 % lower"], sides["threshold 10 % higher"]
    slower, faster = sides["sending 10 % slower"], sides["sending 10 % faster"]
    day_low = sides["daily threshold 10 % lower"]
    at_random = sides[AT_RANDOM_NEEDS]
    return "\n\n".join([
        f"**1. Set the hourly threshold to {advice.threshold:,}** (and the daily one to "
        f"{advice.daily:,}). That is {advice.headroom:,} an hour above the campaign's pace, "
        f"room for the Supplier's ordinary resets ({advice.ordinary_per_day:,} a working "
        f"day, arriving at random, MA-20): in "
        f"{advice.side_trials - advice.trials_with_quarantine(sides['recommended']):,} "
        f"of {advice.side_trials:,} simulated campaigns nothing is quarantined. Set "
        f"{lower.threshold:,} instead and {_percent(lower.chance)} of them see a "
        f"quarantine ({lower.quarantined[True]:,.0f} resets held on average if quarantined "
        f"resets count, {lower.quarantined[False]:,.0f} if not); set {higher.threshold:,} "
        f"and a runaway or tampered sender can add {higher.headroom:,} resets an hour "
        f"before the threshold stops it. The daily threshold is the busiest rolling day of "
        f"any simulated campaign: set it at {day_low.daily:,} instead and "
        f"{_percent(day_low.chance)} of them see a quarantine "
        f"({day_low.quarantined[True]:,.0f} resets held on average if quarantined resets "
        "count).",
        f"**2. Send {advice.rate:,} resets an hour, paced evenly** from {low:02d}:00 to "
        f"{high:02d}:00: the {advice.resets:,} resets go in {advice.days} days. Slower "
        f"({slower.rate:,} an hour) takes {slower.days} days; faster ({faster.rate:,}) "
        f"takes {faster.days} days and {_percent(faster.chance)} of the "
        f"campaigns see a quarantine ({faster.quarantined[True]:,.0f} resets held on "
        "average if quarantined resets count). Sent at random over the same days "
        f"instead, the campaign needs a threshold of {at_random.threshold:,}.",
    ])


def pacing_table(report: Report) -> pd.DataFrame:
    """The campaign's own busiest rolling hour and day in this one run, sent at random
    and paced evenly: what a limit must hold for the campaign alone (the recommended
    threshold adds the ordinary resets and the risk over many simulated campaigns)."""
    day = 24 * 3600
    return pd.DataFrame([
        {"sending": name,
         "busiest rolling hour, campaign alone (resets)": f"{busiest(plan.batch):,}",
         "busiest rolling day, campaign alone (resets)": f"{busiest(plan.batch, day):,}",
         "days of sending": plan.sending_days}
        for name, plan in ((f"at random over {report.plan.spec.days} days, this run",
                            report.plan),
                           ("paced evenly at the recommended rate", report.paced))])


def registers_table(impacts: dict[DebtRegister, Impact]) -> pd.DataFrame:
    """The pounds a campaign writes off, for each Debt Register it could reset."""
    rows = []
    for register, impact in impacts.items():
        every, held = impact.totals[Scenario.DELIVERED], impact.totals[Scenario.HELD]
        rows.append({
            "register": register.label,
            "meters carrying the debt": f"{len(impact.plan.targets):,}",
            "owed when planned": pounds(impact.plan.debt),
            "written off, every reset delivered (as paced at the recommendation)":
                pounds(every.written_off),
            "written off per register reset": pounds(every.written_off // max(every.resets, 1)),
            f"written off, example limit {impact.plan.spec.hourly_limit:,} an hour, sent at "
            "random": pounds(held.written_off),
        })
    return pd.DataFrame(rows)


def customers_table(impact: Impact) -> pd.DataFrame:
    """Per scenario: resets applied, debt written off and recovered, balances, supply off."""
    spec = impact.plan.spec
    first = int(impact.plan.batch.timestamp.min() // 86_400) if len(impact.plan.batch) else 0
    before = slice(0, max(first, 1))
    last_week = slice(max(spec.simulation_days - 7, 0), spec.simulation_days)
    rows = []
    for name, t in impact.totals.items():
        per_day = max(t.meters, 1)
        rows.append({
            "scenario": name.value,
            "resets applied": f"{t.resets:,}",
            "debt written off": pounds(t.written_off),
            "recovered per household-day, before (p)":
                round(t.recovered[before].mean() / per_day, 1),
            "recovered per household-day, last week (p)":
                round(t.recovered[last_week].mean() / per_day, 1),
            "mean balance at the end": f"£{t.balance[-1] / per_day / 100:,.2f}",
            "households ever off supply": f"{t.households_off:,}",
            "household-hours off supply": f"{t.hours_off:,}",
        })
    return pd.DataFrame(rows)


def balance_in_words(impact: Impact) -> str:
    """Why the balance lines of the scenarios lie on top of each other (Markdown): the mean
    balance at the end of each, in pence."""
    ends = {name: t.balance[-1] / max(t.meters, 1) for name, t in impact.totals.items()}
    base = ends[Scenario.NO_SCHEME]
    most = max(abs(v - base) for v in ends.values())
    return (f"The scenarios' balance lines lie almost on top of each other: at the end the "
            f"average balance differs between them by at most {most:.1f} pence, because a "
            "reset only stops the deductions still to come for the few households it reaches, "
            "spread here over the whole fleet.")


def supply_off_in_words(impact: Impact) -> str:
    """The supply-off hours in households and hours, as sentences (Markdown)."""
    spec = impact.plan.spec
    base = impact.baseline
    out = [
        f"Without the scheme, **{base.households_off:,} of the {base.meters:,} households** "
        f"({_share(base.households_off, base.meters)}) are without supply for at least an "
        f"hour in the {spec.simulation_days} days: their credit and emergency credit ran "
        "out and the meter disabled the supply until the next top-up. That is "
        f"{base.hours_off:,} household-hours, "
        f"**{base.hours_off / max(base.households_off, 1):.0f} hours** (about "
        f"{base.hours_off / max(base.households_off, 1) / 24:.1f} days) for each of them "
        "on average."]
    for name in (Scenario.DELIVERED, Scenario.HELD):
        t = impact.totals[name]
        fewer = base.hours_off - t.hours_off
        out.append(
            f"With {name}: {households(t.households_off, verb=True)} off at some point, "
            f"**{households(t.spared)} that would have been off "
            f"{'is' if t.spared == 1 else 'are'} never off**, and the "
            f"hours off fall by **{fewer:,}** ({_share(fewer, base.hours_off)}), "
            f"{_hours_each(fewer, base.households_off)} for each household that is off "
            "without the scheme.")
    return "\n\n".join(out)


