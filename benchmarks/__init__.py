"""Benchmarks: print figures, assert nothing about time."""
