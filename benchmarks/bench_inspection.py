"""Packet inspection throughput on GSME reset commands (SR-10).

    python -m benchmarks.bench_inspection [--messages N] [--repeats R]

Builds N distinct signed GSME reset pre-commands (test-only PKI), then times
:func:`specpkg.inspection.inspect` over all of them, ``--repeats`` times, on
one core where the OS allows; prints the median rate. Target: >= 20,000/s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from specpkg.anomaly.inspection import Verdict, inspect
from specpkg.gbcs import messages, reset_messages
from specpkg.gbcs.security import Keys
from specpkg.meter.registers import DebtRegister
from specpkg.paths import PKI_DIR

TARGET = 20_000
SUPPLIER, GSME = "90B3D51F30010000", "00DB1234567890A1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    key = Keys(PKI_DIR).private_key(SUPPLIER, "ds")
    registers = list(DebtRegister)
    batch = []
    for i in range(args.messages):
        register = registers[i % 3]
        apdu = reset_messages.pre_command("GSME", register, SUPPLIER, GSME, 10_000 + i)
        batch.append((messages.encode_apdu(messages.sign_apdu(apdu, key)), register))
    rates = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        verdicts = [inspect(signed, register).verdict for signed, register in batch]
        rates.append(len(batch) / (time.perf_counter() - start))
        assert all(v is Verdict.PASSED for v in verdicts)
    median = statistics.median(rates)
    print(f"GSME reset commands inspected : {args.messages:,} x {args.repeats} runs, one core")
    print(f"median rate                   : {median:,.0f} commands/s "
          f"(target {TARGET:,}/s: {'met' if median >= TARGET else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
