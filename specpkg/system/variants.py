"""What a test can vary about the system: meter versions and Communications Hub variants.

* Meter versions (TR-9b, SR-4): a meter of the SMETS/GBCS version in force before
  the Release knows the existing debt use cases but not the reset use cases
  (installed meters need no update); a meter of the Release version has them.
* Communications Hub variants (TR-9a): every combination of HAN and WAN variant,
  from ``data/han/ch_variants.csv`` (public knowledge, rows marked uncertain for
  the DCC to confirm).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from specpkg.errors import ValidationError
from specpkg.paths import DATA_DIR

CH_VARIANTS_CSV = DATA_DIR / "han" / "ch_variants.csv"


class ReleaseStage(StrEnum):
    """Which SMETS version a test stub emulates (TR-9b)."""

    PRE_RELEASE = "pre-release"
    RELEASE = "release"


@dataclass(frozen=True)
class MeterVersion:
    """The meter behaviour a test stub emulates (TR-9b).

    ``pre-release``: the SMETS/GBCS version in force before the Release: the
    meter has the existing adjust-debt use cases (ECS07, GCS04) but not the new
    reset use cases (installed meters need not be updated). ``release``: the
    version effective on the Release date, with the reset use cases. The labels
    name the versions; the DCC sets the actual version numbers.
    """

    stage: ReleaseStage
    smets_label: str
    gbcs_label: str

    @property
    def supports_reset(self) -> bool:
        return self.stage is ReleaseStage.RELEASE


PRE_RELEASE = MeterVersion(
    ReleaseStage.PRE_RELEASE, "SMETS in force before the Release", "GBCS before the Release"
)
RELEASE = MeterVersion(
    ReleaseStage.RELEASE, "SMETS effective on the Release date", "GBCS of the Release"
)
METER_VERSIONS = (PRE_RELEASE, RELEASE)


@dataclass(frozen=True)
class ChVariant:
    """One HAN or WAN variant of the Communications Hub (TR-9a)."""

    kind: str
    code: str
    description: str
    region: str
    technology: str
    source: str
    uncertain: bool
    note: str


def load_ch_variants(path: Path | None = None) -> tuple[ChVariant, ...]:
    """The HAN and WAN variants of the Communications Hub, with their sources (TR-9a)."""
    with (path or CH_VARIANTS_CSV).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for r in rows:
        if r["kind"] not in ("HAN", "WAN"):
            raise ValidationError("kind", f"HAN or WAN, not {r['kind']!r}")
        out.append(ChVariant(r["kind"], r["code"], r["description"], r["region"],
                             r["technology"], r["source"], r["uncertain"] == "yes", r["note"]))
    return tuple(out)


@dataclass(frozen=True)
class TestCommsHub:
    """A Test Communications Hub of one HAN x WAN variant combination (TR-9a)."""

    __test__ = False

    han: ChVariant
    wan: ChVariant

    @property
    def code(self) -> str:
        return f"{self.han.code}/{self.wan.code}"

    @property
    def uncertain(self) -> bool:
        return self.han.uncertain or self.wan.uncertain


def ch_combinations(variants: Iterable[ChVariant] | None = None) -> tuple[TestCommsHub, ...]:
    """A Test CH for every combination of HAN and WAN variant (TR-9a)."""
    variants = tuple(load_ch_variants() if variants is None else variants)
    hans = [v for v in variants if v.kind == "HAN"]
    wans = [v for v in variants if v.kind == "WAN"]
    return tuple(TestCommsHub(h, w) for h, w in itertools.product(hans, wans))
