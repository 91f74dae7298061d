"""A campaign swept over what it depends on (notebook 08, the executive summary; SR-12
impact, SR-4): the share of meters on firmware of the Release (MA-19), the household
inputs of ``data/campaign/inputs.csv`` (a sensitivity of the headline figures), and the
national fleet split per Supplier by market share.

Every figure is computed by :mod:`specpkg.anomaly.campaign`, the notebook's code.
"""

from __future__ import annotations

from dataclasses import replace

from specpkg.anomaly.campaign import CHUNK, MAX_LIMITS, Impact, Plan, impact
from specpkg.errors import ValidationError
from specpkg.meter.households import check_share


def by_release_share(plan_: Plan, shares: list[float], *,
                     chunk: int = CHUNK) -> dict[float, Impact]:
    """The same plan (the same resets sent, the same decisions: every reset counts against
    the thresholds, SR-4) with each share of meters on firmware of the Release (MA-19)."""
    if len(shares) > MAX_LIMITS:
        raise ValidationError("shares", f"at most {MAX_LIMITS} shares, got {len(shares)}")
    found = {}
    for share in sorted({check_share("release_share", x) for x in shares}):
        moved = replace(plan_, spec=replace(plan_.spec, release_share=share))
        found[share] = impact(moved, chunk=chunk)
    return found
