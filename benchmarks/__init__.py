"""Benchmarks: ``python -m benchmarks.bench_<topic>`` prints figures."""
