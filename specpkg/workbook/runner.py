"""Run the whole workbook: execute every notebook into build/ and render the site.

Each notebook runs through papermill into ``build/notebooks/``; the time each
took goes to the build log (stdout and ``build/workbook-times.csv``), never
into a notebook. Two notebooks run at once on this two-core machine.
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import nbformat
import papermill

from specpkg.errors import SpecError
from specpkg.paths import BUILD_DIR, NOTEBOOK_DIR


class WorkbookError(SpecError):
    """A notebook failed to execute; names the notebook and the cell's error."""


@dataclass(frozen=True)
class NotebookRun:
    notebook: str
    output: Path
    seconds: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def notebooks(names: Iterable[str] = ()) -> list[Path]:
    """The workbook's notebooks in order, or those named (by file name or stem)."""
    every = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    wanted = list(names)
    if not wanted:
        return every
    chosen = []
    for name in wanted:
        match = [p for p in every if name in (p.name, p.stem, p.stem[:2])]
        if not match:
            raise WorkbookError(f"no notebook called {name!r}; have {[p.stem for p in every]}")
        chosen.extend(match)
    return chosen


def execute_notebook(
    path: Path, output: Path, parameters: Mapping[str, Any] | None = None, progress: bool = False
) -> nbformat.NotebookNode:
    """Execute one notebook with papermill (in its own folder, the ``python3``
    kernel) into ``output`` and return the executed notebook. A failing cell
    raises ``papermill.PapermillExecutionError``."""
    output.parent.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(
        str(path), str(output), parameters=dict(parameters or {}), kernel_name="python3",
        cwd=str(path.parent), progress_bar=progress, log_output=False,
    )
    return nbformat.read(output, as_version=4)


def error_outputs(nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    """The error outputs of an executed notebook (none when every cell ran)."""
    return [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def _execute(
    path: Path, out_dir: Path, parameters: Mapping[str, Any], progress: bool
) -> NotebookRun:
    output = out_dir / path.name
    started = time.perf_counter()
    try:
        execute_notebook(path, output, parameters, progress)
    except papermill.PapermillExecutionError as exc:
        return NotebookRun(path.name, output, time.perf_counter() - started,
                           f"{exc.ename}: {exc.evalue}")
    return NotebookRun(path.name, output, time.perf_counter() - started)


def run(
    names: Iterable[str] = (),
    *,
    out: Path = BUILD_DIR,
    parameters: Mapping[str, Any] | None = None,
    jobs: int = 2,
    progress: bool = True,
    log: TextIO | None = None,
) -> list[NotebookRun]:
    """Execute the notebooks into ``out/notebooks``; log each one's time."""
    log = log or sys.stdout
    paths = notebooks(names)
    out_dir = out / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    params = dict(parameters or {})
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        runs = list(pool.map(lambda p: _execute(p, out_dir, params, progress), paths))
    for r in runs:
        status = "ok" if r.ok else f"FAILED ({r.error})"
        print(f"{r.notebook:45s} {r.seconds:6.1f} s  {status}", file=log)
    print(f"{'all notebooks':45s} {time.perf_counter() - started:6.1f} s", file=log)
    with (out / "workbook-times.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["notebook", "seconds", "error"])
        writer.writerows([r.notebook, f"{r.seconds:.2f}", r.error] for r in runs)
    return runs
