"""The threshold engine behind the test environment's screening interface (TR-10).

The test environment screens each Signed Pre-Command with an object that has
``set_thresholds(user_id, thresholds)`` and
``screen(user_id, signed_pre_command, at) -> result`` (``result.quarantined``,
``result.reason``). :class:`ThresholdDetector` is such an object, built on
:class:`specpkg.anomaly.ThresholdEngine`, so that the environment applies the
same threshold rules as the rest of the workbook (SR-12).

Reading a Signed Pre-Command needs the GBCS codec, which is not part of this
module: pass a ``decode`` function that returns a :class:`Decoded`. Packet
inspection (SR-10, SR-11) is not done here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from specpkg.anomaly.engine import Decision, Outcome, ThresholdEngine
from specpkg.anomaly.records import Request
from specpkg.anomaly.thresholds import (
    Threshold,
    ThresholdKind,
    ThresholdTable,
    parse_kind,
    parse_user_id,
)
from specpkg.errors import ValidationError


@dataclass(frozen=True)
class Decoded:
    """What threshold detection needs from a Signed Pre-Command."""

    service_reference: str
    device_id: str
    register: str | None
    data_value: int


@dataclass(frozen=True)
class Screening:
    """The answer for one Signed Pre-Command (``quarantined``, ``reason``)."""

    quarantined: bool
    reason: str
    decision: Decision


def threshold_from(user_id: str, spec: Any) -> Threshold:
    """A :class:`Threshold` from an object with ``kind``, ``limit``,
    ``service_reference`` and ``period_hours`` (the test environment's own
    threshold record) or from a :class:`Threshold` itself."""
    if isinstance(spec, Threshold):
        if spec.user_id != user_id:
            raise ValidationError("user_id", f"threshold is for {spec.user_id}, not {user_id}")
        return spec
    kind = parse_kind(getattr(spec, "kind", None))
    hours = getattr(spec, "period_hours", None)
    if kind is ThresholdKind.VOLUME:
        if isinstance(hours, bool) or not isinstance(hours, int):
            raise ValidationError("period_hours", f"must be whole hours, got {hours!r}")
        window = hours * 3600
    else:
        window = 0
    return Threshold(user_id, getattr(spec, "service_reference", None), kind, window,
                     getattr(spec, "limit", None))


class ThresholdDetector:
    """Threshold anomaly detection for the test environment (TR-10).

    Each screened command gets the next request id and ``at`` (whole seconds
    since the epoch) as its time. A command that cannot be checked at all
    (refused) raises :class:`ValidationError` naming the field, since it is
    neither delivered nor quarantined.
    """

    def __init__(self, decode: Callable[[bytes], Decoded], users: Iterable[str] = ()) -> None:
        self._decode = decode
        self.engine = ThresholdEngine(ThresholdTable(), users=list(users))
        self._next_id = 1

    def set_thresholds(self, user_id: str, thresholds: Iterable[Any]) -> None:
        """Replace all of one User's thresholds (TR-10); the User becomes known."""
        user = parse_user_id(user_id)
        self.engine.replace_thresholds(user, [threshold_from(user, t) for t in thresholds])
        self.engine.add_user(user)

    def screen(self, user_id: str, signed_pre_command: bytes, at: datetime) -> Screening:
        if not isinstance(signed_pre_command, bytes | bytearray):
            raise ValidationError("signed_pre_command", "must be bytes")
        if not isinstance(at, datetime) or at.tzinfo is None:
            raise ValidationError("at", "must be a timezone-aware datetime")
        decoded = self._decode(bytes(signed_pre_command))
        request = Request(self._next_id, user_id, decoded.service_reference, decoded.device_id,
                          decoded.register, int(at.timestamp()), decoded.data_value)
        self._next_id += 1
        decision = self.engine.submit(request)
        if decision.outcome is Outcome.REFUSED:
            field, _, reason = decision.reason.partition(": ")
            raise ValidationError(field, reason)
        quarantined = decision.outcome is Outcome.QUARANTINED
        return Screening(quarantined, decision.reason if quarantined else "within thresholds",
                         decision)
