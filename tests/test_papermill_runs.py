"""Notebook 01 holds for every device x register x payment mode (papermill runs).

Each run writes an executed copy to build/papermill/; the notebook's own assert
cells check BR-1..BR-5 for the parameters it was given, so a run that fails an
assertion fails here.
"""

from __future__ import annotations

import itertools

import papermill
import pytest

from specpkg.meter.registers import DebtRegister, Device, PaymentMode
from specpkg.paths import BUILD_DIR, NOTEBOOK_DIR
from specpkg.workbook.runner import error_outputs, execute_notebook

NOTEBOOK = NOTEBOOK_DIR / "01_debt_registers_and_reset.ipynb"
CASES = list(itertools.product(Device, DebtRegister, PaymentMode))


@pytest.mark.notebook
@pytest.mark.parametrize(
    ("device", "register", "mode"), CASES, ids=[f"{d}-{r}-{m}" for d, r, m in CASES]
)
def test_notebook_01_for_every_combination(
    device: Device, register: DebtRegister, mode: PaymentMode
) -> None:
    out = BUILD_DIR / "papermill" / f"01_{device}_{register}_{mode}.ipynb"
    params = {"device": device.value, "register": register.value, "mode": mode.value,
              "reset_day": 9}
    executed = execute_notebook(NOTEBOOK, out, params)
    assert executed.metadata["papermill"]["parameters"] == params
    assert not error_outputs(executed)
    modes = next(c for c in executed.cells if c.source.startswith("modes = pd.DataFrame"))
    shown = modes.outputs[0]["data"]["text/plain"]
    assert register.value in shown and all(r.value not in shown for r in DebtRegister
                                           if r is not register)


def test_notebook_01_rejects_a_bad_parameter(tmp_path) -> None:
    """A bad parameter stops the run at once with the model's typed error."""
    with pytest.raises(papermill.PapermillExecutionError) as caught:
        execute_notebook(NOTEBOOK, tmp_path / "bad.ipynb", {"register": "TimeDebtRegister7"})
    assert caught.value.ename == "ValidationError"
    assert "unknown register" in caught.value.evalue
