"""What a test can vary about the system: meter versions and Communications Hub variants.

* Meter versions (TR-9b, SR-4): a meter of the SMETS/GBCS version in force before
  the Release knows the existing debt use cases but not the reset use cases
  (there is no requirement to update installed meters); a meter of the Release
  version has them.
* Communications Hub variants (TR-9a): every combination of HAN and WAN variant,
  from ``data/han/ch_variants.csv`` (public knowledge, rows marked uncertain for
  the DCC to confirm), each with what matters to a reset command: the one-way
  transit time of its network, the WAN's round-trip target, and on the HAN how
  often the sleepy GSME wakes to collect what the Communications Hub Function holds
  for it (GBCS: GSME Command retrieval).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
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
    """One HAN or WAN variant of the Communications Hub (TR-9a), with its timing.

    ``one_way_ms``: how long a message takes over this network one way (WAN:
    DCC to CH; HAN: CH to device). A WAN has a ``round_trip_target_s``; a HAN
    says every how many seconds a GSME wakes (``gsme_wake_interval_s``), the
    longest the Communications Hub Function holds a command for it (SR-7).
    """

    kind: str
    code: str
    description: str
    region: str
    technology: str
    source: str
    uncertain: bool
    note: str
    one_way_ms: int = 0
    round_trip_target_s: int | None = None
    gsme_wake_interval_s: int | None = None
    timing_source: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("HAN", "WAN"):
            raise ValidationError("kind", f"HAN or WAN, not {self.kind!r}")
        _check_count(f"{self.code} one_way_ms", self.one_way_ms, 0)
        wanted, other = (("gsme_wake_interval_s", "round_trip_target_s") if self.kind == "HAN"
                         else ("round_trip_target_s", "gsme_wake_interval_s"))
        _check_count(f"{self.code} {wanted}", getattr(self, wanted), 1)
        if getattr(self, other) is not None:
            raise ValidationError(f"{self.code} {other}", f"a {self.kind} variant has none")

    @property
    def one_way(self) -> timedelta:
        return timedelta(milliseconds=self.one_way_ms)


def _check_count(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValidationError(name, f"a whole number of at least {low}, got {value!r}")


def _optional_int(name: str, text: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text)
    except ValueError:
        raise ValidationError(name, f"not a whole number: {text!r}") from None


def load_ch_variants(path: Path | None = None) -> tuple[ChVariant, ...]:
    """The HAN and WAN variants of the Communications Hub, with their sources and
    timing (TR-9a)."""
    with (path or CH_VARIANTS_CSV).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(
        ChVariant(r["kind"], r["code"], r["description"], r["region"], r["technology"],
                  r["source"], r["uncertain"] == "yes", r["note"],
                  _optional_int("one_way_ms", r["one_way_ms"]),
                  _optional_int("round_trip_target_s", r["round_trip_target_s"]),
                  _optional_int("gsme_wake_interval_s", r["gsme_wake_interval_s"]),
                  r["timing_source"])
        for r in rows)


@dataclass(frozen=True)
class TestCommsHub:
    """A Test Communications Hub of one HAN x WAN variant combination (TR-9a)."""

    __test__ = False

    han: ChVariant
    wan: ChVariant

    @property
    def code(self) -> str:
        return f"{self.han.code}/{self.wan.code}"

    def __post_init__(self) -> None:
        if (self.han.kind, self.wan.kind) != ("HAN", "WAN"):
            raise ValidationError("comms_hub", f"a HAN and a WAN variant, not "
                                               f"{self.han.kind} and {self.wan.kind}")

    @property
    def uncertain(self) -> bool:
        return self.han.uncertain or self.wan.uncertain

    @property
    def gsme_wake_interval(self) -> timedelta:
        """How often a GSME on this HAN wakes to collect what the CHF holds (SR-7)."""
        return timedelta(seconds=self.han.gsme_wake_interval_s or 0)

    @property
    def round_trip_target(self) -> timedelta:
        """The WAN's round-trip target for a command to the CH and back."""
        return timedelta(seconds=self.wan.round_trip_target_s or 0)


def ch_combinations(variants: Iterable[ChVariant] | None = None) -> tuple[TestCommsHub, ...]:
    """A Test CH for every combination of HAN and WAN variant (TR-9a)."""
    variants = tuple(load_ch_variants() if variants is None else variants)
    hans = [v for v in variants if v.kind == "HAN"]
    wans = [v for v in variants if v.kind == "WAN"]
    return tuple(TestCommsHub(h, w) for h, w in itertools.product(hans, wans))
