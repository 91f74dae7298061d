"""One explicit use-case registry, complete whatever was imported first (SR-1, SR-2, SR-3)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from specpkg.duis.reset_request import DEFAULT_CLOCK
from specpkg.errors import ValidationError
from specpkg.gbcs import messages, reset_messages, usecases
from specpkg.gbcs.catalogue import RESET_DEBT_REGISTER, UPDATE_DEBT, load_catalogue
from specpkg.gbcs.usecases import GBZ, REGISTRY, XDLMS, Registry, UseCase
from specpkg.meter.registers import DebtRegister, Device

REPO = Path(__file__).resolve().parent.parent


def test_existing_and_reset_use_cases_are_registered() -> None:
    ecs07, gcs04 = REGISTRY.get(0x001E), REGISTRY.get(0x006E)
    assert (ecs07.name, ecs07.device, ecs07.codec, ecs07.service_reference) == (
        "ECS07", Device.ESME, XDLMS, UPDATE_DEBT)
    assert (gcs04.name, gcs04.device, gcs04.codec, gcs04.service_reference) == (
        "GCS04", Device.GSME, GBZ, UPDATE_DEBT)
    for entry in load_catalogue():
        found = REGISTRY.get(entry.message_code)
        assert found is not None and found.modelled
        assert (found.name, found.title, found.device, found.service_reference) == (
            entry.use_case, entry.use_case_name, entry.device, RESET_DEBT_REGISTER)
        assert found.codec is (XDLMS if entry.device is Device.ESME else GBZ)
    assert set(REGISTRY.modelled) == {0x001E, 0x006E} | {e.message_code for e in load_catalogue()}


def test_decoding_a_reset_needs_no_other_import() -> None:
    """In a fresh interpreter that imports only ``messages``, reset commands of both
    devices decode to typed payloads (no import-order side effect)."""
    pre = {device.value: messages.encode(reset_messages.pre_command(
        device, DebtRegister.PAYMENT_DEBT, "90B3D51F30010000",
        "00DB1234567890A0" if device is Device.ESME else "00DB1234567890A1", 5,
        DEFAULT_CLOCK)).hex()
        for device in Device}
    script = (
        "import json, sys\n"
        "from specpkg.gbcs import messages\n"
        f"pre = {json.dumps(pre)}\n"
        "decoded = {d: messages.decode(bytes.fromhex(h)) for d, h in pre.items()}\n"
        "out = {d: [type(m.payload).__name__, messages.use_case_of(m).name]\n"
        "       for d, m in decoded.items()}\n"
        "out['reset_messages imported'] = 'specpkg.gbcs.reset_messages' in sys.modules\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=REPO)
    assert json.loads(done.stdout) == {
        "ESME": ["AccessRequest", "ECS07b"], "GSME": ["Gbz", "GCS04b"],
        "reset_messages imported": False,
    }


def test_other_codes_are_named_from_the_gbcs_table(reference: Path) -> None:
    found = REGISTRY.get(0x0001)
    assert (found.name, found.title, found.modelled) == (
        "CCS01", "Add Device to CHF device log", False)
    assert REGISTRY.describe(0x0001) == "CCS01 Add Device to CHF device log (payload not modelled)"
    assert REGISTRY.describe(0x006E) == "GCS04 Manage Debt on the GSME"
    assert REGISTRY.get(0x7FFF) is None and REGISTRY.describe(0x7FFF) == "use case not known"


def test_without_the_reference_only_modelled_use_cases_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPECPKG_REFERENCE", str(tmp_path))
    assert REGISTRY.get(0x0001) is None
    assert REGISTRY.get(0x001E).name == "ECS07"


def test_a_message_code_is_registered_once() -> None:
    with pytest.raises(ValidationError, match="0x001e registered twice"):
        Registry([usecases.ECS07, UseCase(0x001E, "X", "twice", Device.ESME, XDLMS)])


def test_unmodelled_payload_stays_bytes_and_cannot_be_a_typed_value() -> None:
    assert REGISTRY.decode(0x0001, b"\x01\x02", 40) == b"\x01\x02"
    assert REGISTRY.encode(0x0001, b"\x01\x02") == b"\x01\x02"
    with pytest.raises(ValidationError, match="cannot encode int"):
        REGISTRY.encode(0x001E, 5)
