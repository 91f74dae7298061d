"""The package's folders are its architecture: imports point down the layers only.

``workbook``, ``service`` > ``testing`` > ``system`` > ``anomaly``, ``duis`` > ``gbcs`` > ``meter``
> ``errors``, ``paths``, ``journal``. A module may import its own package and any lower layer;
``anomaly`` and ``duis`` share a layer and do not import each other. The command
line (``commands``, ``__main__``) sits on top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "specpkg"

#: Rank of each top-level part of the package; higher may import lower.
RANKS = {
    "errors": 0, "paths": 1, "journal": 1, "meter": 2, "gbcs": 3, "anomaly": 4, "duis": 4,
    "system": 5, "testing": 6, "workbook": 7, "service": 7, "commands": 8, "__main__": 9,
    "__init__": 9,
}
TOP_LEVEL_MODULES = {"__init__", "__main__", "errors", "paths", "journal"}
MAX_LINES = 450


def _part(module: str) -> str:
    """``specpkg.gbcs.dlms`` -> ``gbcs``; ``specpkg`` itself -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_part(name: str) -> bool:
    return (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every specpkg module ``path`` imports, as (line, dotted name), lazy imports too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("specpkg"):
            if node.module == "specpkg":  # a sub-package, a module, or a name of __init__
                found += [(node.lineno, f"specpkg.{a.name}" if _is_part(a.name) else "specpkg")
                          for a in node.names]
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("specpkg")]
    return found


def _violations(path: Path, package: Path = PACKAGE) -> list[str]:
    relative = path.relative_to(package)
    own = relative.parts[0].removesuffix(".py")
    out = []
    for line, module in _imports(path):
        target = _part(module)
        if target == own or (target == "__init__" and module == "specpkg"):
            continue
        if RANKS[target] >= RANKS[own]:
            out.append(f"{relative}:{line} imports {module} ({target} is not below {own})")
    return out


def test_every_part_of_the_package_has_a_rank():
    parts = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in _modules()}
    assert parts <= set(RANKS), parts - set(RANKS)


def test_no_top_level_module_but_the_four():
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == TOP_LEVEL_MODULES


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_layers(path):
    assert _violations(path) == []


def test_the_layer_check_catches_an_upward_import(tmp_path):
    """The check bites: a gbcs module importing the system layer is reported, its own
    package and a lower layer are not."""
    probe = tmp_path / "gbcs" / "probe.py"
    probe.parent.mkdir()
    probe.write_text("from specpkg.gbcs import wire\nfrom specpkg.meter import registers\n"
                     "def f():\n    from specpkg.system import dcc\n")
    assert _violations(probe, tmp_path) == [
        "gbcs/probe.py:4 imports specpkg.system (system is not below gbcs)"]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_small(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines"
