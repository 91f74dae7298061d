"""Notebooks 04 and 05 hold for every device x register (papermill runs).

Each run writes an executed copy to build/papermill/; the notebooks' own assert
cells check SR-1..SR-8, BR-4 and BR-5 for the parameters they were given, so a
run that fails an assertion fails here.
"""

from __future__ import annotations

import itertools

import papermill
import pytest

from specpkg.meter.registers import DebtRegister, Device
from specpkg.paths import BUILD_DIR, NOTEBOOK_DIR
from specpkg.workbook.runner import error_outputs, execute_notebook

NOTEBOOKS = ["04_reset_use_cases.ipynb", "05_routing_and_han.ipynb"]
CASES = list(itertools.product(NOTEBOOKS, Device, DebtRegister))


@pytest.mark.notebook
@pytest.mark.parametrize(
    ("name", "device", "register"), CASES, ids=[f"{n[:2]}-{d}-{r}" for n, d, r in CASES]
)
def test_notebook_for_every_device_and_register(
    name: str, device: Device, register: DebtRegister
) -> None:
    out = BUILD_DIR / "papermill" / f"{name[:2]}_{device}_{register}.ipynb"
    params = {"device": device.value, "register": register.value, "mode": "prepayment"}
    executed = execute_notebook(NOTEBOOK_DIR / name, out, params)
    assert executed.metadata["papermill"]["parameters"] == params
    assert not error_outputs(executed)


@pytest.mark.notebook
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_rejects_a_bad_parameter(name: str, tmp_path) -> None:
    """A bad parameter stops the run at once with the model's typed error."""
    with pytest.raises(papermill.PapermillExecutionError) as caught:
        execute_notebook(NOTEBOOK_DIR / name, tmp_path / "bad.ipynb", {"device": "IHD"})
    assert caught.value.ename == "ValidationError"
