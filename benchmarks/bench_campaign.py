"""A debt relief campaign across the whole GB prepayment fleet (SR-12 impact).

The national fleet (data/campaign/inputs.csv I-1, unless ``--meters`` says otherwise)
is drawn, targeted and simulated chunk by chunk, every reset through the threshold
replay, the fleet run hour by hour under the three scenarios of notebook 08.

    python -m benchmarks.bench_campaign [--meters N] [--days 10] [--chunk 131072]
    python -m benchmarks.bench_campaign --national  # writes data/results/campaign_national.json

Targets: under 5 minutes wall time and under 8 GiB peak RSS on the 2-core machine.
The computation is notebook 08's (``specpkg.anomaly.campaign.report``), at national
parameters; progress bars on stderr show each pass over the fleet.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

from specpkg.anomaly import campaign
from specpkg.meter.households import row
from specpkg.meter.registers import parse_register
from specpkg.system.assumptions import Assumptions

GIB = 1 << 30


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=None,
                        help="prepayment meters in the fleet (default: the national fleet, "
                             "data/campaign/inputs.csv I-1)")
    parser.add_argument("--register", default="TimeDebtRegister1",
                        help="the Debt Register reset: TimeDebtRegister1, TimeDebtRegister2 "
                             "or PaymentDebtRegister")
    parser.add_argument("--days", type=int, default=10, help="days of sending")
    parser.add_argument("--simulation-days", type=int, default=21,
                        help="days simulated hour by hour")
    parser.add_argument("--hourly-limit", type=int, default=27_000,
                        help="the hourly volume threshold the campaign is sent against")
    parser.add_argument("--limits", default="26000,27000,28000,30000",
                        help="hourly limits to replay the campaign at")
    parser.add_argument("--chunk", type=int, default=campaign.CHUNK,
                        help="meters simulated at once (memory, not results)")
    parser.add_argument("--assume", default="", help="model assumptions, name=value,...")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--national", action="store_true",
                        help="notebook 08's campaign by every Supplier on its market share of "
                             "the national fleet (data/campaign/inputs.csv I-1), written to "
                             "data/results/campaign_national.json")
    args = parser.parse_args(argv)
    if args.national:
        return national(args.quiet)
    model = Assumptions.parse(args.assume)
    meters = int(row("national_meters").value) if args.meters is None else args.meters
    spec = campaign.Campaign(meters, parse_register(args.register), days=args.days,
                             simulation_days=args.simulation_days,
                             hourly_limit=args.hourly_limit)
    limits = [int(x) for x in args.limits.split(",") if x.strip()]

    t0 = time.perf_counter()
    report = campaign.report(spec, limits, count_quarantined=model.count_quarantined,
                             chunk=args.chunk, progress=not args.quiet)
    wall = time.perf_counter() - t0
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    plan, totals = report.plan, report.impact.totals
    none, every, held = (totals[s] for s in campaign.Scenario)
    chosen = plan.outcome
    meter_hours = args.meters * spec.hours * len(campaign.Scenario)
    print(f"fleet               : {args.meters:,} prepayment meters x {spec.hours} hours x "
          f"{len(campaign.Scenario)} scenarios, chunks of {args.chunk:,}")
    print(f"wall time           : {wall:.1f} s (target < 300 s), "
          f"{meter_hours / wall / 1e6:.0f} M meter-hours/s")
    print(f"process max RSS     : {maxrss / GIB:.2f} GiB (target < 8 GiB)")
    print(f"targets             : {len(plan.targets):,} meters carrying debt on "
          f"{spec.register.label}, owing £{plan.debt // 100:,}")
    print(f"written off         : £{every.written_off // 100:,} if every reset is delivered; "
          f"£{held.written_off // 100:,} at {spec.hourly_limit:,} an hour")
    print(f"{'chosen hourly limit':20s}: {spec.hourly_limit:,}: {chosen.delivered:,} delivered, "
          f"{chosen.quarantined:,} quarantined, {chosen.notifications:,} notifications "
          f"each for the DCC and the Supplier")
    for o in report.limits:
        print(f"{'  hourly limit ' + format(o.hourly_limit, ','):20s}: "
              f"{o.quarantined:,} quarantined")
    hourly, daily = report.recommended
    print(f"recommended (paced) : {hourly:,} an hour, {daily:,} a day for {spec.days} days "
          f"(paced run: {report.paced.outcome.quarantined:,} quarantined, "
          f"{report.paced.sending_days} days)")
    print(f"supply off          : {none.households_off:,} households, {none.hours_off:,} h "
          f"without the scheme; {every.spared:,} households spared and "
          f"{none.hours_off - every.hours_off:,} h fewer with every reset delivered")
    return 0


def national(quiet: bool) -> int:
    """The committed national result: notebook 08's defaults, the national fleet."""
    import json

    from specpkg.anomaly import sweeps
    from specpkg.meter.households import row
    from specpkg.workbook.campaign_national import NATIONAL_TRIALS, national_spec

    spec = national_spec(int(row("national_meters").value))
    t0 = time.perf_counter()
    found = sweeps.national(spec, trials=NATIONAL_TRIALS[0], side_trials=NATIONAL_TRIALS[1],
                            progress=not quiet)
    found["seconds"] = round(time.perf_counter() - t0)
    sweeps.RESULT_JSON.parent.mkdir(parents=True, exist_ok=True)
    sweeps.RESULT_JSON.write_text(json.dumps(found, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {sweeps.RESULT_JSON} in {found['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
