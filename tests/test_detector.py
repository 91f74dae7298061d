"""The threshold engine behind the test environment's screening interface (TR-10)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from specpkg.anomaly.detector import Decoded, ThresholdDetector
from specpkg.anomaly.engine import DCC
from specpkg.anomaly.thresholds import Threshold
from specpkg.errors import ValidationError

T0 = datetime(2019, 6, 27, 9, tzinfo=UTC)


def fake_decode(command: bytes) -> Decoded:
    """Stands in for the GBCS codec: the tests' commands are JSON."""
    return Decoded(**json.loads(command))


def command(value: int = 0, register: str | None = "TimeDebtRegister1") -> bytes:
    return json.dumps({"service_reference": "2.4", "device_id": "00DB1234567890A0",
                       "register": register, "data_value": value}).encode()


@dataclass(frozen=True)
class EnvThreshold:
    """The shape of the test environment's own threshold record."""

    kind: str
    limit: int
    service_reference: str = "2.4"
    period_hours: int | None = None


def test_tr10_detector_applies_volume_and_data_value_thresholds() -> None:
    detector = ThresholdDetector(fake_decode)
    detector.set_thresholds("U1", [EnvThreshold("user volume", 2, period_hours=1),
                                   EnvThreshold("data value", 0)])
    results = [detector.screen("U1", command(), T0 + timedelta(minutes=m)) for m in (0, 1, 2)]
    assert [r.quarantined for r in results] == [False, False, True]
    assert "volume" in results[2].reason
    later = detector.screen("U1", command(value=5), T0 + timedelta(hours=2))
    assert later.quarantined and "data value" in later.reason
    assert len(detector.engine.notifications_for("U1")) == 2
    assert len(detector.engine.notifications_for(DCC)) == 2


def test_tr10_detector_replaces_a_users_thresholds() -> None:
    detector = ThresholdDetector(fake_decode)
    detector.set_thresholds("U1", [EnvThreshold("user volume", 0, period_hours=1)])
    assert detector.screen("U1", command(), T0).quarantined
    detector.set_thresholds("U1", [Threshold("U1", "2.4", "volume", 3600, 5)])
    assert not detector.screen("U1", command(), T0 + timedelta(seconds=1)).quarantined


def test_tr10_detector_refuses_what_it_cannot_check() -> None:
    detector = ThresholdDetector(fake_decode)
    detector.set_thresholds("U1", [EnvThreshold("data value", 0)])
    with pytest.raises(ValidationError) as err:
        detector.screen("U2", command(), T0)
    assert err.value.field == "user_id"
    with pytest.raises(ValidationError) as err:
        detector.screen("U1", command(register=None), T0)
    assert err.value.field == "register"
    with pytest.raises(ValidationError) as err:
        detector.set_thresholds("U1", [EnvThreshold("user volume", 1)])
    assert err.value.field == "period_hours"
    with pytest.raises(ValidationError) as err:
        detector.screen("U1", command(), datetime(2019, 6, 27))
    assert err.value.field == "at"
