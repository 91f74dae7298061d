"""Annotated dumps: one part of a message, and parts of two messages side by side (SR-1, SR-2)."""

from __future__ import annotations

from specpkg.duis.reset_request import DEFAULT_CLOCK
from specpkg.gbcs import debt_messages as dm
from specpkg.gbcs import dump, messages
from specpkg.gbcs.reset_messages import pre_command
from specpkg.meter.registers import Device

SUPPLIER = "90B3D51F30010000"
ESME = "00DB1234567890A0"
ECS07_VALUES = dm.UpdateDebt(30000, 15000, 50000, 1000, dm.ElecRecovery(3, -1),
                             dm.ElecRecovery(15, -1))


def _ecs07() -> bytes:
    request = dm.ecs07_request(ECS07_VALUES, 1001)
    return messages.encode(dm.precommand(dm.ECS07, bytes.fromhex(SUPPLIER), bytes.fromhex(ESME),
                                         1001, request))


def test_section_takes_one_part_and_strips_its_name() -> None:
    data = _ecs07()
    tenth = dump.section(data, "data[10]")
    assert list(tenth["field"]) == ["type", "value"]
    assert list(tenth["bytes"]) == ["05", "00 00 3A 98"]
    first = dump.section(data, "data[1]")
    assert "data[10]" not in " ".join(first["field"]) and len(first) == 25
    assert first["field"].iloc[2] == "1 type"
    assert dump.section(data, "[1]").empty


def test_compare_lines_up_fields_and_says_which_bytes_are_the_same() -> None:
    reset = messages.encode(pre_command(Device.ESME, "TimeDebtRegister2", SUPPLIER, ESME, 1000,
                                        DEFAULT_CLOCK))
    table = dump.compare({
        "ECS07": dump.section(_ecs07(), "spec[10]"),
        "ECS07b": dump.section(reset, "spec[1]"),
    })
    assert list(table.index) == ["kind", "class id", "instance (OBIS)", "method id"]
    assert list(table.columns) == ["ECS07 bytes", "ECS07 value", "ECS07b bytes", "ECS07b value",
                                   "same bytes"]
    assert list(table["same bytes"]) == [True, True, True, False]
    assert list(table["ECS07b value"]) == ["action", "113", "0-0:19.20.2.255", "5"]


def test_compare_shows_a_missing_field_as_empty_and_different() -> None:
    data = _ecs07()
    table = dump.compare({"a": dump.section(data, "data[3]"), "b": dump.section(data, "data[1]")})
    assert table.loc["value", "b bytes"] == "" and not table.loc["value", "same bytes"]
    assert table.loc["type", "a value"] == "long_unsigned"
