"""The mutation score of the rule modules, from mutmut's results (issue #12).

    python tools/mutation_score.py [--mutants DIR] [--equivalent CSV] [--module NAME ...]

Reads what ``mutmut run`` left in ``mutants/`` for every module of
``[tool.mutmut] only_mutate`` and prints, per module, the mutants killed and
survived, the name of every survivor (``mutmut show NAME`` shows its diff) and,
as its last line, ``mutation score: NN.N% (killed K of N)``.

Statuses are mutmut's own (``mutmut.stats.status_by_exit_code``): ``killed`` and
``timeout`` count as killed (as in mutmut's own score); ``skipped`` counts in no
total; ``survived``, ``no tests``, ``suspicious``, ``segfault`` and a mutant that
was ``not checked`` all count as not killed. Two kinds of mutant are left out of
N, each counted and printed:

* **message text** (killed or not, so they raise no score): the mutant changes
  nothing but string literals that are (part of) a message. Decided mechanically:
  both functions are parsed and every string constant in a message position is
  blanked; the mutant is message text iff the
  two blanked trees are equal. A message position is an argument bound to a
  parameter named in :data:`MESSAGE_PARAMETERS` (``reason``, ``detail``, ...) or to
  the ``*args`` of an exception class, the callee resolved in the original module
  (a module-level name, a dotted attribute of one, or ``self.method``); a keyword
  argument of such a name counts even when the callee cannot be resolved.
* **equivalent**: listed in ``data/mutation/equivalent.csv`` (mutant, module, why),
  a mutant no test can tell apart from the original. A listed mutant that mutmut
  found killed, or no longer produces, is reported as stale.

With ``--data JSON`` (the results ``tools/data_mutation.py --out`` wrote: the data
mutants of ``data/mutation/data_mutants.csv``, each run against the tests of the
requirement row that depends on it), the last lines report the code mutants and the
data mutants apart, the data mutants not killed by name, and the score line counts
both: ``mutation score: NN.N% (killed K of N)``.
"""

from __future__ import annotations

import argparse
import ast
import copy
import csv
import importlib
import inspect
import json
import re
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EQUIVALENT_CSV = REPO / "data" / "mutation" / "equivalent.csv"
EQUIVALENT_COLUMNS = ("mutant", "module", "why")

#: Parameters whose argument is message text: what a refusal, a log line or a verdict
#: says in words, never what a caller branches on.
MESSAGE_PARAMETERS = frozenset({"reason", "message", "msg", "detail", "description"})
#: Functions whose every string is message text: they build a description or a reason.
MESSAGE_FUNCTION = re.compile(r"^(describe\w*|\w+_reason)$")
#: mutmut statuses that count as killed (mutmut's own score counts both).
KILLED = frozenset({"killed", "timeout"})
#: Statuses that count in no total.
NOT_COUNTED = frozenset({"skipped"})

_PLACEHOLDER = "<message>"
_MUTANT_SUFFIX = re.compile(r"__mutmut_\d+$")


@dataclass
class ModuleScore:
    """What became of one module's mutants."""

    path: str
    killed: list[str] = field(default_factory=list)
    survived: list[tuple[str, str]] = field(default_factory=list)  # (name, status)
    message_text: list[str] = field(default_factory=list)
    equivalent: list[str] = field(default_factory=list)
    uncounted: int = 0

    @property
    def total(self) -> int:
        return len(self.killed) + len(self.survived)


def rule_modules(pyproject: Path = REPO / "pyproject.toml") -> list[str]:
    """The modules mutmut mutates: ``[tool.mutmut] only_mutate``."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["mutmut"]
    return list(config["only_mutate"])


def load_equivalent(path: Path = EQUIVALENT_CSV) -> dict[str, tuple[str, str]]:
    """Mutant name -> (module, why) of the mutants recorded as equivalent."""
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != EQUIVALENT_COLUMNS:
            raise SystemExit(f"{path}: columns must be {', '.join(EQUIVALENT_COLUMNS)}")
        rows = list(reader)
    out: dict[str, tuple[str, str]] = {}
    for number, row in enumerate(rows, start=2):
        if not row["why"].strip():
            raise SystemExit(f"{path} line {number}: {row['mutant']} gives no reason")
        out[row["mutant"]] = (row["module"], row["why"])
    return out


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function of a module and of its classes, by name (mutmut's names are unique)."""
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    bodies = [tree.body] + [c.body for c in tree.body if isinstance(c, ast.ClassDef)]
    for body in bodies:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found[node.name] = node
    return found


