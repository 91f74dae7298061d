"""Structure of notebooks 07 and 09: requirement headings in order, a parameters cell."""

from __future__ import annotations

import re

import nbformat
import pytest

from specpkg.paths import NOTEBOOK_DIR


def headings(name: str) -> list[str]:
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    found = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found += re.findall(r"^## ((?:TR|IMP)-\d+): ", cell.source, flags=re.MULTILINE)
    return found


def test_notebook_07_has_tr1_to_tr10_in_order():
    assert headings("07_testing_services.ipynb") == [f"TR-{n}" for n in range(1, 11)]


def test_notebook_09_has_imp1():
    assert headings("09_implementation.ipynb") == ["IMP-1"]


@pytest.mark.parametrize("name", ["07_testing_services.ipynb", "09_implementation.ipynb"])
def test_first_code_cell_is_tagged_parameters_and_outputs_are_committed(name):
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(c.execution_count is not None for c in code)
    text = nbformat.writes(nb)
    assert "/work/" not in text and "Traceback" not in text
