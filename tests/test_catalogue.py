"""Message Mapping Catalogue of SR 2.4 "Reset Debt Register" (SR-1, SR-2, SR-3, SR-8, TR-6)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from specpkg.errors import ValidationError
from specpkg.gbcs.catalogue import (
    PROVISIONAL_FIELDS,
    REFERENCE_FILES,
    RESET_DEBT_REGISTER,
    derive_catalogue,
    load_catalogue,
    write_catalogue,
)
from specpkg.meter.registers import DebtRegister, Device


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_one_entry_per_device_and_register(catalogue) -> None:
    pairs = [(e.device, e.register) for e in catalogue]
    assert sorted(pairs) == sorted((d, r) for d in Device for r in DebtRegister)
    assert {e.service_reference for e in catalogue} == {RESET_DEBT_REGISTER}


def test_gsme_payload_is_change_debt_to_zero_absolute(catalogue) -> None:
    """SR-1: GSME uses ZCL Change Debt (cluster 0x0705, command 0x02), amount 0, absolute type."""
    expected = {
        DebtRegister.TIME_DEBT_1: 0x00,
        DebtRegister.TIME_DEBT_2: 0x02,
        DebtRegister.PAYMENT_DEBT: 0x04,
    }
    for register, amount_type in expected.items():
        e = catalogue.entry(Device.GSME, register)
        assert (e.protocol, e.zcl_cluster, e.zcl_command) == ("ZCL", 0x0705, 0x02)
        assert e.debt_amount_type == amount_type and e.value == 0
        assert e.dlms_class_id is None and e.dlms_obis is None and e.dlms_method is None


def test_esme_payload_is_set_total_amount_remaining_zero(catalogue) -> None:
    """SR-2: ESME uses DLMS ACTION, Charge class 113, method 5, value 0."""
    for n, register in enumerate(DebtRegister, start=1):
        e = catalogue.entry(Device.ESME, register)
        assert (e.protocol, e.dlms_class_id, e.dlms_method) == ("DLMS", 113, 5)
        assert e.dlms_obis == f"0-0:19.20.{n}.255" and e.value == 0
        assert e.zcl_cluster is None and e.debt_amount_type is None


def test_one_use_case_and_message_code_per_device(catalogue) -> None:
    for device in Device:
        entries = [e for e in catalogue if e.device is device]
        assert len({(e.use_case, e.message_code) for e in entries}) == 1
    assert len({e.message_code for e in catalogue}) == len(Device)


def test_provisional_values_are_flagged(catalogue) -> None:
    for e in catalogue:
        assert e.provisional == PROVISIONAL_FIELDS
        assert {"service_reference", "use_case", "message_code"} <= set(e.provisional)
        assert "message_category" not in e.provisional  # derived, not invented
        assert "gbcs-use-cases.json" in e.provenance and "duis-request-matrix.json" in e.provenance
    assert "provisional" in dict(catalogue.meta)["status"]


def test_lookup_refuses_unknown(catalogue) -> None:
    with pytest.raises(ValidationError):
        catalogue.entry("CHF", DebtRegister.TIME_DEBT_1)


def test_write_then_load_round_trip(catalogue, tmp_path: Path) -> None:
    write_catalogue(catalogue, tmp_path)
    assert load_catalogue(tmp_path) == catalogue


# --- SR-3 and collision checks: need ../shared/reference ---------------------------------


def test_sr3_committed_catalogue_equals_derivation_from_reference(reference, catalogue) -> None:
    """SR-3: re-derive category and roles from ECS07/GCS04 and SR 2.3; the committed files agree."""
    assert derive_catalogue(reference) == catalogue


def test_sr3_category_and_roles_are_those_of_the_adjust_debt_use_cases(reference, catalogue):
    """SR-3 checked independently of derive_catalogue: same category and access rights."""
    use_cases = {u["Code"]: u for u in json.loads((reference / "gbcs-use-cases.json").read_text())}
    matrix = json.loads((reference / "duis-request-matrix.json").read_text())
    (sr23,) = [r for r in matrix if r["Service Reference Variant"] == "2.3"]
    assert sr23["Critical"] == "Yes"
    for e in catalogue:
        source = use_cases["ECS07" if e.device is Device.ESME else "GCS04"]
        assert e.message_category == source["Message Type"] == "SME.C.C"
        assert set(e.eligible_user_roles) <= set(sr23["Eligible User Roles"])
    assert {r for e in catalogue for r in e.eligible_user_roles} == set(sr23["Eligible User Roles"])
    assert catalogue.entry(Device.ESME, DebtRegister.TIME_DEBT_1).eligible_user_roles == ("IS",)
    assert catalogue.entry(Device.GSME, DebtRegister.TIME_DEBT_1).eligible_user_roles == ("GS",)


def test_message_codes_collide_with_none_in_reference(reference, catalogue) -> None:
    lines = (reference / "gbcs-message-codes.tsv").read_text().splitlines()[1:]
    taken = {int(line.split("\t")[0], 16) for line in lines if line.strip()}
    assert len(taken) >= 200
    for e in catalogue:
        assert e.message_code not in taken, e.message_code_hex


def test_use_cases_and_service_reference_are_free_in_reference(reference, catalogue) -> None:
    use_cases = json.loads((reference / "gbcs-use-cases.json").read_text())
    codes = {u["Code"] for u in use_cases}
    names = (reference / "gbcs-message-codes.tsv").read_text()
    matrix = json.loads((reference / "duis-request-matrix.json").read_text())
    refs = {r["Service Reference"] for r in matrix}
    refs |= {r["Service Reference Variant"] for r in matrix}
    for e in catalogue:
        assert e.use_case not in codes and f"\t{e.use_case} " not in names
        assert e.service_reference not in refs and e.service_reference_variant not in refs


def _reference_copy(reference: Path, tmp_path: Path) -> Path:
    for name in REFERENCE_FILES:
        shutil.copy(reference / name, tmp_path / name)
    return tmp_path


def test_derivation_refuses_a_taken_service_reference(reference, tmp_path: Path) -> None:
    ref = _reference_copy(reference, tmp_path)
    matrix = json.loads((ref / "duis-request-matrix.json").read_text())
    matrix.append({**matrix[0], "Service Reference": "2.4", "Service Reference Variant": "2.4"})
    (ref / "duis-request-matrix.json").write_text(json.dumps(matrix))
    with pytest.raises(ValidationError, match=r"2\.4"):
        derive_catalogue(ref)


def test_derivation_refuses_a_taken_message_code(reference, tmp_path: Path) -> None:
    ref = _reference_copy(reference, tmp_path)
    with (ref / "gbcs-message-codes.tsv").open("a") as fh:
        fh.write("0x0F02\tXX01 Someone else's use case\n")
    with pytest.raises(ValidationError, match="0x0F02"):
        derive_catalogue(ref)


def test_derivation_follows_the_reference(reference, tmp_path: Path) -> None:
    """Derived, not copied: if SR 2.3's roles changed, the catalogue would follow."""
    ref = _reference_copy(reference, tmp_path)
    matrix = json.loads((ref / "duis-request-matrix.json").read_text())
    for row in matrix:
        if row["Service Reference Variant"] == "2.3":
            row["Eligible User Roles"] = ["IS"]
    (ref / "duis-request-matrix.json").write_text(json.dumps(matrix))
    with pytest.raises(ValidationError, match="GSME"):
        derive_catalogue(ref)


def test_f15_new_service_request_takes_the_attributes_of_sr_2_3(reference) -> None:
    """F-15: the specification gives the new Service Request no attributes beyond
    Critical; the workbook's are those of SR 2.3 in the reference DUIS request matrix."""
    matrix = json.loads((reference / "duis-request-matrix.json").read_text(encoding="utf-8"))
    (update_debt,) = [r for r in matrix if r["Service Reference Variant"] == "2.3"]
    assert (update_debt["Critical"], update_debt["On Demand"],
            update_debt["Future Dated Response Pattern"], update_debt["DCC Scheduled"]) == (
        "Yes", "Yes", "No", "No")
    entry = load_catalogue().entry(Device.ESME, DebtRegister.TIME_DEBT_1)
    assert entry.message_category == "SME.C.C"  # Critical, as SR 2.3
    assert not any(r["Service Reference"] == entry.service_reference for r in matrix)
