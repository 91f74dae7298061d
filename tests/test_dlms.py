"""xDLMS ACCESS on ECS07, checked against the independent Gurux translator (SR-2, BR-5)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specpkg.errors import DecodeError
from specpkg.gbcs import dlms, messages
from specpkg.gbcs.dlms import (
    AccessRequest,
    AccessResponse,
    AccessResult,
    ChargeMethod,
    Data,
    DataType,
    Obis,
    RequestSpec,
    SpecKind,
)
from specpkg.gbcs.vectors import load_vectors
from specpkg.meter.registers import DebtRegister

gurux = pytest.importorskip("gurux_dlms")
from gurux_dlms.enums.TranslatorOutputType import TranslatorOutputType  # noqa: E402

TDR1, TDR2, PDR = (Obis(0, 0, 19, 20, e, 255) for e in (1, 2, 3))
ECS07_SPECS = [
    (SpecKind.SET, TDR1, 6),
    (SpecKind.SET, TDR2, 6),
    (SpecKind.SET, PDR, 13),
    (SpecKind.SET, TDR1, 8),
    (SpecKind.SET, TDR2, 8),
    (SpecKind.ACTION, TDR1, 2),
    (SpecKind.ACTION, TDR2, 2),
    (SpecKind.ACTION, PDR, 4),
    (SpecKind.ACTION, TDR1, 4),
    (SpecKind.ACTION, TDR2, 4),
]


@pytest.fixture(scope="module")
def vectors(reference: Path) -> dict[str, bytes]:
    return load_vectors(reference)


def _content(data: bytes) -> bytes:
    return messages.content_bytes(messages.apdu_of(messages.decode(data)))


def test_obis_and_charge_class() -> None:
    assert {str(o): r for r, o in dlms.DEBT_REGISTER_OBIS.items()} == {
        "0-0:19.20.1.255": DebtRegister.TIME_DEBT_1,
        "0-0:19.20.2.255": DebtRegister.TIME_DEBT_2,
        "0-0:19.20.3.255": DebtRegister.PAYMENT_DEBT,
    }
    assert Obis.parse("0-0:19.20.3.255") == PDR and bytes(PDR) == bytes.fromhex("0000131403FF")
    assert dlms.CHARGE_CLASS_ID == 113
    assert [m.name.lower() for m in ChargeMethod] == [
        "update_unit_charge",
        "activate_passive_unit_charge",
        "collect",
        "update_total_amount_remaining",
        "set_total_amount_remaining",
    ]
    assert [m.value for m in ChargeMethod] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("outcome", ["SUCCESS", "ERROR"])
def test_ecs07_access_request(vectors: dict[str, bytes], outcome: str) -> None:
    """ECS07 adjusts the three Charge objects; method 4 carries the increments (SR-2)."""
    counter = 1001 if outcome == "SUCCESS" else 1004
    for kind in ("COMMAND", "PRECOMMAND"):
        request = messages.apdu_of(messages.decode(vectors[f"ECS07_{outcome}_{kind}"])).payload
        assert isinstance(request, AccessRequest)
        assert request.invoke_id == dlms.invoke_id_for(counter) == 0x20000000 | counter
        assert [(s.kind, s.instance, s.id) for s in request.specs] == ECS07_SPECS
        assert {s.class_id for s in request.specs} == {113}
        updates = [
            (s.register, s.method, d)
            for s, d in zip(request.specs, request.data, strict=True)
            if s.method is ChargeMethod.UPDATE_TOTAL_AMOUNT_REMAINING
        ]
        assert updates == [
            (
                DebtRegister.PAYMENT_DEBT,
                ChargeMethod.UPDATE_TOTAL_AMOUNT_REMAINING,
                dlms.double_long(50000),
            ),
            (
                DebtRegister.TIME_DEBT_1,
                ChargeMethod.UPDATE_TOTAL_AMOUNT_REMAINING,
                dlms.double_long(30000),
            ),
            (
                DebtRegister.TIME_DEBT_2,
                ChargeMethod.UPDATE_TOTAL_AMOUNT_REMAINING,
                dlms.double_long(15000),
            ),
        ]
        assert [d.plain() for d in request.data] == [
            [[0, -1], [0, "000000000000", 0], [["", 3]]],
            [[0, -1], [0, "000000000000", 0], [["", 15]]],
            1000,
            86400,
            86400,
            0,
            0,
            50000,
            30000,
            15000,
        ]
        assert [d.type for d in request.data[2:]] == [
            DataType.LONG_UNSIGNED,
            DataType.DOUBLE_LONG_UNSIGNED,
            DataType.DOUBLE_LONG_UNSIGNED,
            DataType.INTEGER,
            DataType.INTEGER,
            DataType.DOUBLE_LONG,
            DataType.DOUBLE_LONG,
            DataType.DOUBLE_LONG,
        ]


@pytest.mark.parametrize(
    ("outcome", "results"),
    [
        ("SUCCESS", [0] * 10),
        ("ERROR", [0] * 8 + [AccessResult.HARDWARE_FAULT, AccessResult.OTHER_REASON]),
    ],
)
def test_ecs07_access_response(vectors: dict[str, bytes], outcome: str, results: list[int]) -> None:
    """BR-5: the ESME answers with result codes and null data only."""
    response = messages.apdu_of(messages.decode(vectors[f"ECS07_{outcome}_RESPONSE"])).payload
    assert isinstance(response, AccessResponse)
    assert response.request_specs is None
    assert response.data == (dlms.NULL,) * 10
    assert [s.kind for s in response.specs] == [s[0] for s in ECS07_SPECS]
    assert [s.result for s in response.specs] == results


# --- the independent Gurux translator -------------------------------------------------

_GURUX_TYPES = {
    DataType.NULL: "None",
    DataType.ARRAY: "Array",
    DataType.STRUCTURE: "Structure",
    DataType.BOOLEAN: "Boolean",
    DataType.DOUBLE_LONG: "Int32",
    DataType.DOUBLE_LONG_UNSIGNED: "UInt32",
    DataType.OCTET_STRING: "OctetString",
    DataType.VISIBLE_STRING: "String",
    DataType.INTEGER: "Int8",
    DataType.LONG: "Int16",
    DataType.UNSIGNED: "UInt8",
    DataType.LONG_UNSIGNED: "UInt16",
    DataType.LONG64: "Int64",
    DataType.LONG64_UNSIGNED: "UInt64",
    DataType.ENUM: "Enum",
}
_SIGNED = {"Int8", "Int16", "Int32", "Int64"}
_UNSIGNED = {"UInt8", "UInt16", "UInt32", "UInt64", "Enum"}


def _gurux_xml(pdu: bytes) -> ET.Element:
    translator = gurux.GXDLMSTranslator(TranslatorOutputType.SIMPLE_XML)
    return ET.fromstring(translator.pduToXml(pdu))


def _from_gurux(elem: ET.Element) -> Any:
    tag, value = elem.tag, elem.get("Value")
    if tag in ("Structure", "Array"):
        return (tag, [_from_gurux(child) for child in elem])
    if tag == "None":
        return (tag, None)
    if tag in _SIGNED:
        bits = 4 * len(value)
        number = int(value, 16)
        return (tag, number - (1 << bits) if number >> (bits - 1) else number)
    if tag in _UNSIGNED:
        return (tag, int(value, 16))
    if tag == "Boolean":
        return (tag, value == "True")
    if tag == "OctetString":
        return (tag, bytes.fromhex(value))
    return (tag, value)


def _mine(item: Data) -> Any:
    tag = _GURUX_TYPES[item.type]
    if item.type in (DataType.ARRAY, DataType.STRUCTURE):
        return (tag, [_mine(child) for child in item.value])
    if item.type is DataType.VISIBLE_STRING:
        return (tag, item.value.decode("ascii"))
    return (tag, item.value)


def _gurux_request(pdu: bytes) -> tuple[list[tuple[str, int, str, int]], list[Any]]:
    root = _gurux_xml(pdu)
    specs = []
    for spec in root.iter("_AccessRequestSpecification"):
        (service,) = list(spec)
        descriptor = service.find("AttributeDescriptor")
        specs.append(
            (
                service.tag.removeprefix("AccessRequest").lower(),
                int(descriptor.find("ClassId").get("Value"), 16),
                descriptor.find("InstanceId").get("Value"),
                int(descriptor.find("AttributeId").get("Value"), 16),
            )
        )
    data = [_from_gurux(child) for child in root.find("AccessRequestBody/AccessRequestListOfData")]
    return specs, data


def _compare_request(pdu: bytes) -> None:
    mine = dlms.decode(pdu)
    specs, data = _gurux_request(pdu)
    assert specs == [
        (s.kind.name.lower(), s.class_id, bytes(s.instance).hex().upper(), s.id) for s in mine.specs
    ]
    assert data == [_mine(d) for d in mine.data]


def test_ecs07_request_agrees_with_gurux(vectors: dict[str, bytes]) -> None:
    """Gurux parses the ACCESS-Request (D9) directly with ``pduToXml``: the same
    class ids, OBIS codes, attribute/method ids and data values as specpkg."""
    for outcome in ("SUCCESS", "ERROR"):
        _compare_request(_content(vectors[f"ECS07_{outcome}_COMMAND"]))


def test_ecs07_success_response_agrees_with_gurux(vectors: dict[str, bytes]) -> None:
    """Gurux's ``pduToXml`` reads the success ACCESS-Response. On the ERROR
    response it raises IndexError: for a non-zero action result it reads one more
    byte than the PDU has (tried SIMPLE_XML and STANDARD_XML output alike), so
    there the comparison is limited to the success response."""
    pdu = _content(vectors["ECS07_SUCCESS_RESPONSE"])
    root = _gurux_xml(pdu)
    mine = dlms.decode(pdu)
    assert int(root.find("LongInvokeIdAndPriority").get("Value"), 16) == mine.invoke_id
    data = [_from_gurux(c) for c in root.find("AccessResponseBody/AccessResponseListOfData")]
    assert data == [_mine(d) for d in mine.data]
    results = [
        (service.tag.removeprefix("AccessResponse").lower(), service.find("Result").get("Value"))
        for spec in root.iter("_AccessResponseSpecification")
        for service in spec
    ]
    assert results == [(s.kind.name.lower(), "Success") for s in mine.specs]


def test_package_encoded_reset_request_agrees_with_gurux() -> None:
    """A request the package encodes (set_total_amount_remaining(0) on each Debt
    Register, the SR-2 reset shape) reads the same in Gurux."""
    specs = [
        RequestSpec(SpecKind.ACTION, 113, obis, ChargeMethod.SET_TOTAL_AMOUNT_REMAINING)
        for obis in dlms.DEBT_REGISTER_OBIS.values()
    ]
    request = AccessRequest(dlms.invoke_id_for(2001), specs, [dlms.double_long(0)] * 3)
    pdu = dlms.encode(request)
    assert dlms.decode(pdu) == request
    _compare_request(pdu)


leaves = st.one_of(
    st.just(dlms.NULL),
    st.builds(Data, st.just(DataType.BOOLEAN), st.booleans()),
    st.builds(Data, st.just(DataType.INTEGER), st.integers(-128, 127)),
    st.builds(Data, st.just(DataType.LONG), st.integers(-(2**15), 2**15 - 1)),
    st.builds(Data, st.just(DataType.UNSIGNED), st.integers(0, 255)),
    st.builds(Data, st.just(DataType.LONG_UNSIGNED), st.integers(0, 2**16 - 1)),
    st.builds(Data, st.just(DataType.DOUBLE_LONG), st.integers(-(2**31), 2**31 - 1)),
    st.builds(Data, st.just(DataType.DOUBLE_LONG_UNSIGNED), st.integers(0, 2**32 - 1)),
    st.builds(Data, st.just(DataType.LONG64), st.integers(-(2**63), 2**63 - 1)),
    st.builds(Data, st.just(DataType.ENUM), st.integers(0, 255)),
    st.builds(Data, st.just(DataType.OCTET_STRING), st.binary(max_size=300)),
)
data_items = st.recursive(
    leaves,
    lambda inner: st.builds(
        Data,
        st.sampled_from([DataType.ARRAY, DataType.STRUCTURE]),
        st.lists(inner, max_size=5).map(tuple),
    ),
    max_leaves=12,
)
request_specs = st.builds(
    RequestSpec,
    st.sampled_from(SpecKind),
    st.integers(0, 0xFFFF),
    st.builds(Obis, *[st.integers(0, 255)] * 6),
    st.integers(0, 255),
)


@given(st.lists(st.tuples(request_specs, data_items), max_size=6), st.integers(0, 2**32 - 1))
def test_property_access_request_round_trip(pairs: list, invoke_id: int) -> None:
    """Any ACCESS-Request re-decodes equal; the fast path agrees with construct."""
    request = AccessRequest(invoke_id, [p[0] for p in pairs], [p[1] for p in pairs])
    pdu = dlms.encode(request)
    assert pdu == dlms.encode(request, fast=False)
    assert dlms.decode(pdu) == request == dlms.decode(pdu, fast=False)
    response = dlms.AccessResponse(
        invoke_id, [p[1] for p in pairs], [dlms.ResponseSpec(p[0].kind, p[0].id) for p in pairs]
    )
    pdu = dlms.encode(response)
    assert pdu == dlms.encode(response, fast=False)
    assert dlms.decode(pdu) == response == dlms.decode(pdu, fast=False)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(request_specs, data_items), min_size=1, max_size=4))
def test_property_gurux_agrees_on_encoded_requests(pairs: list) -> None:
    request = AccessRequest(0x20000001, [p[0] for p in pairs], [p[1] for p in pairs])
    _compare_request(dlms.encode(request))


def test_deep_nesting_is_refused() -> None:
    head = bytes.fromhex("D9 20000001 00 01 02 0071 0000131401FF 06 01")
    pdu = head + bytes.fromhex("0201") * 40 + b"\x00"
    with pytest.raises(DecodeError, match="nesting"):
        dlms.decode(pdu)


@pytest.mark.parametrize("depth", range(12, 19))
def test_fast_path_and_construct_agree_on_the_nesting_limit(depth: int) -> None:
    """Arrays nested ``depth`` deep: both paths accept, or both refuse, alike."""
    item = dlms.NULL
    for _ in range(depth):
        item = dlms.structure(item)
    pdu = dlms.encode(AccessRequest(0x20000001, [RequestSpec(SpecKind.SET, 1, Obis(0, 0, 1, 0,
                                                                                   0, 255), 2)],
                                    [item]), fast=True)
    outcomes = []
    for fast in (True, False):
        try:
            outcomes.append(dlms.decode(pdu, fast=fast))
        except DecodeError as exc:
            outcomes.append(type(exc))
    assert outcomes[0] == outcomes[1]
    assert (outcomes[0] is DecodeError) == (depth > 16)


def test_interned_values_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path keeps at most INTERNED_KEPT leaves and SPECS_KEPT specifications,
    and values past the bound still decode right."""
    from specpkg.gbcs import axdr

    monkeypatch.setattr(axdr, "_INTERNED", {})
    monkeypatch.setattr(axdr, "INTERNED_KEPT", 10)
    monkeypatch.setattr(dlms, "_SPECS", {})
    monkeypatch.setattr(dlms, "SPECS_KEPT", 3)
    for value in range(40):
        spec = RequestSpec(SpecKind.ACTION, 113, Obis(0, 0, 19, 20, value % 7, 255), 5)
        request = AccessRequest(0x20000000 + value, [spec], [dlms.double_long(value - 20)])
        assert dlms.decode(dlms.encode(request)) == request
    assert len(axdr._INTERNED) == 10 and len(dlms._SPECS) == 3
