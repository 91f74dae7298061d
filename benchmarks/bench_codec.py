"""GBCS codec throughput on the RTDS command vectors, and against Gurux (SR-1, SR-2).

    python -m benchmarks.bench_codec [--repeats N] [--seconds S]

Pins itself to one core where the OS allows, then prints medians over
``--repeats`` runs (per CPU second of this process): full decode and encode
rates (messages/s) for the four command vectors, and specpkg's versus the
Gurux translator's rate on ECS07's xDLMS content. Targets: >= 20,000 GCS04
command decodes/s, >= 10x Gurux.
Needs ../shared/reference (prints a message and exits 0 without it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

from specpkg.errors import ReferenceDataMissing
from specpkg.gbcs import dlms, messages
from specpkg.gbcs.vectors import load_vectors

COMMANDS = [
    "ECS07_SUCCESS_COMMAND",
    "ECS07_ERROR_COMMAND",
    "GCS04_SUCCESS_COMMAND",
    "GCS04_ERROR_COMMAND",
]
GCS04_TARGET = 20_000
GURUX_RATIO_TARGET = 10.0


clock = time.process_time
"""Benchmarks divide by the CPU time of this process, as ``openssl speed`` divides by
user CPU time: figures then hold on a machine that other work shares."""


def rate(
    func: Callable[[], object], repeats: int, seconds: float,
    pick: Callable[[list[float]], float] = statistics.median,
) -> float:
    """Calls per CPU second over ``repeats`` runs of about ``seconds`` each: their
    median, or what ``pick`` takes (``max``: the least disturbed run)."""
    start = clock()
    calls = 0
    while clock() - start < seconds / 4:
        func()
        calls += 1
    batch = max(1, int(calls * 4 * seconds / max(clock() - start, 1e-9) / 4))
    rates = []
    for _ in range(repeats):
        t0 = clock()
        for _ in range(batch):
            func()
        rates.append(batch / (clock() - t0))
    return pick(rates)


def pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.2, help="length of one run")
    args = parser.parse_args(argv)
    try:
        vectors = load_vectors()
    except ReferenceDataMissing as exc:
        print(f"bench_codec: skipped: {exc}")
        return 0
    print(f"bench_codec: {pin_one_core()}; median of {args.repeats} runs of ~{args.seconds}s")
    print(f"{'vector':<24}{'decode/s':>12}{'encode/s':>12}")
    decode_rates = {}
    for name in COMMANDS:
        data = vectors[name]
        message = messages.decode(data)
        assert messages.encode(message) == data
        decode_rates[name] = rate(lambda d=data: messages.decode(d), args.repeats, args.seconds)
        encode = rate(lambda m=message: messages.encode(m), args.repeats, args.seconds)
        print(f"{name:<24}{decode_rates[name]:>12,.0f}{encode:>12,.0f}")

    pdu = messages.content_bytes(messages.decode(vectors["ECS07_SUCCESS_COMMAND"]).apdu)
    ours = rate(lambda: dlms.decode(pdu), args.repeats, args.seconds)
    try:
        from gurux_dlms import GXDLMSTranslator
        from gurux_dlms.enums.TranslatorOutputType import TranslatorOutputType
    except ImportError:
        print("gurux-dlms not installed: no comparison")
        return 0
    translator = GXDLMSTranslator(TranslatorOutputType.SIMPLE_XML)
    theirs = rate(lambda: translator.pduToXml(pdu), args.repeats, args.seconds)
    ratio = ours / theirs
    print(
        f"ECS07 xDLMS content ({len(pdu)} bytes): specpkg {ours:,.0f}/s, "
        f"Gurux pduToXml {theirs:,.0f}/s, ratio {ratio:.1f}x"
    )
    gcs04 = decode_rates["GCS04_SUCCESS_COMMAND"]
    print(
        f"target GCS04 decode >= {GCS04_TARGET:,}/s: {'met' if gcs04 >= GCS04_TARGET else 'MISSED'}"
        f" ({gcs04:,.0f}/s)"
    )
    print(
        f"target >= {GURUX_RATIO_TARGET:.0f}x Gurux: "
        f"{'met' if ratio >= GURUX_RATIO_TARGET else 'MISSED'} ({ratio:.1f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
