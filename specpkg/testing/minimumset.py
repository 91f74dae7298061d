"""The minimum test set: the fewest matrix cases that show all the full matrix shows (TR-1).

A case shows one key per :data:`FACETS` entry: the values of the facet's columns
(e.g. device x Debt Register x expected outcome and code; a Test CH variant only on
a case whose command reaches the meter). :func:`minimum_test_set` picks cases until
every key of the full matrix is shown, then orders them by :data:`PRIORITIES`:
positive resets first, then the refusals with a Service Response, then the meter
variants, then the admission refusals; the Test CH variants, meter versions and
payment modes ride on those cases. Run from the top, what time cuts off is what
matters least.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from specpkg.duis.codes import Stage, info


class CasePath(StrEnum):
    """How far a matrix case goes (TR-4, TR-5): read from its expected response code."""

    METER = "reaches the meter"
    DCC = "refused by the DCC"
    ADMISSION = "refused at admission"


def case_path(code: str) -> CasePath:
    """No code: refused at admission (TR-4); a code given by the device: reaches the meter."""
    if not code:
        return CasePath.ADMISSION
    return CasePath.METER if info(code).stage is Stage.DEVICE else CasePath.DCC


@dataclass(frozen=True)
class Facet:
    """A behaviour the tests must show once per key: the values of ``columns``, over
    the cases that take ``path`` (any path if ``None``)."""

    name: str
    columns: tuple[str, ...]
    requirements: str
    path: CasePath | None = None


FACETS = (
    Facet("device x Debt Register x expected outcome and code",
          ("device", "register", "expected_outcome", "expected_code"), "BR-1 TR-1 TR-5"),
    Facet("device x payment mode x positive or negative",
          ("device", "payment_mode", "positive"), "BR-2 TR-1"),
    Facet("meter version", ("meter_version",), "SR-4 TR-9b"),
    Facet("device x Test CH variant, on a case that reaches the meter",
          ("device", "comms_hub"), "TR-9a", CasePath.METER),
    Facet("User Role", ("role",), "TR-4"),
)

#: Priority of a case in the minimum set (1 first): what it shows if it is the last run.
PRIORITIES = {
    "positive": (1, "positive reset (BR-1, BR-2, TR-7)"),
    CasePath.DCC: (2, "refused by the DCC with a Service Response (SR-3, TR-5)"),
    CasePath.METER: (3, "meter variant: the meter answers, no reset (SR-4, TR-9b)"),
    CasePath.ADMISSION: (4, "refused at admission, nothing sent (TR-4)"),
}


def _priority(positive: bool, code: str) -> tuple[int, str]:
    return PRIORITIES["positive" if positive else case_path(code)]


def _keys(matrix: pd.DataFrame) -> list[frozenset[tuple[str, tuple]]]:
    paths = list(matrix["expected_code"].map(case_path))
    keys: list[set[tuple[str, tuple]]] = [set() for _ in paths]
    for facet in FACETS:
        values = zip(*(matrix[c] for c in facet.columns), strict=True)
        for i, value in enumerate(values):
            if facet.path is None or paths[i] is facet.path:
                keys[i].add((facet.name, tuple(value)))
    return [frozenset(k) for k in keys]


def coverage(cases: pd.DataFrame) -> frozenset[tuple[str, tuple]]:
    """Every (facet, key) the cases show (TR-1)."""
    return frozenset().union(*_keys(cases))


def lower_bound(matrix: pd.DataFrame) -> int:
    """No set covering the matrix has fewer cases than its largest facet has keys."""
    found = coverage(matrix)
    return max(sum(k[0] == f.name for k in found) for f in FACETS)


def smallest_cover(keys: Sequence[frozenset], ranks: Sequence[int]) -> list[int]:
    """Indices of a small set of ``keys`` covering their union: take, again and again,
    the one with the most keys not yet covered (ties: lower rank, then earlier); then
    drop, least important first, any whose keys the others cover."""
    left, chosen = set().union(*keys), []
    while left:
        best = max(range(len(keys)), key=lambda i: (len(keys[i] & left), -ranks[i], -i))
        chosen.append(best)
        left -= keys[best]
    for i in sorted(chosen, key=lambda i: (-ranks[i], -i)):
        if keys[i] <= set().union(*(keys[j] for j in chosen if j != i)):
            chosen.remove(i)
    return sorted(chosen)


def minimum_test_set(matrix: pd.DataFrame) -> pd.DataFrame:
    """The fewest cases covering what ``matrix`` covers (TR-1), most important first.

    Rule (:func:`smallest_cover`): take, again and again, the case that shows the
    most keys not yet shown (ties: the higher :data:`PRIORITIES`, then the earlier
    case); then drop any case whose keys the others show. Order: :data:`PRIORITIES`,
    then case id. The set is provably minimal when its size is :func:`lower_bound`.
    """
    labels = [_priority(p, c) for p, c in zip(matrix["positive"], matrix["expected_code"],
                                              strict=True)]
    chosen = smallest_cover(_keys(matrix), [rank for rank, _ in labels])
    picked = matrix.iloc[chosen].copy()
    picked.insert(0, "priority", [labels[i][0] for i in chosen])
    picked.insert(1, "why", [labels[i][1] for i in chosen])
    return picked.sort_values(["priority", "case_id"]).reset_index(drop=True)


def coverage_by_facet(full: pd.DataFrame, subset: pd.DataFrame) -> pd.DataFrame:
    """Per facet, the keys the full matrix shows and those ``subset`` shows (TR-1)."""
    shown = [coverage(full), coverage(subset)]
    return pd.DataFrame(
        [{"facet": f.name, "requirements": f.requirements,
          "full matrix": sum(k[0] == f.name for k in shown[0]),
          "this set": sum(k[0] == f.name for k in shown[1])} for f in FACETS])
