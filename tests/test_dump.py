"""The annotated dump covers every byte of a message exactly once (SR-1, SR-2, BR-5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpkg.errors import DecodeError
from specpkg.gbcs import dump
from specpkg.gbcs.vectors import load_vectors


@pytest.fixture(scope="module")
def vectors(reference: Path) -> dict[str, bytes]:
    return load_vectors(reference)


def test_dump_rows_are_the_message(vectors: dict[str, bytes]) -> None:
    for name, data in vectors.items():
        table = dump.dump(data)
        assert list(table.columns) == dump.COLUMNS
        assert bytes.fromhex("".join(table["bytes"])) == data, name
        ends = (table["offset"] + table["bytes"].str.split().str.len()).tolist()
        assert table["offset"].tolist()[1:] == ends[:-1] and ends[-1] == len(data)


def test_dump_annotates_the_debt_fields(vectors: dict[str, bytes]) -> None:
    table = dump.dump(vectors["GCS04_SUCCESS_COMMAND"]).set_index("field")
    assert table.loc["message code", "meaning"] == "GCS04 Manage Debt on the GSME"
    assert table.loc["[3] debt amount type", "meaning"] == "Payment Debt Register, incremental"
    assert table.loc["[2] debt amount", "value"] == "500000"
    ecs07 = dump.dump(vectors["ECS07_SUCCESS_COMMAND"]).set_index("field")
    assert ecs07.loc["spec[8] method id", "meaning"] == "update_total_amount_remaining"
    assert ecs07.loc["spec[3] instance (OBIS)", "value"] == "0-0:19.20.3.255"
    assert ecs07.loc["spec[3] instance (OBIS)", "meaning"] == "Payment Debt Register"


def test_dump_of_bad_bytes_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        dump.dump(b"\xdf\x09")