class _Resolver:
    """Finds the callee of a call in the original module, to bind its arguments."""

    def __init__(self, module: Any, class_name: str | None) -> None:
        self.module = module
        self.cls = getattr(module, class_name, None) if class_name else None

    def callee(self, func: ast.expr) -> tuple[Any, bool]:
        """(object, bound): ``bound`` when a ``self.`` method (``self`` not passed)."""
        chain: list[str] = []
        while isinstance(func, ast.Attribute):
            chain.append(func.attr)
            func = func.value
        if not isinstance(func, ast.Name):
            return None, False
        chain.reverse()
        if func.id == "self":
            if self.cls is None or len(chain) != 1:
                return None, False
            return inspect.getattr_static(self.cls, chain[0], None), True
        obj = getattr(self.module, func.id, None)
        for name in chain:
            obj = getattr(obj, name, None)
        return obj, False

    def message_arguments(self, call: ast.Call) -> list[ast.expr]:
        """The arguments of ``call`` that are message text."""
        out = [k.value for k in call.keywords if k.arg in MESSAGE_PARAMETERS]
        obj, bound = self.callee(call.func)
        if obj is None or any(isinstance(a, ast.Starred) for a in call.args):
            return out
        try:
            signature = inspect.signature(obj)
        except (TypeError, ValueError):
            return out
        params = list(signature.parameters.values())[1 if bound else 0:]
        is_exception = inspect.isclass(obj) and issubclass(obj, BaseException)
        for index, argument in enumerate(call.args):
            param = params[min(index, len(params) - 1)] if params else None
            if param is None or (index >= len(params)
                                 and param.kind is not inspect.Parameter.VAR_POSITIONAL):
                break
            if param.kind is inspect.Parameter.VAR_POSITIONAL:
                if is_exception:
                    out.append(argument)
            elif param.name in MESSAGE_PARAMETERS:
                out.append(argument)
        return out


class _BlankMessages(ast.NodeTransformer):
    """Replaces every string constant in a message position by one placeholder."""

    def __init__(self, resolver: _Resolver) -> None:
        self.resolver = resolver

    def visit_Call(self, node: ast.Call) -> ast.AST:
        messages = {id(a) for a in self.resolver.message_arguments(node)}
        node.args = [_blank(a) if id(a) in messages else self.visit(a) for a in node.args]
        for keyword in node.keywords:
            keyword.value = (_blank(keyword.value) if id(keyword.value) in messages
                             else self.visit(keyword.value))
        node.func = self.visit(node.func)
        return node


def _blank(expr: Any) -> Any:
    """``expr`` (any node) with every string constant in it replaced by the placeholder."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = _PLACEHOLDER
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return ast.Constant(_PLACEHOLDER)
    return expr


def _function_name(generated_name: str) -> str:
    """The mutated function's own name (``x_name__mutmut_3``, ``xǁClassǁname__mutmut_3``)."""
    stem = _MUTANT_SUFFIX.sub("", generated_name)
    return stem.split("ǁ")[-1] if "ǁ" in stem else stem.removeprefix("x_")


def _class_of(generated_name: str) -> str | None:
    """The class of a method mutant (mutmut names it ``xǁClassǁmethod__mutmut_N``)."""
    parts = generated_name.split("ǁ")
    return parts[1] if len(parts) == 3 else None


def _normalised(function: ast.FunctionDef | ast.AsyncFunctionDef, resolver: _Resolver,
                builds_messages: bool) -> str:
    """The function's tree with its name, decorators and message text blanked."""
    function = copy.deepcopy(function)
    function.name = "f"
    function.decorator_list = []
    if builds_messages:
        function.body = [_blank(node) for node in function.body]  # type: ignore[misc]
    return ast.dump(_BlankMessages(resolver).visit(function))


def message_text_only(mutant: str, tree: ast.Module, module: Any) -> bool:
    """Whether ``mutant`` changes nothing but message text (see the module docstring)."""
    generated = mutant.rpartition(".")[2]
    functions = _functions(tree)
    original = functions.get(_MUTANT_SUFFIX.sub("__mutmut_orig", generated))
    mutated = functions.get(generated)
    if original is None or mutated is None:
        return False
    resolver = _Resolver(module, _class_of(generated))
    builds = bool(MESSAGE_FUNCTION.match(_function_name(generated)))
    return _normalised(mutated, resolver, builds) == _normalised(original, resolver, builds)


def score_module(path: str, mutants_dir: Path, equivalent: dict[str, tuple[str, str]],
                 status_of: Any) -> ModuleScore:
    """Classify every mutant of one module."""
    result = ModuleScore(path)
    meta_path = mutants_dir / (path + ".meta")
    if not meta_path.exists():
        raise SystemExit(f"no mutmut results for {path} ({meta_path}): run `make mutate`")
    exit_codes = json.loads(meta_path.read_text(encoding="utf-8"))["exit_code_by_key"]
    tree = ast.parse((mutants_dir / path).read_text(encoding="utf-8"))
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    for name, code in sorted(exit_codes.items(), key=lambda kv: _order(kv[0])):
        status = status_of[code]
        if status in NOT_COUNTED:
            result.uncounted += 1
        elif message_text_only(name, tree, module):  # left out of N, killed or not
            result.message_text.append(name)
        elif status in KILLED:
            result.killed.append(name)
        elif name in equivalent:
            result.equivalent.append(name)
        else:
            result.survived.append((name, status))
    return result


