"""Notebook 03 holds for every device x register (papermill runs; SR-9, SR-3, TR-5..TR-7)."""

from __future__ import annotations

import itertools

import nbformat
import papermill
import pytest

from specpkg.paths import BUILD_DIR, NOTEBOOK_DIR
from specpkg.registers import DebtRegister, Device

NOTEBOOK = NOTEBOOK_DIR / "03_service_request_and_response.ipynb"
CASES = list(itertools.product(Device, DebtRegister))


@pytest.mark.notebook
@pytest.mark.parametrize(("device", "register"), CASES, ids=[f"{d}-{r}" for d, r in CASES])
def test_notebook_03_for_every_combination(device: Device, register: DebtRegister) -> None:
    out = BUILD_DIR / "papermill" / f"03_{device}_{register}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    params = {"device": device.value, "register": register.value, "counter": 7}
    papermill.execute_notebook(
        str(NOTEBOOK), str(out), parameters=params, kernel_name="python3",
        cwd=str(NOTEBOOK_DIR), progress_bar=False,
    )
    executed = nbformat.read(out, as_version=4)
    errors = [o for c in executed.cells for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    texts = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert f"<sr:{register.value}/>" in texts and "signature valid: True" in texts


@pytest.mark.notebook
def test_notebook_03_rejects_a_bad_parameter(tmp_path) -> None:
    with pytest.raises(papermill.PapermillExecutionError) as caught:
        papermill.execute_notebook(
            str(NOTEBOOK), str(tmp_path / "bad.ipynb"),
            parameters={"register": "TimeDebtRegister7"}, kernel_name="python3",
            cwd=str(NOTEBOOK_DIR), progress_bar=False,
        )
    assert caught.value.ename == "ValidationError"
