"""A pytest plugin that records when and on which commit a test run took place.

``make test`` loads it (``pytest -p specpkg.workbook.testrecord --junitxml=...``).
At the end of the run it writes ``<junit>.json`` beside pytest's JUnit XML: the
finish time, the git commit and whether the work tree had changes, and the
SHA-256 of the JUnit file it describes, so that the requirement-status page
never pairs a record with another run's results.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from specpkg.paths import REPO_DIR


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=REPO_DIR, capture_output=True, text=True,
                              timeout=30, check=False)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def run_record(junit: Path, exit_status: int) -> dict[str, object]:
    """The record of a finished run whose JUnit XML is ``junit``."""
    return {
        "finished": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "commit": _git("rev-parse", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "exit_status": exit_status,
        "junit_sha256": hashlib.sha256(junit.read_bytes()).hexdigest(),
    }


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After the JUnit plugin has written its file (this hook runs last), on the
    controlling process only (not on pytest-xdist workers)."""
    config = session.config
    xmlpath = getattr(config.option, "xmlpath", None)
    if hasattr(config, "workerinput") or not xmlpath:
        return
    junit = Path(xmlpath)
    if junit.is_file():
        record = run_record(junit, int(exitstatus))
        junit.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n",
                                              encoding="utf-8")
