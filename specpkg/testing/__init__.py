"""Testing Services and implementation: environment, plan, runs (TR-1..TR-10, IMP-1)."""
