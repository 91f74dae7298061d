"""Debian's headless Chromium: the summary's PDF and the site's browser test.

Chromium and its driver come from Debian (``apt-get install chromium
chromium-driver``), installed when missing and the process runs as root; no
browser build is downloaded from anywhere else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSER, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--disable-background-networking", "--disable-sync",
         "--disable-component-update")


def ensure_chromium() -> str | None:
    """Install Debian's chromium and chromium-driver if missing; else None.
    Returns the reason when that cannot be done (not root, no apt-get, failure)."""
    if BROWSER.exists() and DRIVER.exists():
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "chromium is not installed and apt-get as root is not available"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900,
                              check=False)
        if done.returncode != 0:
            return f"could not install chromium: {done.stderr.strip()[-300:]}"
    return None


def print_pdf(page: Path, pdf: Path) -> Path:
    """Print an HTML page (its print style sheet applies) to ``pdf``; return it."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [str(BROWSER), *FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
             f"--print-to-pdf={pdf}", page.resolve().as_uri()],
            capture_output=True, text=True, timeout=180, check=False)
    if done.returncode != 0 or not pdf.is_file():
        raise OSError(f"chromium could not print {page.name}: {done.stderr.strip()[-300:]}")
    return pdf
