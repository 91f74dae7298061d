"""``python -m benchmarks`` (``make bench``): run every ``benchmarks/bench_*.py`` in turn."""

from __future__ import annotations

import pkgutil
import runpy
import sys

import benchmarks


def main() -> int:
    status = 0
    for info in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda i: i.name):
        if not info.name.startswith("bench_"):
            continue
        name = f"{benchmarks.__name__}.{info.name}"
        print(f"== {name}", flush=True)
        saved = sys.argv
        sys.argv = [name]
        try:
            runpy.run_module(name, run_name="__main__")
        except SystemExit as exc:
            status = status or (exc.code if isinstance(exc.code, int) else 1)
        finally:
            sys.argv = saved
    return status


if __name__ == "__main__":
    sys.exit(main())
