"""Benchmarks: ``python -m benchmarks`` runs every ``bench_*`` module; each prints figures."""
