"""The SR 2.3 builders reproduce the RTDS pre-commands byte for byte (SR-1, SR-2, BR-5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpkg.gbcs import debt_messages as dm
from specpkg.gbcs import messages
from specpkg.gbcs.vectors import load_vectors
from specpkg.meter.registers import RecoveryPeriod

SUPPLIER = bytes.fromhex("90B3D51F30010000")
ESME = bytes.fromhex("00DB1234567890A0")
GSME = bytes.fromhex("00DB1234567890A1")
# the values of duis/ECS07_2.3_SUCCESS_REQUEST_DUIS.XML and GCS04_2.3_SUCCESS_REQUEST_DUIS.XML
ECS07_VALUES = dm.UpdateDebt(
    30000, 15000, 50000, 1000, dm.ElecRecovery(3, -1), dm.ElecRecovery(15, -1)
)
GCS04_VALUES = dm.UpdateDebt(
    1_000_000,
    500_000,
    1_000_000,
    100,
    dm.GasRecovery(50000, RecoveryPeriod.DAILY),
    dm.GasRecovery(50000, RecoveryPeriod.HOURLY),
)


@pytest.fixture(scope="module")
def vectors(reference: Path) -> dict[str, bytes]:
    return load_vectors(reference)


@pytest.mark.parametrize(("outcome", "counter"), [("SUCCESS", 1001), ("ERROR", 1004)])
def test_ecs07_precommand_is_rebuilt_exactly(vectors, outcome: str, counter: int) -> None:
    request = dm.ecs07_request(ECS07_VALUES, counter)
    apdu = dm.precommand(dm.ECS07, SUPPLIER, ESME, counter, request)
    assert messages.encode(apdu) == vectors[f"ECS07_{outcome}_PRECOMMAND"]


@pytest.mark.parametrize(("outcome", "counter"), [("SUCCESS", 1000), ("ERROR", 1005)])
def test_gcs04_precommand_is_rebuilt_exactly(vectors, outcome: str, counter: int) -> None:
    apdu = dm.precommand(dm.GCS04, SUPPLIER, GSME, counter, dm.gcs04_payload(GCS04_VALUES))
    assert messages.encode(apdu) == vectors[f"GCS04_{outcome}_PRECOMMAND"]


def test_responses_are_rebuilt_exactly(vectors) -> None:
    """The unsigned part of each response equals the reference response's."""
    ecs07 = dm.ecs07_response(dm.ecs07_request(ECS07_VALUES, 1004), [0] * 8 + [1, 0xFA])
    gcs04 = dm.gcs04_response(dm.gcs04_payload(GCS04_VALUES), [0, 0xC0, 0x01])
    for name, payload in (("ECS07_ERROR_RESPONSE", ecs07), ("GCS04_SUCCESS_RESPONSE", None)):
        reference = messages.decode(vectors[name])
        if payload is None:
            payload = dm.gcs04_response(dm.gcs04_payload(GCS04_VALUES))
        assert payload == reference.payload
    reference = messages.decode(vectors["GCS04_ERROR_RESPONSE"]).payload
    # the reference's third Default Response answers command id FF, not 02
    assert [c.frame.payload.status for c in gcs04.components] == [
        c.frame.payload.status for c in reference.components
    ]