def _order(name: str) -> tuple[str, int]:
    stem, _, number = name.rpartition("__mutmut_")
    return stem, int(number) if number.isdigit() else 0


def load_data_results(path: Path) -> list[dict[str, str]]:
    """The data mutants' results (id, requirement, status, detail) written by
    ``tools/data_mutation.py --out``."""
    if not path.exists():
        raise SystemExit(f"no data mutation results at {path}: run tools/data_mutation.py --out")
    rows = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(rows, list) or any(
            not isinstance(r, dict) or not {"id", "requirement", "status"} <= set(r) for r in rows):
        raise SystemExit(f"{path}: not a list of data mutant results")
    return rows


def _score(killed: int, total: int) -> str:
    pct = 100 * killed / total if total else 0.0
    return f"{pct:.1f}% (killed {killed} of {total})"


def report(scores: list[ModuleScore], equivalent: dict[str, tuple[str, str]],
           killed_names: set[str], all_names: set[str],
           data: list[dict[str, str]] | None = None) -> list[str]:
    """The printed report; its last line is the score (of code and data mutants when
    ``data`` is given, each also reported on its own)."""
    lines = [f"{'module':40} {'killed':>7} {'of':>5} {'score':>7} {'message':>8} {'equiv':>6}"]
    for s in scores:
        pct = f"{100 * len(s.killed) / s.total:.1f}%" if s.total else "-"
        lines.append(f"{s.path:40} {len(s.killed):>7} {s.total:>5} {pct:>7} "
                     f"{len(s.message_text):>8} {len(s.equivalent):>6}")
    survivors = [(name, status) for s in scores for name, status in s.survived]
    if survivors:
        lines.append("")
        lines.append(f"not killed ({len(survivors)}; `mutmut show NAME` shows the diff):")
        counts = Counter(status for _, status in survivors)
        lines.append("  by status: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        lines.extend(f"  {name}  [{status}]" for name, status in survivors)
    stale = sorted(n for n in equivalent if n in killed_names or n not in all_names)
    if stale:
        lines.append("")
        lines.append("stale entries of the equivalent list (killed, or no longer produced):")
        lines.extend(f"  {name}" for name in stale)
    message_total = sum(len(s.message_text) for s in scores)
    equivalent_total = sum(len(s.equivalent) for s in scores)
    lines.append("")
    lines.append(f"excluded: {message_total} message-text mutants, "
                 f"{equivalent_total} equivalent mutants (data/mutation/equivalent.csv)")
    killed = sum(len(s.killed) for s in scores)
    total = sum(s.total for s in scores)
    if data is not None:
        data_killed = sum(r["status"] == "killed" for r in data)
        missed = [r for r in data if r["status"] != "killed"]
        if missed:
            lines.append(f"data mutants not killed ({len(missed)}; "
                         "data/mutation/data_mutants.csv):")
            lines.extend(f"  {r['id']}  [{r['status']}] {r['requirement']}: {r.get('detail', '')}"
                         for r in missed)
        lines.append(f"code mutants: {_score(killed, total)}")
        lines.append(f"data mutants: {_score(data_killed, len(data))}")
        killed, total = killed + data_killed, total + len(data)
    lines.append(f"mutation score: {_score(killed, total)}")
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=REPO / "mutants")
    parser.add_argument("--equivalent", type=Path, default=EQUIVALENT_CSV)
    parser.add_argument("--data", type=Path, default=None,
                        help="data mutant results of tools/data_mutation.py --out (JSON)")
    parser.add_argument("--module", action="append", default=None,
                        help="only this module (a path from only_mutate); repeatable")
    args = parser.parse_args(argv)
    from mutmut.stats import status_by_exit_code

    modules = rule_modules()
    if args.module:
        unknown = sorted(set(args.module) - set(modules))
        if unknown:
            parser.error(f"not a rule module: {', '.join(unknown)}")
        modules = [m for m in modules if m in args.module]
    equivalent = load_equivalent(args.equivalent)
    scores = [score_module(m, args.mutants, equivalent, status_by_exit_code) for m in modules]
    killed_names = {n for s in scores for n in s.killed}
    all_names = killed_names | {n for s in scores for n in s.message_text + s.equivalent} | {
        n for s in scores for n, _ in s.survived}
    if args.module:
        equivalent = {k: v for k, v in equivalent.items() if v[0] in modules}
    data = load_data_results(args.data) if args.data else None
    print("\n".join(report(scores, equivalent, killed_names, all_names, data)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
