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


# ------------------------------------------------------------------ data mutants


@pytest.fixture(scope="module")
def data_tool() -> Iterator[types.ModuleType]:
    spec = importlib.util.spec_from_file_location(
        "data_mutation", REPO_DIR / "tools" / "data_mutation.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["data_mutation"] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules["data_mutation"]


def _project(root, limit: str = "0") -> None:
    """A project of one data file, one test reading it and a catalogue naming the test."""
    (root / "data").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "data" / "limits.csv").write_text(f"kind,limit\ndata_value,{limit}\n")
    (root / "data" / "requirements.csv").write_text(
        "id,area,requirement,notebook,tests\n"
        "SR-12,System,limits,n,tests/test_limits.py::test_the_data_value_limit_is_zero\n")
    (root / "tests" / "test_limits.py").write_text(
        "from pathlib import Path\n\n\n"
        "def test_the_data_value_limit_is_zero():\n"
        "    text = (Path(__file__).parent.parent / 'data' / 'limits.csv').read_text()\n"
        "    assert text.splitlines()[1] == 'data_value,0'\n")


def _mutant(data_tool, find: str, replace: str, mid: str = "m"):
    return data_tool.DataMutant(mid, "data/limits.csv", find, replace, "SR-12", "why")


def test_a_data_mutant_runs_its_rows_tests_in_a_copy_and_is_scored(data_tool, tmp_path,
                                                                     monkeypatch) -> None:
    """A real run on a one-test project: the mutant the row's test catches is killed
    (naming the test), one it cannot see survives, one whose text is gone is stale; the
    project itself is never changed."""
    _project(tmp_path)
    mutants = [_mutant(data_tool, "data_value,0", "data_value,100000", "raised"),
               _mutant(data_tool, "kind,limit", "kind,limit ", "unseen"),
               _mutant(data_tool, "volume,500", "volume,5000", "gone")]
    def quick(command, cwd):  # the real runner, without the project's pytest plugins
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        return data_tool.run_pytest(command, cwd)

    results = data_tool.run_all(mutants, tmp_path, quick)
    assert [(r.id, r.status) for r in results] == [
        ("raised", "killed"), ("unseen", "survived"), ("gone", "stale")]
    assert results[0].detail == "tests/test_limits.py::test_the_data_value_limit_is_zero"
    assert (tmp_path / "data" / "limits.csv").read_text() == "kind,limit\ndata_value,0\n"
    assert data_tool.report(results)[-1] == "data mutation score: 33.3% (killed 1 of 3)"


def test_other_pytest_outcomes_are_errors_and_the_file_is_restored(data_tool, tmp_path) -> None:
    _project(tmp_path)
    commands = []

    def collects_nothing(command, cwd):
        commands.append(command)
        assert (cwd / "data" / "limits.csv").read_text().endswith("data_value,7\n")
        return 5, ""

    result = data_tool.run_mutant(_mutant(data_tool, "data_value,0", "data_value,7"),
                                  tmp_path, collects_nothing)
    assert result.status == "error" and not result.killed
    assert commands[0][-1] == "tests/test_limits.py::test_the_data_value_limit_is_zero"
    assert (tmp_path / "data" / "limits.csv").read_text().endswith("data_value,0\n")


def test_the_declared_data_mutants_apply_to_the_files_and_rows_of_today(data_tool) -> None:
    """Every mutant of data/mutation/data_mutants.csv still finds its text (a stale one
    would count as not killed in make mutate) and names a requirement with tests."""
    mutants = data_tool.load_mutants()
    assert len({m.file for m in mutants}) >= 6
    for mutant in mutants:
        text = (REPO_DIR / mutant.file).read_text(encoding="utf-8")
        assert mutant.apply(text) not in (None, text), mutant.id
        assert data_tool.row_tests(mutant.requirement), mutant.id


def test_data_mutants_are_reported_apart_and_counted_in_the_score(tool, data_tool,
                                                                  tmp_path) -> None:
    results = [data_tool.DataResult("a", "SR-3", "killed", "t"),
               data_tool.DataResult("b", "TR-3", "survived", "2 tests of TR-3 pass")]
    path = tmp_path / "data.json"
    data_tool.write_results(results, path)
    data = tool.load_data_results(path)
    score = tool.ModuleScore("specpkg/x.py", killed=["k1", "k2"], survived=[("s", "survived")])
    lines = tool.report([score], {}, {"k1", "k2"}, {"k1", "k2", "s"}, data)
    assert lines[-3:] == ["code mutants: 66.7% (killed 2 of 3)",
                          "data mutants: 50.0% (killed 1 of 2)",
                          "mutation score: 60.0% (killed 3 of 5)"]
    assert any(line.strip().startswith("b  [survived] TR-3") for line in lines)
