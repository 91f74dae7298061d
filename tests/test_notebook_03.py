"""Notebook 03 holds for every device x register (papermill runs; SR-9, SR-3, TR-5..TR-7)."""

from __future__ import annotations

import itertools

import papermill
import pytest

from specpkg.meter.registers import DebtRegister, Device
from specpkg.paths import BUILD_DIR, NOTEBOOK_DIR
from specpkg.workbook.runner import error_outputs, execute_notebook

NOTEBOOK = NOTEBOOK_DIR / "03_service_request_and_response.ipynb"
CASES = list(itertools.product(Device, DebtRegister))


@pytest.mark.notebook
@pytest.mark.parametrize(("device", "register"), CASES, ids=[f"{d}-{r}" for d, r in CASES])
def test_notebook_03_for_every_combination(device: Device, register: DebtRegister) -> None:
    out = BUILD_DIR / "papermill" / f"03_{device}_{register}.ipynb"
    params = {"device": device.value, "register": register.value, "counter": 7}
    executed = execute_notebook(NOTEBOOK, out, params)
    assert not error_outputs(executed)
    texts = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert f"<sr:{register.value}/>" in texts and "signature valid: True" in texts


@pytest.mark.notebook
def test_notebook_03_rejects_a_bad_parameter(tmp_path) -> None:
    with pytest.raises(papermill.PapermillExecutionError) as caught:
        execute_notebook(NOTEBOOK, tmp_path / "bad.ipynb", {"register": "TimeDebtRegister7"})
    assert caught.value.ename == "ValidationError"
