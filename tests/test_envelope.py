"""The GBCS envelope on the RTDS vectors: decode, re-encode, fields (SR-1, SR-2, BR-5)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specpkg.errors import DecodeError, ValidationError
from specpkg.gbcs import dlms, envelope, messages, wire
from specpkg.gbcs.envelope import Cra, GeneralSigning, MacHeader
from specpkg.gbcs.messages import Check, Verification
from specpkg.gbcs.security import Keys
from specpkg.gbcs.usecases import REGISTRY
from specpkg.gbcs.vectors import load_vectors
from specpkg.meter.registers import DebtRegister, Device
from specpkg.system.flow import make_testbed

SUPPLIER = bytes.fromhex("90B3D51F30010000")
ESME = bytes.fromhex("00DB1234567890A0")
GSME = bytes.fromhex("00DB1234567890A1")
COUNTERS = {
    "ECS07_SUCCESS": 1001,
    "ECS07_ERROR": 1004,
    "GCS04_SUCCESS": 1000,
    "GCS04_ERROR": 1005,
}


@pytest.fixture(scope="module")
def vectors(reference: Path) -> dict[str, bytes]:
    found = load_vectors(reference)
    assert len(found) == 12
    return found


def test_every_vector_round_trips(vectors: dict[str, bytes]) -> None:
    """All 12 vectors decode and encode back to the identical bytes."""
    for name, data in vectors.items():
        message = messages.decode(data)
        assert messages.encode(message) == data, name
        assert messages.encode(message, fast=False) == data, name  # construct only


def test_envelope_fields(vectors: dict[str, bytes]) -> None:
    for name, data in vectors.items():
        message = messages.decode(data)
        apdu = messages.apdu_of(message)
        use_case, outcome, kind = name.split("_")
        device = ESME if use_case == "ECS07" else GSME
        assert apdu.message_code == (0x001E if use_case == "ECS07" else 0x006E)
        assert messages.use_case_of(message).name == use_case
        assert apdu.originator_counter == COUNTERS[f"{use_case}_{outcome}"]
        assert apdu.date_time == b""
        if kind == "RESPONSE":
            assert isinstance(message, GeneralSigning)
            assert apdu.cra is Cra.RESPONSE
            assert (apdu.originator, apdu.recipient) == (device, SUPPLIER)
            assert apdu.signature is not None
        else:
            assert apdu.cra is Cra.COMMAND
            assert (apdu.originator, apdu.recipient) == (SUPPLIER, device)
            assert isinstance(message, MacHeader) == (kind == "COMMAND")
            assert (apdu.signature is not None) == (kind == "COMMAND")
        if isinstance(message, MacHeader):
            assert message.invocation_counter == 0
            assert len(message.mac) == 12


def test_precommand_is_prefix_of_signed_command(vectors: dict[str, bytes]) -> None:
    for use_case in ("ECS07", "GCS04"):
        for outcome in ("SUCCESS", "ERROR"):
            pre = vectors[f"{use_case}_{outcome}_PRECOMMAND"]
            command = messages.decode(vectors[f"{use_case}_{outcome}_COMMAND"])
            signed = messages.encode_apdu(command.apdu)
            assert signed.startswith(pre)
            assert len(signed) == len(pre) + 65
            assert messages.signed_data(command.apdu) == pre[1:]


@pytest.mark.parametrize("fault", [False, True], ids=["success", "failure"])
@pytest.mark.parametrize("register", list(DebtRegister))
@pytest.mark.parametrize("device", list(Device))
def test_reset_responses_are_signed_by_the_meter_not_encrypted(
        device: Device, register: DebtRegister, fault: bool) -> None:
    """BR-5: the meter's answer to each reset, success or failure, is a bare
    general-signing APDU (no general-ciphering around it), signed by the meter with its
    own key and by no one else, and carries no amount of the register."""
    bed = make_testbed()
    bed.stub(device).fault = fault
    result = bed.run(device, register)
    raw = result.device_response
    assert raw[0] == 0xDF
    answer = messages.decode(raw)
    assert isinstance(answer, GeneralSigning) and len(answer.signature) == 64
    assert answer.originator == bytes.fromhex(bed.stub(device).device_id)
    keys = Keys(bed.user.keys_dir)
    assert messages.verify(answer, keys) == Verification(Check.VALID, Check.ABSENT)
    supplier = keys.public_key(SUPPLIER.hex().upper(), "ds")
    assert messages.check_signature(answer, supplier) is Check.INVALID
    assert (messages.response_results(answer) == ["success"]) is not fault
    held = result.before.register(register)
    assert held.to_bytes(4, "big") not in raw and held.to_bytes(4, "little") not in raw


def test_responses_are_signed_not_encrypted(vectors: dict[str, bytes]) -> None:
    """The SR 2.3 reference responses are bare general-signing APDUs: signed, no ciphering
    (the reset's own responses: the test above)."""
    for name, data in vectors.items():
        if name.endswith("RESPONSE"):
            assert data[0] == 0xDF
            message = messages.decode(data)
            assert isinstance(message, GeneralSigning) and len(message.signature) == 64


@pytest.mark.parametrize(
    ("value", "raw"),
    [
        (0, "00"),
        (0x7F, "7F"),
        (0x80, "8180"),
        (0xFF, "81FF"),
        (0x100, "820100"),
        (0x141, "820141"),
        (0xFFFF, "82FFFF"),
    ],
)
def test_encoded_length(value: int, raw: str) -> None:
    assert wire.EncodedLength.build(value) == bytes.fromhex(raw)
    assert wire.EncodedLength.parse(bytes.fromhex(raw)) == value
    assert wire.encode_length(value) == bytes.fromhex(raw)
    assert wire.read_length(bytes.fromhex(raw), 0) == (value, len(raw) // 2)


@pytest.mark.parametrize("raw", ["8100", "817F", "820000", "8200FF", "83000001", "80", "FF"])
def test_encoded_length_refuses_non_minimal_forms(raw: str) -> None:
    """Only the shortest form is accepted, so every message re-encodes identically."""
    data = bytes.fromhex(
        "DF0901000000000000000108010203040506070808010203040506070800" + raw + "001E00"
    )
    with pytest.raises(DecodeError) as info:
        messages.decode(data)
    assert info.value.offset >= 30


def test_fast_path_agrees_with_construct(vectors: dict[str, bytes]) -> None:
    """The hand-rolled fast path and the construct definition decode alike,
    with typed payloads and with every payload kept as bytes."""
    for name, data in vectors.items():
        for codecs in (REGISTRY, envelope.OPAQUE):
            fast = envelope.decode(data, codecs, fast=True)
            assert fast == envelope.decode(data, codecs, fast=False), name
            assert envelope.encode(fast, codecs, fast=False) == data, name


titles = st.binary(min_size=8, max_size=8)
apdus = st.builds(
    GeneralSigning,
    cra=st.sampled_from(Cra),
    originator_counter=st.integers(0, 2**64 - 1),
    originator=titles,
    recipient=titles,
    message_code=st.integers(0, 0xFFFF).filter(lambda code: code not in REGISTRY),
    payload=st.binary(max_size=300),
    date_time=st.binary(max_size=20),
    other_information_rest=st.binary(max_size=140),
    signature=st.none() | st.just(b"") | st.binary(min_size=64, max_size=64),
)
messages_ = apdus | st.builds(
    MacHeader, apdu=apdus.filter(lambda apdu: apdu.signature is not None),
    mac=st.binary(min_size=12, max_size=12),
    invocation_counter=st.integers(0, 2**32 - 1),
)


@given(messages_)
def test_property_envelope_fast_path_equals_construct(message: envelope.Message) -> None:
    """Any envelope (signed, unsigned ``00``, pre-command; MAC'd or bare): the
    fast and construct encoders give the same bytes, and both decoders the value."""
    data = envelope.encode(message, REGISTRY, fast=True)
    assert data == envelope.encode(message, REGISTRY, fast=False)
    assert envelope.decode(data, REGISTRY, fast=True) == message
    assert envelope.decode(data, REGISTRY, fast=False) == message


def test_unsigned_messages_round_trip(vectors: dict[str, bytes]) -> None:
    """A message sent without signature ends with the length byte 00 (GBCS-NOTES):
    it decodes with signature b"" and re-encodes byte for byte, bare or MAC'd."""
    for name, data in vectors.items():
        if not name.endswith(("RESPONSE", "COMMAND")) or "PRE" in name:
            continue
        signed = messages.decode(data)
        unsigned_apdu = replace(messages.apdu_of(signed), signature=b"")
        unsigned = (replace(signed, apdu=unsigned_apdu) if isinstance(signed, MacHeader)
                    else unsigned_apdu)
        raw = messages.encode(unsigned)
        apdu_raw = envelope.apdu_bytes_of(raw)
        assert apdu_raw.endswith(b"\x00") and len(raw) == len(data) - 64, name
        for fast in (True, False):
            decoded = messages.decode(raw, fast=fast)
            assert decoded == unsigned and not messages.apdu_of(decoded).signed, name
            assert messages.encode(decoded, fast=fast) == raw, name


def test_a_maced_apdu_must_end_with_its_signature_field(vectors: dict[str, bytes]) -> None:
    """Only a pre-command lacks the signature field, and pre-commands are never MAC'd."""
    pre = vectors["GCS04_SUCCESS_PRECOMMAND"]
    maced = envelope.wrap_mac(0, pre, bytes(12))
    for fast in (True, False):
        with pytest.raises(DecodeError, match="signature field"):
            messages.decode(maced, fast=fast)
    assert messages.decode(envelope.wrap_mac(0, pre + b"\x00", bytes(12))).apdu.signature == b""


@pytest.mark.parametrize("bad", [b"\x01", b"\x3f", b"\x40", b"\x41" + bytes(65),
                                 b"\x00\x00", b"\x40" + bytes(63), b"\x40" + bytes(65)])
def test_other_signature_fields_are_refused(vectors: dict[str, bytes], bad: bytes) -> None:
    pre = vectors["GCS04_SUCCESS_PRECOMMAND"]
    with pytest.raises(DecodeError) as info:
        messages.decode(pre + bad)
    assert len(pre) <= info.value.offset <= len(pre) + len(bad)


def test_unmodelled_message_code_keeps_opaque_payload(vectors: dict[str, bytes]) -> None:
    """The envelope still decodes for a use case nobody has modelled."""
    apdu = messages.apdu_of(messages.decode(vectors["GCS04_SUCCESS_PRECOMMAND"]))
    raw = messages.content_bytes(apdu)
    other = GeneralSigning(apdu.cra, 7, apdu.originator, apdu.recipient, 0x0FFF, raw)
    data = messages.encode(other)
    decoded = messages.decode(data)
    assert decoded.payload == raw and messages.use_case_of(decoded) is None
    assert messages.encode(decoded) == data


@pytest.mark.parametrize(("struct", "data", "expected"), [
    (envelope.MessageStruct, b"", "empty input where a MAC header DD or a general-signing"),
    (envelope.MessageStruct, b"\xd9\x00", "tag D9 is not a MAC header DD or a general-signing"),
    (dlms.XdlmsStruct, b"", "empty input where an xDLMS ACCESS-Request D9"),
    (dlms.XdlmsStruct, b"\xdf\x00", "tag DF is not an xDLMS ACCESS-Request D9"),
])
def test_a_tagged_layout_refuses_an_empty_input_or_another_tag(struct, data, expected) -> None:
    """SR-1/SR-2: the first byte picks the layout; nothing else is guessed at."""
    with pytest.raises(DecodeError) as err:
        wire.parse(struct, data)
    assert expected in str(err.value)


def test_a_tagged_layout_builds_only_its_own_value_types() -> None:
    with pytest.raises(ValidationError) as err:
        wire.build(envelope.MessageStruct, dlms.AccessResponse.__new__(dlms.AccessResponse))
    assert "AccessResponse is not a MAC header DD" in str(err.value)
