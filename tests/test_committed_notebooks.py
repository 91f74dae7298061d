"""Committed notebooks are complete, deterministic-looking and parameterised."""

from __future__ import annotations

import re

import nbformat
import pytest

from specpkg.paths import NOTEBOOK_DIR

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
UNSTABLE = {
    "memory address": re.compile(r"\bat 0x[0-9a-fA-F]{6,}"),
    "absolute path": re.compile(r"(/work/|/home/|/tmp/|/root/|[A-Z]:\\\\)"),
    "timing": re.compile(r"\b(Wall time|CPU times|\d+(\.\d+)? ?(ms|µs|s) ± )"),
}


def _texts(nb: nbformat.NotebookNode) -> list[str]:
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            texts.append(out.get("text", ""))
            for kind, value in out.get("data", {}).items():
                if kind.startswith("text/"):
                    texts.append(value if isinstance(value, str) else "".join(value))
    return texts


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_committed_with_outputs_and_no_errors(path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), "not fully executed"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_outputs_hold_nothing_unstable(path) -> None:
    nb = nbformat.read(path, as_version=4)
    for text in _texts(nb):
        for what, pattern in UNSTABLE.items():
            assert not pattern.search(text), f"{path.name}: {what} in output: {text[:200]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_with_prose(path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if not p.name.startswith("00_")],
                         ids=lambda p: p.name)
def test_notebook_has_a_parameters_cell(path) -> None:
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code"
