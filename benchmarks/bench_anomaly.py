"""Threshold replay of 10 million Service Requests (SR-12): time, peak memory, and the
speed-up over the per-request reference engine.

    python -m benchmarks.bench_anomaly [--n 10000000] [--loop-n 200000]

Targets: under 30 s and under 4 GiB. Two per-request Python loops are timed on
the first ``--loop-n`` requests only and extrapolated linearly to ``--n``: the
reference engine (ThresholdEngine.submit: checks, quarantine, notifications) and
a bare loop (volume and data value checks only, over pre-validated columns).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from collections import deque

from specpkg.anomaly.engine import ThresholdEngine
from specpkg.anomaly.replay import replay
from specpkg.anomaly.thresholds import Threshold, ThresholdTable
from specpkg.anomaly.traffic import EXAMPLE_USERS, generate_batch, to_records
from specpkg.system.assumptions import Assumptions

GIB = 1 << 30


def bare_loop(batch, table: ThresholdTable, stop: int) -> int:
    """Thresholds only, one request at a time, deques per volume threshold; returns the
    number over a threshold (the rows are taken as valid; refusals are not checked)."""
    rules = {}
    for user, service in table.pairs():
        rules[(batch.users.index(user), batch.services.index(service))] = [
            (t.kind.value == "volume", t.window_seconds, t.limit, deque())
            for t in table.for_request(user, service)]
    over = 0
    columns = zip(batch.user[:stop].tolist(), batch.service[:stop].tolist(),
                  batch.timestamp[:stop].tolist(), batch.data_value[:stop].tolist(), strict=True)
    for user, service, t, value in columns:
        hit = False
        for is_volume, window, limit, times in rules.get((user, service), ()):
            if is_volume:
                times.append(t)
                while times[0] <= t - window:
                    times.popleft()
                hit |= len(times) > limit
            else:
                hit |= value > limit
        over += hit
    return over


def thresholds() -> ThresholdTable:
    a, b, c, d = EXAMPLE_USERS
    return ThresholdTable([
        Threshold(a, "2.4", "volume", 3600, 20_000), Threshold(a, "2.4", "volume", 60, 400),
        Threshold(a, "2.4", "data_value", 0, 0), Threshold(a, "2.3", "data_value", 0, 40_000),
        Threshold(b, "2.4", "volume", 3600, 15_000), Threshold(b, "2.3", "volume", 86_400, 10**6),
        Threshold(c, "2.4", "data_value", 0, 0), Threshold(c, "2.4", "volume", 600, 3_000),
        Threshold(d, "2.3", "volume", 3600, 12_000),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--loop-n", type=int, default=200_000)
    args = parser.parse_args(argv)
    table = thresholds()

    t0 = time.perf_counter()
    batch = generate_batch(args.n, seconds=7 * 86_400, seed=1, bad_fraction=0.0005,
                           burst_fraction=0.02)
    t_gen = time.perf_counter() - t0

    tracemalloc.start()
    t0 = time.perf_counter()
    result = replay(batch, table, count_quarantined=Assumptions().count_quarantined,
                    users=EXAMPLE_USERS)
    t_replay = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    counts = result.counts()

    loop_n = min(args.loop_n, args.n)
    records = to_records(batch, 0, loop_n)
    engine = ThresholdEngine(table, count_quarantined=Assumptions().count_quarantined,
                             users=EXAMPLE_USERS)
    t0 = time.perf_counter()
    engine.submit_many(records)
    t_loop = time.perf_counter() - t0
    t_loop_all = t_loop * args.n / loop_n
    t0 = time.perf_counter()
    bare_loop(batch, table, loop_n)
    t_bare = time.perf_counter() - t0
    t_bare_all = t_bare * args.n / loop_n
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB

    print(f"requests                : {args.n:,} over 7 days, 4 Users, 2 Service Requests")
    print(f"generate (not timed)    : {t_gen:.1f} s")
    print(f"vectorised replay       : {t_replay:.2f} s  (target < 30 s)")
    print(f"peak traced memory      : {peak / GIB:.2f} GiB during replay (tracemalloc)")
    print(f"process max RSS         : {maxrss / GIB:.2f} GiB (all of the run, target < 4 GiB)")
    print("dispositions            : " + ", ".join(f"{o.value} {c:,}" for o, c in counts.items()))
    print(f"per-request loop        : {t_loop:.2f} s for the first {loop_n:,} requests "
          f"-> {t_loop_all:.0f} s extrapolated to {args.n:,}")
    print(f"speed-up of replay      : {t_loop_all / t_replay:.0f}x")
    print(f"bare loop (thresholds)  : {t_bare:.2f} s for the first {loop_n:,} "
          f"-> {t_bare_all:.0f} s extrapolated; replay is {t_bare_all / t_replay:.0f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
