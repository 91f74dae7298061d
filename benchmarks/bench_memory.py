"""Bounded state: the model's memory over a long mixed run end to end (issue 18).

    python -m benchmarks.bench_memory [--requests N] [--keep K] [--checkpoints C]

N Service Requests (default 1,000,000) go end to end through one testbed (the
User, the one DCC with its anomaly detection, the Communications Hub, both meter
stubs), 10 s apart on the DCC's clock, with a volume threshold of 300 an hour that
the 360 an hour exceed: a mix of resets answered, quarantines released (the meter
refuses some as replays, F-76) and rejected, and every tenth request a replay of an
earlier one, refused. The history is kept under ``Retention(keep=K)`` (default
1,000), its overflow written as JSON lines to a temporary record file.

Printed at each checkpoint: requests so far, the resident memory of the process
(MiB, from /proc/self/status), the entries in memory across every history, the
entries written out and the record file's size; then the growth between the first
and the last checkpoint per 1,000 requests, beside that of the same run with
everything kept (the first 5,000 requests, ``Retention()``). Every request is
checked to end in exactly one outcome. Figures only: no timed test asserts them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from specpkg.anomaly.thresholds import Threshold, ThresholdTable
from specpkg.journal import Retention, jsonl_sink
from specpkg.system.flow import SUPPLIER_ID, Testbed, make_testbed

REGISTERS = ("TimeDebtRegister1", "TimeDebtRegister2", "PaymentDebtRegister")
STEP = timedelta(seconds=10)
LIMIT_PER_HOUR = 300


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def in_memory(bed: Testbed) -> int:
    dcc, engine = bed.dcc, bed.dcc.engine
    parts = [engine.decisions, engine.delivered, engine.notifications, engine._status,
             dcc.screenings, dcc._issued, dcc._held, bed.hub.routes, bed.hub.gpf.tapped,
             *[stub.log for stub in bed.stubs.values()]]
    return sum(len(p) for p in parts)


def run(bed: Testbed, requests: int, checkpoints: int, report) -> Counter:
    outcomes: Counter = Counter()
    start = bed.dcc.clock
    captured = []
    every = max(1, requests // checkpoints)
    for i in range(requests):
        bed.dcc.clock = start + i * STEP
        if i % 10 == 9 and captured:
            result = bed.run_xml(captured[-1])  # a replay of an earlier request
        else:
            device = "ESME" if i % 2 else "GSME"
            result = bed.run(device, REGISTERS[i % 3])
            if result.request_xml:
                captured = [result.request_xml]
            if result.outcome.name == "QUARANTINED":
                result = bed.release(result) if i % 4 < 2 else bed.reject(result)
        outcomes[result.outcome.name] += 1
        if (i + 1) % every == 0 or i + 1 == requests:
            report(i + 1)
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--keep", type=int, default=1_000)
    parser.add_argument("--checkpoints", type=int, default=10)
    args = parser.parse_args(argv)
    table = ThresholdTable([Threshold(SUPPLIER_ID, "2.4", "volume", 3600, LIMIT_PER_HOUR)])

    unbounded = make_testbed(thresholds=table)
    samples: list[tuple[int, float]] = []
    run(unbounded, 5_000, 5, lambda n: samples.append((n, rss_mib())))
    kept = (samples[-1][1] - samples[0][1]) * 1000 / (samples[-1][0] - samples[0][0])
    del unbounded

    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "record.jsonl"
        sink = jsonl_sink(record)
        written = Counter()

        def counting(kind, entry):
            written[kind] += 1
            sink(kind, entry)

        bed = make_testbed(thresholds=table, retention=Retention(args.keep, counting))
        points: list[tuple[int, float]] = []
        t0 = time.perf_counter()
        print(f"{'requests':>10} {'RSS MiB':>8} {'in memory':>10} {'written':>10} "
              f"{'record MiB':>10} {'s':>7}")

        def report(n: int) -> None:
            points.append((n, rss_mib()))
            print(f"{n:>10,} {points[-1][1]:>8.1f} {in_memory(bed):>10,} "
                  f"{sum(written.values()):>10,} {record.stat().st_size / 2**20:>10.1f} "
                  f"{time.perf_counter() - t0:>7.0f}", flush=True)

        outcomes = run(bed, args.requests, args.checkpoints, report)
    assert sum(outcomes.values()) == args.requests  # one outcome each
    counts = bed.dcc.engine.counts()
    assert sum(counts.values()) == len(bed.dcc.engine)
    first, last = points[0], points[-1]
    growth = (last[1] - first[1]) * 1000 / max(1, last[0] - first[0])
    print(f"outcomes: {dict(outcomes)}")
    print(f"memory growth per 1,000 requests: {growth:.3f} MiB with keep={args.keep:,} "
          f"(from {first[0]:,} to {last[0]:,} requests); {kept:.3f} MiB keeping everything "
          f"(the first 5,000)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
