"""Run the whole workbook: execute every notebook into build/.

Each notebook runs through papermill into ``build/notebooks/`` (with other
parameters: ``build/variants/NAME/notebooks/``); the time each took goes to the
build log (stdout and ``workbook-times.csv``), never into a notebook. Two
notebooks run at once on this two-core machine.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import nbformat
import papermill
from traitlets.config import Config

from specpkg.errors import SpecError
from specpkg.paths import BUILD_DIR, NOTEBOOK_DIR
from specpkg.workbook.figures import KERNEL_ARGUMENTS


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
    path: Path, output: Path, parameters: Mapping[str, Any] | None = None, progress: bool = False,
    *, figures: bool = False,
) -> nbformat.NotebookNode:
    """Execute one notebook with papermill (in its own folder, the ``python3``
    kernel, over IPC rather than TCP) into ``output`` and return the executed
    notebook. With ``figures`` every plot also carries its SVG and 200-dpi PNG
    (:mod:`specpkg.workbook.figures`). A failing cell raises
    ``papermill.PapermillExecutionError``."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="specpkg-kernel-") as sockets:
        # A socket path of its own per kernel: two notebooks run at once.
        ipc = Config({"KernelManager": {"transport": "ipc", "ip": str(Path(sockets) / "k")}})
        papermill.execute_notebook(
            str(path), str(output), parameters=dict(parameters or {}), kernel_name="python3",
            cwd=str(path.parent), progress_bar=progress, log_output=False, config=ipc,
            extra_arguments=list(KERNEL_ARGUMENTS if figures else ()),
        )
    return nbformat.read(output, as_version=4)


def error_outputs(nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    """The error outputs of an executed notebook (none when every cell ran)."""
    return [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def _execute(path: Path, out_dir: Path, parameters: Mapping[str, Any], progress: bool,
             figures: bool) -> NotebookRun:
    output = out_dir / path.name
    started = time.perf_counter()
    try:
        execute_notebook(path, output, parameters, progress, figures=figures)
    except papermill.PapermillExecutionError as exc:
        return NotebookRun(path.name, output, time.perf_counter() - started,
                           f"{exc.ename}: {exc.evalue}")
    return NotebookRun(path.name, output, time.perf_counter() - started)


#: The longest variant folder name; a longer one keeps its start and a digest of the whole.
MAX_VARIANT_NAME = 80


def _escaped(text: str) -> str:
    """``text`` with every character but letters, digits and "." as ``~XX`` (UTF-8 bytes
    in hex), so that "-" and "_" can join names and values unambiguously."""
    return re.sub(r"[^A-Za-z0-9.]", lambda m: "".join(f"~{b:02X}" for b in
                                                      m.group().encode("utf-8")), text)


def _value_text(value: Any) -> str:
    """The ``-p NAME=VALUE`` text that gives ``value``: a string as itself unless it would
    read as JSON (then quoted, as ``"1"`` is not ``1``), anything else as JSON."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, sort_keys=True, default=str)


def variant_name(parameters: Mapping[str, Any]) -> str:
    """A folder name for a run with these parameters: ``device-GSME_mode-credit``.

    One folder per set of parameters (injective): names and values are escaped
    (:func:`_escaped`), so ``device=GSME_mode-credit`` gives ``device-GSME~5Fmode~2Dcredit``
    and cannot meet ``device=GSME, mode=credit``; a name longer than
    :data:`MAX_VARIANT_NAME` keeps its start and ``~~`` and a SHA-256 digest of the whole
    (``~~`` appears in no escaped name)."""
    name = "_".join(f"{_escaped(str(k))}-{_escaped(_value_text(v))}"
                    for k, v in sorted(parameters.items()))
    if not name:
        return "default"
    if len(name) <= MAX_VARIANT_NAME:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
    return f"{name[:MAX_VARIANT_NAME - 18]}~~{digest}"


def output_dir(parameters: Mapping[str, Any] | None = None, build: Path = BUILD_DIR) -> Path:
    """``build/`` for the default parameters, ``build/variants/NAME/`` for any others:
    a run with other parameters never replaces the default results."""
    return build / "variants" / variant_name(parameters) if parameters else build


def run(
    names: Iterable[str] = (),
    *,
    out: Path = BUILD_DIR,
    parameters: Mapping[str, Any] | None = None,
    jobs: int = 2,
    progress: bool = False,
    figures: bool = False,
    log: TextIO | None = None,
) -> list[NotebookRun]:
    """Execute the notebooks into ``out/notebooks``, a line per notebook as it
    finishes; the times go to ``out/workbook-times.csv``."""
    log = log or sys.stdout
    paths = notebooks(names)
    out_dir = out / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    params = dict(parameters or {})
    jobs = max(1, min(jobs, len(paths)))
    print(f"running {len(paths)} notebook{'s' * (len(paths) != 1)}, {jobs} at a time", file=log,
          flush=True)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        pending = [pool.submit(_execute, p, out_dir, params, progress, figures) for p in paths]
        for future in as_completed(pending):
            r = future.result()
            state = "ok" if r.ok else f"FAILED ({r.error})"
            print(f"  {r.notebook:45s} {r.seconds:6.1f} s  {state}", file=log, flush=True)
    runs = [f.result() for f in pending]
    print(f"  {'all notebooks':45s} {time.perf_counter() - started:6.1f} s", file=log, flush=True)
    with (out / "workbook-times.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["notebook", "seconds", "error"])
        writer.writerows([r.notebook, f"{r.seconds:.2f}", r.error] for r in runs)
    return runs
