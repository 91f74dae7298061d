"""Mutation testing of the data the model reads (issue 19): each declared data mutant must
fail a test named in the catalogue row of the requirement that depends on it.

    python tools/data_mutation.py [--mutants CSV] [--only ID ...] [--out JSON]

``data/mutation/data_mutants.csv`` declares one mutant a row: ``id``, the ``file`` it
edits (a data file, or the module holding a reading such as the holiday region), the
text to ``find`` and its ``replace``ment (every occurrence), the ``requirement`` whose
row in ``data/requirements.csv`` names the tests that must catch it, and ``why`` the
edit is a realistic break. The runner copies the project once into a temporary folder;
for each mutant it writes the mutated file into the copy, runs that row's tests there
(``pytest -x -m "not notebook"``: the notebook runs are left out, as in ``make mutate``)
and restores the file. A mutant is

* ``killed`` when a row test fails (pytest exit code 1), naming the first that did;
* ``survived`` when they all pass;
* ``stale`` when its ``find`` text is no longer in the file (the declaration needs
  updating: it counts as not killed);
* ``error`` for any other pytest outcome (no test collected, usage error): not killed.

It prints one line per mutant and, last, ``data mutation score: NN.N% (killed K of N)``;
``--out`` writes the results as JSON for ``tools/mutation_score.py --data``, which
reports them apart from the code mutants and adds them to the overall score.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA_MUTANTS_CSV = REPO / "data" / "mutation" / "data_mutants.csv"
DATA_MUTANT_COLUMNS = ("id", "file", "find", "replace", "requirement", "why")
REQUIREMENTS_CSV = "data/requirements.csv"
#: Not copied into the scratch project: history, caches, results, environments.
IGNORED = ("*.git", ".venv", "build", "mutants", "__pycache__", ".hypothesis",
           ".ruff_cache", ".pytest_cache")
KILLED, SURVIVED, STALE, ERROR = "killed", "survived", "stale", "error"
_FAILED = re.compile(r"^FAILED (\S+)", re.MULTILINE)


@dataclass(frozen=True)
class DataMutant:
    id: str
    file: str
    find: str
    replace: str
    requirement: str
    why: str

    def apply(self, text: str) -> str | None:
        """``text`` with every ``find`` replaced, or None if ``find`` is not in it."""
        if not self.find or self.find not in text:
            return None
        return text.replace(self.find, self.replace)


@dataclass(frozen=True)
class DataResult:
    id: str
    requirement: str
    status: str
    detail: str = ""

    @property
    def killed(self) -> bool:
        return self.status == KILLED


def load_mutants(path: Path = DATA_MUTANTS_CSV) -> list[DataMutant]:
    """The declared data mutants; SystemExit naming the line of a malformed row."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != DATA_MUTANT_COLUMNS:
            raise SystemExit(f"{path}: columns must be {', '.join(DATA_MUTANT_COLUMNS)}")
        rows = list(reader)
    mutants, seen = [], set()
    for number, row in enumerate(rows, start=2):
        empty = [c for c in DATA_MUTANT_COLUMNS if c != "replace" and not row[c].strip()]
        if empty or row["id"] in seen or row["find"] == row["replace"]:
            what = (f"empty {', '.join(empty)}" if empty else
                    "duplicate id" if row["id"] in seen else "replace equals find")
            raise SystemExit(f"{path} line {number}: {what}")
        seen.add(row["id"])
        mutants.append(DataMutant(**{c: row[c] for c in DATA_MUTANT_COLUMNS}))
    return mutants


def row_tests(requirement: str, root: Path = REPO) -> list[str]:
    """The tests the requirement's catalogue row names (SystemExit for an unknown one)."""
    with open(root / REQUIREMENTS_CSV, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["id"] == requirement:
                return row["tests"].split()
    raise SystemExit(f"no requirement {requirement} in {REQUIREMENTS_CSV}")


def pytest_command(tests: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", "-x", "-q", "-rf", "-p", "no:cacheprovider",
            "-p", "no:xdist", "-m", "not notebook", *tests]


#: Runs a command in a folder and gives (exit code, output); replaced in the tests.
Runner = Callable[[list[str], Path], tuple[int, str]]


def run_pytest(command: list[str], cwd: Path) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(cwd), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          check=False)
    return done.returncode, done.stdout + done.stderr


def run_mutant(mutant: DataMutant, copy: Path, runner: Runner = run_pytest) -> DataResult:
    """Write the mutant into the copy, run its row's tests there, restore the file."""
    target = copy / mutant.file
    original = target.read_text(encoding="utf-8") if target.is_file() else ""
    mutated = mutant.apply(original)
    if mutated is None:
        return DataResult(mutant.id, mutant.requirement, STALE,
                          f"{mutant.find!r} is not in {mutant.file}")
    tests = row_tests(mutant.requirement, copy)
    target.write_text(mutated, encoding="utf-8")
    try:
        code, output = runner(pytest_command(tests), copy)
    finally:
        target.write_text(original, encoding="utf-8")
    if code == 1:
        failed = _FAILED.search(output)
        return DataResult(mutant.id, mutant.requirement, KILLED,
                          failed.group(1) if failed else "a row test failed")
    if code == 0:
        return DataResult(mutant.id, mutant.requirement, SURVIVED,
                          f"{len(tests)} tests of {mutant.requirement} pass")
    return DataResult(mutant.id, mutant.requirement, ERROR, f"pytest exit code {code}")


def run_all(mutants: Sequence[DataMutant], repo: Path = REPO,
            runner: Runner = run_pytest) -> list[DataResult]:
    """Every mutant against one scratch copy of ``repo``."""
    with tempfile.TemporaryDirectory(prefix="data-mutants-") as scratch:
        copy = Path(scratch) / "project"
        shutil.copytree(repo, copy, ignore=shutil.ignore_patterns(*IGNORED))
        return [run_mutant(m, copy, runner) for m in mutants]


def score_line(results: Sequence[DataResult], label: str = "data mutation score") -> str:
    killed = sum(r.killed for r in results)
    pct = 100 * killed / len(results) if results else 0.0
    return f"{label}: {pct:.1f}% (killed {killed} of {len(results)})"


def report(results: Sequence[DataResult]) -> list[str]:
    lines = [f"{'data mutant':28} {'requirement':11} {'status':8} detail"]
    lines += [f"{r.id:28} {r.requirement:11} {r.status:8} {r.detail}" for r in results]
    lines.append(score_line(results))
    return lines


def write_results(results: Sequence[DataResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(r) for r in results], indent=1), encoding="utf-8")


def read_results(path: Path) -> list[DataResult]:
    return [DataResult(**row) for row in json.loads(path.read_text(encoding="utf-8"))]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=DATA_MUTANTS_CSV)
    parser.add_argument("--only", action="append", default=None, help="this mutant id only")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args(argv)
    mutants = load_mutants(args.mutants)
    if args.only:
        unknown = sorted(set(args.only) - {m.id for m in mutants})
        if unknown:
            parser.error(f"no such data mutant: {', '.join(unknown)}")
        mutants = [m for m in mutants if m.id in args.only]
    results = run_all(mutants)
    if args.out:
        write_results(results, args.out)
    print("\n".join(report(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
