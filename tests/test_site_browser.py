"""The rendered site in a real browser: headless Chromium follows every link.

The site is rendered from the committed notebooks (they carry their outputs),
served on localhost, and opened in Debian's Chromium through chromedriver. Each
page is checked for broken links, broken images, missing anchors and console
errors, and a screenshot of each is saved under build/screenshots/.
Chromium is installed by the test set-up when missing (apt, as root); the test
skips with the reason only where that cannot be done.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from specpkg.paths import BUILD_DIR, NOTEBOOK_DIR
from specpkg.workbook import site

BROWSER, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def _ensure_chromium() -> str | None:
    """Install Debian's chromium and chromium-driver if missing; a reason if impossible."""
    if Path(BROWSER).exists() and Path(DRIVER).exists():
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "chromium is not installed and apt-get as root is not available"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            return f"could not install chromium: {done.stderr.strip()[-300:]}"
    return None


@pytest.fixture(scope="module")
def served_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("site")
    site.render(NOTEBOOK_DIR, root, BUILD_DIR / "test-results.xml")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    reason = _ensure_chromium()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-sync",
                 "--disable-component-update", "--window-size=1280,1600"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    yield driver
    driver.quit()


def _status(url: str) -> int:
    try:
        request = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_every_page_link_image_and_anchor_works(served_site: str, browser) -> None:
    from selenium.webdriver.common.by import By

    shots = BUILD_DIR / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    index = served_site + "index.html"
    queue, seen, problems = [index], set(), []
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        browser.get(url)
        name = Path(urlparse(url).path).stem or "index"
        browser.save_screenshot(str(shots / f"{name}.png"))
        for entry in browser.get_log("browser"):
            if entry["level"] == "SEVERE":
                problems.append(f"{url}: console error {entry['message']}")
        broken = browser.execute_script(
            "return [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.src.slice(0, 60));"
        )
        problems += [f"{url}: broken image {src}" for src in broken]
        for link in browser.find_elements(By.CSS_SELECTOR, "a[href]"):
            target = urljoin(url, link.get_attribute("href"))
            if not target.startswith(served_site):
                continue
            page, fragment = urldefrag(target)
            if _status(page) != 200:
                problems.append(f"{url}: broken link {target}")
                continue
            if fragment:
                anchors = _anchors(page)
                if fragment not in anchors:
                    problems.append(f"{url}: link {target} names a missing anchor")
            if page.endswith(".html") and page not in seen:
                queue.append(page)
    assert len(seen) >= 3, f"only {len(seen)} pages reached"
    assert not problems, "\n".join(problems)
    assert (shots / "index.png").stat().st_size > 10_000


@functools.cache
def _anchors(page: str) -> frozenset[str]:
    import re

    with urllib.request.urlopen(page, timeout=10) as response:
        text = response.read().decode("utf-8")
    return frozenset(re.findall(r'\bid="([^"]+)"', text))


def test_index_shows_every_requirement_with_a_status(served_site: str, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(served_site + "index.html")
    rows = browser.find_elements(By.CSS_SELECTOR, "table:first-of-type tbody tr")
    ids = [row.find_elements(By.TAG_NAME, "td")[0].text for row in rows]
    from specpkg.workbook.requirements import IDS

    assert ids == list(IDS)
    statuses = {row.find_elements(By.TAG_NAME, "td")[3].text for row in rows}
    assert statuses <= {"passed", "failed", "not run"}
    findings = browser.find_elements(By.CSS_SELECTOR, "table:nth-of-type(2) tbody tr")
    from specpkg.workbook.requirements import findings as finding_table

    assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in findings] == list(
        finding_table()["id"])
