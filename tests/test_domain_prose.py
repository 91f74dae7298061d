"""Sentences of the data tables and the workbook that state a fact of the model or of the
specification: each is generated from the model, or checked here against it (issue 19,
disagreements 1, 4, 5 and 8)."""

from __future__ import annotations

import csv
import json

from specpkg.gbcs.catalogue import load_catalogue
from specpkg.gbcs.cosem import ChargeMethod
from specpkg.meter.registers import DebtRegister, Device
from specpkg.paths import DATA_DIR, REPO_DIR, reference_dir
from specpkg.testing import testplan


def _raw(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / "testing" / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_participants_name_the_reset_service_request_the_catalogue_gives() -> None:
    """Disagreement 1: the Users send the reset Service Request whose number the catalogue
    gives (2.4 today); participants.csv types no number, the model fills it in."""
    entry = load_catalogue().entry(Device.ESME, DebtRegister.TIME_DEBT_1)
    users = testplan.participants().set_index("participant").loc[
        "Users: Import Suppliers and Gas Suppliers", "role_in_testing"]
    assert f"Service Request {entry.service_reference} {entry.service_request_name}" in users
    raw = next(r for r in _raw("participants.csv") if r["kind"] == "User")
    assert "{reset_service_request}" in raw["role_in_testing"]
    assert "Service Request 2." not in raw["role_in_testing"]


def test_a8_names_the_esme_method_the_catalogue_uses_and_that_it_takes_a_value() -> None:
    """Disagreement 4: A8 says which DLMS method the ESME reset uses, from the catalogue,
    and, with F-1 and notebook 04, that it takes a value: the Charge class has no
    parameterless reset (DLMS UA Blue Book, IEC 62056-6-2, class 113)."""
    method = ChargeMethod(load_catalogue().entry(Device.ESME, DebtRegister.PAYMENT_DEBT)
                          .dlms_method)
    a8 = testplan.assumptions().set_index("id").loc["A8"]
    assert f"method {int(method)} {method.name.lower()}" in a8["rationale"]
    assert "takes a value" in a8["rationale"] and "F-1" in a8["rationale"]
    assert "DLMS reset method" not in next(r for r in _raw("assumptions.csv")
                                           if r["id"] == "A8")["rationale"]


def _markdown(notebook: str) -> str:
    cells = json.loads((REPO_DIR / "notebooks" / notebook).read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def test_notebook_05_says_what_the_specification_says_of_installed_meters() -> None:
    """Disagreement 8: the specification says there is "no requirement to update" installed
    meters, not that they are not updated; notebook 05 says the former."""
    spec = reference_dir() / "SECMP0002-solution-design-specification.txt"
    text = _markdown("05_routing_and_han.ipynb")
    assert "no requirement to update" in text.replace("**", "")
    assert "meters already installed are not updated" not in text
    assert "are **not updated**" not in text
    if spec.is_file():
        assert "there is no requirement to update" in " ".join(spec.read_text().split())
