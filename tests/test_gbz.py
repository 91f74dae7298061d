"""GBZ and ZCL Change Debt / Default Response on GCS04 (SR-1, BR-5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specpkg.errors import DecodeError
from specpkg.gbcs import gbz, messages
from specpkg.gbcs.gbz import (
    ChangeDebt,
    DebtAmountType,
    RecoveryFrequency,
    RecoveryMethod,
    ZclStatus,
)
from specpkg.gbcs.vectors import load_vectors
from specpkg.meter.registers import DebtRegister


@pytest.fixture(scope="module")
def vectors(reference: Path) -> dict[str, bytes]:
    return load_vectors(reference)


def _payload(data: bytes) -> gbz.Gbz:
    payload = messages.apdu_of(messages.decode(data)).payload
    assert isinstance(payload, gbz.Gbz)
    return payload


@pytest.mark.parametrize("outcome", ["SUCCESS", "ERROR"])
@pytest.mark.parametrize("kind", ["COMMAND", "PRECOMMAND"])
def test_gcs04_change_debt_commands(vectors: dict[str, bytes], outcome: str, kind: str) -> None:
    """GCS04 sends one Change Debt per Debt Register (the command SR-1 reuses)."""
    payload = _payload(vectors[f"GCS04_{outcome}_{kind}"])
    assert [c.control for c in payload.components] == [0, 0, 1]
    commands = []
    for i, component in enumerate(payload.components):
        assert component.cluster_id == gbz.PREPAYMENT_CLUSTER and not component.encrypted
        frame = component.frame
        assert (frame.frame_control, frame.sequence, frame.command_id) == (0x01, i, gbz.CHANGE_DEBT)
        commands.append(frame.payload)
    assert [c.debt_amount for c in commands] == [1_000_000, 500_000, 1_000_000]
    assert [c.recovery_method for c in commands] == [
        RecoveryMethod.TIME_BASED,
        RecoveryMethod.TIME_BASED,
        RecoveryMethod.PAYMENT_BASED,
    ]
    assert [c.amount_type for c in commands] == [
        DebtAmountType.TYPE1_INCREMENTAL,
        DebtAmountType.TYPE2_INCREMENTAL,
        DebtAmountType.TYPE3_INCREMENTAL,
    ]
    assert [c.register for c in commands] == list(DebtRegister)
    assert [c.frequency for c in commands] == [
        RecoveryFrequency.DAILY,
        RecoveryFrequency.HOURLY,
        RecoveryFrequency.DAILY,
    ]
    assert [c.recovery_amount for c in commands] == [50_000, 50_000, 0]
    assert [c.balance_percentage for c in commands] == [0, 0, 100]
    assert {c.issuer_event_id for c in commands} == {0x1C374A80}
    assert {c.debt_label for c in commands} == {b""}
    assert {(c.recovery_start_time, c.collection_time) for c in commands} == {(0, 0)}


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("SUCCESS", [(2, ZclStatus.SUCCESS)] * 3),
        (
            "ERROR",
            [(2, ZclStatus.SUCCESS), (2, ZclStatus.HARDWARE_FAILURE), (0xFF, ZclStatus.FAILURE)],
        ),
    ],
)
def test_gcs04_default_responses(vectors: dict[str, bytes], outcome: str, expected: list) -> None:
    """BR-5: the GSME answers with a status per command, no register values."""
    payload = _payload(vectors[f"GCS04_{outcome}_RESPONSE"])
    got = []
    for i, component in enumerate(payload.components):
        frame = component.frame
        assert (frame.frame_control, frame.sequence, frame.command_id) == (0x08, i, 0x0B)
        assert isinstance(frame.payload, gbz.DefaultResponse)
        got.append((frame.payload.command_id, frame.payload.status))
    assert got == expected


def test_amount_types_map_to_debt_registers() -> None:
    expected = {
        DebtAmountType.TYPE1_ABSOLUTE: (DebtRegister.TIME_DEBT_1, False),
        DebtAmountType.TYPE1_INCREMENTAL: (DebtRegister.TIME_DEBT_1, True),
        DebtAmountType.TYPE2_ABSOLUTE: (DebtRegister.TIME_DEBT_2, False),
        DebtAmountType.TYPE2_INCREMENTAL: (DebtRegister.TIME_DEBT_2, True),
        DebtAmountType.TYPE3_ABSOLUTE: (DebtRegister.PAYMENT_DEBT, False),
        DebtAmountType.TYPE3_INCREMENTAL: (DebtRegister.PAYMENT_DEBT, True),
    }
    for kind, (register, incremental) in expected.items():
        assert (kind.register, kind.incremental) == (register, incremental)
        assert DebtAmountType.of(register, incremental) is kind


def test_unknown_amount_type_is_refused(vectors: dict[str, bytes]) -> None:
    data = bytearray(
        messages.content_bytes(
            messages.apdu_of(messages.decode(vectors["GCS04_SUCCESS_PRECOMMAND"]))
        )
    )
    data[21] = 0x06  # first component's debt amount type
    with pytest.raises(DecodeError, match="DebtAmountType") as info:
        gbz.decode(bytes(data))
    assert info.value.offset == 21


change_debts = st.builds(
    ChangeDebt,
    issuer_event_id=st.integers(0, 2**32 - 1),
    debt_amount=st.integers(-(2**31), 2**31 - 1),
    recovery_method=st.sampled_from(RecoveryMethod),
    amount_type=st.sampled_from(DebtAmountType),
    recovery_start_time=st.integers(0, 2**32 - 1),
    collection_time=st.integers(0, 2**16 - 1),
    frequency=st.sampled_from(RecoveryFrequency),
    recovery_amount=st.integers(-(2**31), 2**31 - 1),
    balance_percentage=st.integers(0, 2**16 - 1),
    debt_label=st.binary(max_size=12),
)
statuses = st.sampled_from(ZclStatus) | st.integers(0, 255)


@given(st.lists(change_debts, min_size=1, max_size=4), st.lists(statuses, min_size=1, max_size=4))
def test_property_gbz_round_trip(commands: list[ChangeDebt], results: list[int]) -> None:
    """Any Change Debt / Default Response GBZ re-decodes equal; fast == construct path."""
    for payload in (
        gbz.Gbz(
            tuple(
                gbz.change_debt_component(c, i, i == len(commands) - 1)
                for i, c in enumerate(commands)
            )
        ),
        gbz.Gbz(
            tuple(
                gbz.default_response_component(2, s, i, i == len(results) - 1)
                for i, s in enumerate(results)
            )
        ),
    ):
        data = gbz.encode(payload)
        assert data == gbz.encode(payload, fast=False)
        fast, slow = gbz.decode(data), gbz.decode(data, fast=False)
        assert fast == slow
        assert gbz.encode(fast) == data
        assert [c.frame.payload for c in fast.components] == [
            c.frame.payload for c in payload.components
        ]


def test_zcl_commands_names_each_command_once() -> None:
    """SR-5 helper: cluster, frame type, direction and command id of every component."""
    change = [ChangeDebt(1, 0, RecoveryMethod.TIME_BASED, t)
              for t in (DebtAmountType.TYPE1_ABSOLUTE, DebtAmountType.TYPE3_INCREMENTAL)]
    command = gbz.Gbz(tuple(gbz.change_debt_component(c, i, i == 1) for i, c in enumerate(change)))
    response = gbz.Gbz((gbz.default_response_component(gbz.CHANGE_DEBT, ZclStatus.SUCCESS, 0,
                                                       True),))
    (sent,) = gbz.zcl_commands(command)
    assert sent == gbz.ZclCommand(0x0705, True, False, 0x02)
    assert str(sent) == "cluster 0x0705 cluster-specific command 0x02 (client to server)"
    assert gbz.zcl_commands(response) == {gbz.ZclCommand(0x0705, False, True, 0x0B)}


def test_zcl_commands_refuses_an_opaque_frame() -> None:
    from specpkg.errors import ValidationError

    opaque = gbz.Gbz((gbz.GbzComponent(gbz.CONTROL_LAST, 0x0700, b"\x01\x00\x05"),))
    with pytest.raises(ValidationError, match="opaque frame on cluster 0x0700"):
        gbz.zcl_commands(opaque)
