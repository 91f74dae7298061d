"""Parse and verify GBCS messages at the speed of the curve (SR-1, SR-2; issue #14).

    python -m benchmarks.bench_verify [--repeats N] [--seconds S] [--batch N]

Pins itself to one core, then prints the best of ``--repeats`` runs (per CPU
second, as ``openssl speed`` counts; the best run is the one other work on the
machine disturbed least, and openssl's limit is taken the same way): the
parse-only and parse+verify (signature and MAC) rates of every command vector
of the reference set (reference keys), and of a batch of ``--batch`` distinct
mixed messages (commands, signed and unsigned responses, alerts, pre-commands;
built with the project's test PKI), the batch's commands on their own too.
Its last lines are the limit, ``openssl speed -seconds 3 ecdsap256`` verify
rate on the same core (run before and after; the higher counts), and the
ratios. Targets: parse+verify of a command >= 10,000/s and >= 60 % of that limit.
Needs ../shared/reference (prints a message and exits 0 without it).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from benchmarks.bench_codec import clock, pin_one_core, rate
from specpkg.duis.reset_request import DEFAULT_DEVICE_IDS, DEFAULT_USER_ID
from specpkg.errors import ReferenceDataMissing
from specpkg.gbcs import messages, samples
from specpkg.gbcs.security import Keys
from specpkg.gbcs.vectors import load_vectors
from specpkg.paths import PKI_DIR, require_reference

COMMAND_TARGET = 10_000
RATIO_TARGET = 0.60


def openssl_verify_rate(seconds: int = 3) -> float | None:
    """ECDSA P-256 verifications/s by ``openssl speed`` on this process's core(s)."""
    if shutil.which("openssl") is None:
        return None
    done = subprocess.run(["openssl", "speed", "-seconds", str(seconds), "ecdsap256"],
                          capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if "nistp256" in line:
            return float(re.split(r"\s+", line.strip())[-1])
    return None


def parse_and_verify(data: bytes, keys: Keys) -> messages.Verification:
    return messages.verify(messages.decode(data), keys, data=data)


def batch_rate(batch: list[bytes], keys: Keys | None, repeats: int) -> float:
    """Best messages/s over ``repeats`` passes through the whole batch."""
    rates = []
    for _ in range(repeats):
        start = clock()
        if keys is None:
            for data in batch:
                messages.decode(data)
        else:
            for data in batch:
                parse_and_verify(data, keys)
        rates.append(len(batch) / (clock() - start))
    return max(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.3, help="length of one run")
    parser.add_argument("--batch", type=int, default=10_000, help="mixed messages in the batch")
    args = parser.parse_args(argv)
    try:
        reference = require_reference()
        vectors = load_vectors(reference)
    except ReferenceDataMissing as exc:
        print(f"bench_verify: skipped: {exc}")
        return 0
    print(f"bench_verify: {pin_one_core()}; best of {args.repeats} runs", flush=True)
    before = openssl_verify_rate()
    reference_keys, pki = Keys(reference / "keys"), Keys(Path(PKI_DIR))
    print(f"{'message':<30}{'parse/s':>10}{'parse+verify/s':>16}   signature, MAC")
    command_rates = {}
    for name in sorted(n for n in vectors if n.endswith("_COMMAND") and "PRE" not in n):
        data = vectors[name]
        verdict = parse_and_verify(data, reference_keys)
        parse = rate(lambda d=data: messages.decode(d), args.repeats, args.seconds, max)
        command_rates[name] = rate(lambda d=data: parse_and_verify(d, reference_keys),
                                   args.repeats, args.seconds, max)
        print(f"{name:<30}{parse:>10,.0f}{command_rates[name]:>16,.0f}   "
              f"{verdict.signature}, {verdict.mac}")

    built = samples.mixed_messages(pki, DEFAULT_USER_ID, DEFAULT_DEVICE_IDS, args.batch)
    batch = [data for _, data in built]
    commands = [data for kind, data in built if kind == "command"]
    verdicts = Counter((v.signature.value, v.mac.value)
                       for v in (parse_and_verify(d, pki) for d in batch))
    repeats = max(1, args.repeats // 2)
    for label, part in ((f"mixed batch ({len(batch):,})", batch),
                        (f"  its commands ({len(commands):,})", commands)):
        parse, verify = batch_rate(part, None, repeats), batch_rate(part, pki, repeats)
        if label.startswith("  "):
            command_rates["batch commands"] = verify
        else:
            batch_verify = verify
        print(f"{label:<30}{parse:>10,.0f}{verify:>16,.0f}")
    print("batch verdicts (signature, MAC): "
          + ", ".join(f"{s}/{m} {n:,}" for (s, m), n in sorted(verdicts.items())))

    after = openssl_verify_rate()
    found = [r for r in (before, after) if r is not None]
    slowest = min(command_rates, key=command_rates.__getitem__)
    lowest = command_rates[slowest]
    print(f"target parse+verify of a command >= {COMMAND_TARGET:,}/s: "
          f"{'met' if lowest >= COMMAND_TARGET else 'MISSED'} (slowest {slowest} {lowest:,.0f}/s)")
    if not found:
        print("openssl not found: no limit to compare with")
        return 0
    limit = max(found)
    print(f"openssl speed ecdsap256 verify on this core: {limit:,.0f}/s "
          f"(before {before or 0:,.0f}, after {after or 0:,.0f})")
    ratios = {name: value / limit for name, value in command_rates.items()}
    worst = min(ratios.values())
    print("ratio parse+verify / openssl verify: "
          + ", ".join(f"{name.removesuffix('_COMMAND')} {r:.0%}" for name, r in ratios.items())
          + f"; mixed batch {batch_verify / limit:.0%}")
    print(f"target >= {RATIO_TARGET:.0%} of openssl verify for every command: "
          f"{'met' if worst >= RATIO_TARGET else 'MISSED'} (lowest {worst:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
