"""Bad input: arbitrary bytes, truncations and corrupted length fields raise only
DecodeError naming offset and reason; whatever decodes re-encodes identically
(SR-1, SR-2, BR-5)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specpkg.duis.reset_request import DEFAULT_DEVICE_IDS, DEFAULT_USER_ID
from specpkg.errors import DecodeError
from specpkg.gbcs import dump, messages, samples
from specpkg.gbcs.envelope import GeneralSigning
from specpkg.gbcs.security import Keys
from specpkg.gbcs.vectors import load_vectors
from specpkg.paths import PKI_DIR

settings.register_profile(
    "codec-ci",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "codec-dev",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
PROFILE = settings.get_profile("codec-ci" if os.environ.get("CI") else "codec-dev")


@pytest.fixture(scope="module")
def vectors(reference: Path) -> dict[str, bytes]:
    """The 12 reference vectors, and messages sent without signature (``00``) but
    MAC'd: responses of each use case and non-critical alerts (project PKI)."""
    found = load_vectors(reference)
    unsigned = [(kind, data) for kind, data in samples.mixed_messages(
        Keys(PKI_DIR), DEFAULT_USER_ID, DEFAULT_DEVICE_IDS, 120, seed=7)
        if messages.apdu_of(messages.decode(data)).signature == b""]
    for i, (kind, data) in enumerate(unsigned[:8]):
        found[f"unsigned {kind} {i} {messages.use_case_of(messages.decode(data))}"] = data
    return found


def _outcome(data: bytes) -> str:
    """Decode ``data``: either it round-trips exactly, or it is a DecodeError
    with an offset inside the input and a reason. Nothing else may happen."""
    try:
        message = messages.decode(data)
    except DecodeError as exc:
        assert isinstance(exc.offset, int) and 0 <= exc.offset <= len(data), exc
        assert exc.reason and str(exc).startswith(f"at offset {exc.offset}: ")
        return "error"
    assert messages.encode(message) == data == messages.encode(message, fast=False)
    assert messages.decode(data, fast=False) == message
    return "ok"


@PROFILE
@given(st.binary(max_size=600))
def test_arbitrary_bytes(data: bytes) -> None:
    _outcome(data)


envelope_like = st.tuples(
    st.sampled_from([b"\xdd" + bytes(6), b"\xdf\x09\x01", b"\xdf\x09\x02"]), st.binary(max_size=400)
).map(lambda parts: parts[0] + parts[1])


@PROFILE
@given(envelope_like)
def test_arbitrary_bytes_behind_a_valid_tag(data: bytes) -> None:
    _outcome(data)


@PROFILE
@given(st.data())
def test_mutated_vectors(vectors: dict[str, bytes], data: st.DataObject) -> None:
    """Random byte edits of real messages: fast path and construct agree."""
    name = data.draw(st.sampled_from(sorted(vectors)))
    raw = bytearray(vectors[name])
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    _outcome(bytes(raw))


def test_every_truncation(vectors: dict[str, bytes]) -> None:
    """Every strict prefix of every vector is refused, except a signed bare APDU
    cut exactly before its signature: that is its (valid) unsigned pre-form."""
    for name, data in vectors.items():
        message = messages.decode(data)
        unsigned_end = None
        if isinstance(message, GeneralSigning) and message.signature is not None:
            unsigned_end = len(data) - 1 - len(message.signature)
        for end in range(len(data)):
            prefix = data[:end]
            if end == unsigned_end:
                assert messages.decode(prefix).signature is None
                continue
            with pytest.raises(DecodeError) as info:
                messages.decode(prefix)
            assert 0 <= info.value.offset <= end, (name, end)


def _length_fields(data: bytes) -> list[tuple[int, int, str]]:
    """(offset, size, field) of every length and count field, from the dump."""
    return [
        (offset, len(raw.split()), field)
        for offset, raw, field, _value, _meaning in dump.rows(data)
        if field.endswith(("length", "count"))
    ]


def _corruptions(raw: bytes) -> set[bytes]:
    size = len(raw)
    value = int.from_bytes(raw, "big")
    out = set()
    if size == 1:
        out |= {
            bytes([v])
            for v in (
                0,
                1,
                0x7F,
                0x80,
                0x81,
                0x82,
                0x83,
                0xFF,
                (value + 1) % 256,
                (value - 1) % 256,
            )
        }
    else:
        for delta in (1, -1, 0x10):
            out.add(((value + delta) % (1 << (8 * size))).to_bytes(size, "big"))
        out |= {bytes(size), b"\xff" * size, bytes([0x83]) + raw[1:], bytes([raw[-1]]) + raw[1:]}
    out.discard(raw)
    return out


def test_every_length_field_corruption(vectors: dict[str, bytes]) -> None:
    """Every length/count field of every vector, set to a wrong value, is refused.

    One honest exception: A-XDR items inside the xDLMS data are self-delimiting,
    so a wrong octet-string length can re-synchronise into another well-formed
    message (ECS07: an OBIS octet-string 06 -> 07 swallows the next item's tag).
    Such a message is not an error but a different message: it must differ from
    the original and re-encode to exactly the corrupted bytes.
    """
    checked = 0
    resynchronised = set()
    for name, data in vectors.items():
        original = messages.decode(data)
        fields = _length_fields(data)
        assert len(fields) >= 5, name
        for offset, size, field in fields:
            for bad in _corruptions(data[offset : offset + size]):
                corrupted = data[:offset] + bad + data[offset + size :]
                checked += 1
                try:
                    message = messages.decode(corrupted)
                except DecodeError as exc:
                    assert 0 <= exc.offset <= len(corrupted), (name, field)
                    continue
                assert field.startswith("data[") and "." in field, (name, field, bad.hex())
                assert message != original and messages.encode(message) == corrupted
                resynchronised.add(field)
    assert checked > 1000
    assert resynchronised <= {"data[1].2.2 length", "data[2].2.2 length"}


def test_hostile_counts_do_not_allocate_or_hang() -> None:
    head = bytes.fromhex("DF09010000000000000001080102030405060708080102030405060708 00 02001E")
    for content in ("82FFFF D9", "05 D9200000 00 82FFFF", "0C D920000001 00 00 82FFFF 0201"):
        with pytest.raises(DecodeError):
            messages.decode(head + bytes.fromhex(content))
    gbz = bytes.fromhex(
        "DF09010000000000000001080102030405060708080102030405060708 00 02006E 08 0109FF 000705FFFF"
    )
    with pytest.raises(DecodeError):
        messages.decode(gbz)


@pytest.mark.parametrize("bad", [None, "DF09", 42])
def test_non_bytes_input(bad: object) -> None:
    with pytest.raises(DecodeError):
        messages.decode(bad)  # type: ignore[arg-type]
