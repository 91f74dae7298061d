"""The annotated dump covers every byte of a message exactly once (SR-1, SR-2, BR-5)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specpkg.errors import DecodeError
from specpkg.gbcs import dump, gbz, messages, zcl
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


def test_dump_of_an_unsigned_message_of_an_unmodelled_use_case(reference: Path) -> None:
    """The use case is named from the GBCS table, the payload shown as bytes, the
    empty signature field as such; every byte still covered exactly once."""
    apdu = messages.response(0x0001, bytes.fromhex("00DB1234567890A1"),
                             bytes.fromhex("90B3D51F30010000"), 7, b"\x01\x02\x03")
    data = messages.encode(replace(apdu, signature=b""))
    table = dump.dump(data).set_index("field")
    assert table.loc["message code", "meaning"] == (
        "CCS01 Add Device to CHF device log (payload not modelled)")
    assert table.loc["payload", "bytes"] == "01 02 03"
    assert table.loc["signature length", ["bytes", "meaning"]].tolist() == [
        "00", "no signature (the message is MAC'd only)"]
    assert "signature r" not in table.index


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=40), st.sampled_from([None, b"", bytes(range(64))]))
def test_property_dump_covers_any_message(payload: bytes, signature: bytes | None) -> None:
    apdu = replace(messages.command(0x0F02, bytes(8), bytes(range(8)), 1, payload),
                   signature=signature)
    data = messages.encode(replace(apdu, payload=gbz.Gbz((gbz.GbzComponent(
        gbz.CONTROL_LAST, 0x0700, zcl.ZclFrame(0x01, 0, 0x05, payload)),))))
    found = dump.rows(data)
    assert "".join(r[1] for r in found).replace(" ", "") == data.hex().upper()
