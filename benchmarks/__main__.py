"""Run every ``benchmarks/bench_*.py`` in turn (``make bench``)."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import benchmarks


def main() -> int:
    for info in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda i: i.name):
        if info.name.startswith("bench_"):
            print(f"== {info.name}", flush=True)
            importlib.import_module(f"benchmarks.{info.name}").main([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
