"""tools/mutation_score.py: what counts as message text, and the score line (issue #12)."""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
import types
from collections.abc import Iterator

import pytest

from specpkg.errors import ValidationError
from specpkg.paths import REPO_DIR


@pytest.fixture(scope="module")
def tool() -> Iterator[types.ModuleType]:
    spec = importlib.util.spec_from_file_location(
        "mutation_score", REPO_DIR / "tools" / "mutation_score.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutation_score"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules["mutation_score"]


ORIGINAL = '''
def x_check__mutmut_orig(value):
    if value < 0:
        raise ValidationError("value", "must not be negative")
    return "ok"
'''
#: One mutant per line: its name and the line of the original it replaces.
MUTANTS = {
    "x_check__mutmut_1": ('"must not be negative"', '"XXmust not be negativeXX"'),
    "x_check__mutmut_2": ('"value", "must', '"XXvalueXX", "must'),
    "x_check__mutmut_3": ('"must not be negative"', "None"),
    "x_check__mutmut_4": ('return "ok"', 'return "XXokXX"'),
    "x_check__mutmut_5": ("value < 0", "value <= 0"),
}


def _mutants_file() -> str:
    text = ORIGINAL
    for name, (old, new) in MUTANTS.items():
        text += ORIGINAL.replace("x_check__mutmut_orig", name).replace(old, new)
    return text


def test_only_a_changed_message_argument_is_message_text(tool) -> None:
    """The reason of a ValidationError is message text; its field, a None in its place,
    a returned value and an operator are not."""
    tree = ast.parse(_mutants_file())
    module = types.SimpleNamespace(ValidationError=ValidationError)
    verdicts = {name: tool.message_text_only(f"pkg.mod.{name}", tree, module)
                for name in MUTANTS}
    assert verdicts == {"x_check__mutmut_1": True, "x_check__mutmut_2": False,
                        "x_check__mutmut_3": False, "x_check__mutmut_4": False,
                        "x_check__mutmut_5": False}


def test_every_string_of_a_reason_building_function_is_message_text(tool) -> None:
    source = ('def x_quarantine_reason__mutmut_orig(parts):\n    return "; ".join(parts)\n'
              'def x_quarantine_reason__mutmut_1(parts):\n    return "XX; XX".join(parts)\n'
              'def x_quarantine_reason__mutmut_2(parts):\n    return "; ".join(None)\n')
    tree = ast.parse(source)
    assert tool.message_text_only("m.x_quarantine_reason__mutmut_1", tree, types.SimpleNamespace())
    assert not tool.message_text_only("m.x_quarantine_reason__mutmut_2", tree,
                                      types.SimpleNamespace())


def test_score_counts_mutmut_statuses_and_ends_with_the_score_line(tool, tmp_path) -> None:
    """Killed and timeout count as killed; survived and no tests as not; skipped in no
    total; message-text and listed equivalent mutants are left out and counted."""
    package = tmp_path / "mutants" / "specpkg" / "meter"
    package.mkdir(parents=True)
    (package / "registers.py").write_text(_mutants_file(), encoding="utf-8")
    codes = {"x_check__mutmut_1": 0, "x_check__mutmut_2": 1, "x_check__mutmut_3": 36,
             "x_check__mutmut_4": 0, "x_check__mutmut_5": 33, "x_check__mutmut_6": 34}
    meta = {"exit_code_by_key": {f"specpkg.meter.registers.{k}": v for k, v in codes.items()}}
    (package / "registers.py.meta").write_text(json.dumps(meta), encoding="utf-8")
    from mutmut.stats import status_by_exit_code

    equivalent = {"specpkg.meter.registers.x_check__mutmut_4": ("m", "why")}
    score = tool.score_module("specpkg/meter/registers.py", tmp_path / "mutants", equivalent,
                              status_by_exit_code)
    assert [n.rsplit(".", 1)[1] for n in score.killed] == ["x_check__mutmut_2",
                                                           "x_check__mutmut_3"]
    assert [(n.rsplit(".", 1)[1], s) for n, s in score.survived] == [
        ("x_check__mutmut_5", "no tests")]
    assert len(score.message_text) == len(score.equivalent) == score.uncounted == 1
    lines = tool.report([score], equivalent, set(score.killed), set())
    assert lines[-1] == "mutation score: 66.7% (killed 2 of 3)"
    assert "excluded: 1 message-text mutants, 1 equivalent mutants" in lines[-2]
