"""The published book in a real browser: headless Chromium follows every link.

The book is built from the committed notebooks (they carry their outputs) and
the latest test results, served on localhost, and opened in Debian's Chromium
through chromedriver. Each page is checked for broken links, broken images,
missing anchors, console errors and visible code inputs (they are hidden until
the reader expands them); a search for a requirement, finding or assumption ID
returns the page that defines it first; no table cell reads True/False or is cut
off with "..."; no checked: line reads as Python; the page's contents show on the
right at 1920 px. A screenshot of
each page is saved under build/screenshots/. Chromium is installed by the test
set-up when missing (apt, as root); the test skips with the reason only where
that cannot be done.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from specpkg.paths import BUILD_DIR, NOTEBOOK_DIR
from specpkg.workbook import book
from specpkg.workbook import browser as chromium
from specpkg.workbook.requirements import IDS
from specpkg.workbook.status import Status


@pytest.fixture(scope="module")
def book_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("book")
    return book.render(notebooks=book.book_notebooks(NOTEBOOK_DIR), out=root / "site",
                       junit=BUILD_DIR / "test-results.xml", work=root / "work").parent


@pytest.fixture(scope="module")
def served_site(book_site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(book_site))
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
    reason = chromium.ensure_chromium()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium.BROWSER)
    for flag in (*chromium.FLAGS, "--window-size=1280,1600"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(chromium.DRIVER)))
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
        shown = [e for e in browser.find_elements(By.CSS_SELECTOR, "div.cell_input")
                 if e.is_displayed()]
        problems += [f"{url}: {len(shown)} code inputs visible before expanding"] if shown else []
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


def test_status_page_shows_every_requirement_with_a_status(served_site: str, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(served_site + "requirements.html")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.requirement-status tbody tr")
    assert [row.get_attribute("id") for row in rows] == list(IDS)
    cells = [row.find_elements(By.TAG_NAME, "td") for row in rows]
    assert {c[2].text for c in cells} <= {s.value for s in Status}
    assert all(c[3].find_elements(By.TAG_NAME, "li") for c in cells), "a row names no test"
    assert all("\n" not in c[0].text for c in cells), "an ID wrapped"


def test_a_code_input_opens_when_the_reader_asks(served_site: str, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(served_site + "01_debt_registers_and_reset.html")
    checked = browser.find_elements(By.CSS_SELECTOR, ".tag_checked summary")
    assert checked and checked[0].text.startswith("checked: ")
    code = browser.find_elements(By.CSS_SELECTOR, ".tag_checked div.cell_input")[0]
    assert not code.is_displayed()
    checked[0].click()
    # the page opens it when the click is handled: wait for that (a loaded machine is slow)
    WebDriverWait(browser, 30).until(lambda _: code.is_displayed())
    assert "assert" in code.text


@pytest.mark.parametrize(("term", "page"), [
    ("SR-10", "06_anomaly_detection.html"),
    ("F-5", "requirements.html"),
    ("MA-4", "glossary.html"),
])
def test_search_returns_the_page_that_defines_an_id_first(served_site: str, browser, term,
                                                          page) -> None:
    """An ID is one search term (not "SR" and "10"): its defining page comes first."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(served_site + f"search.html?q={term}")
    WebDriverWait(browser, 30).until(expected_conditions.presence_of_element_located(
        (By.CSS_SELECTOR, "#search-results ul.search li")))
    links = [a.get_attribute("href") for a in
             browser.find_elements(By.CSS_SELECTOR, "#search-results ul.search li a")]
    first = urlparse(links[0])
    assert first.path.endswith("/" + page) and first.fragment == term, links[:5]


def _pages(served_site: str) -> list[str]:
    """The book's own pages (the summary, the status page, the glossary, the notebooks)."""
    return ["index.html", "requirements.html", "glossary.html",
            *(p.with_suffix(".html").name
              for p in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")))]


def _cell_texts(served_site: str, browser) -> dict[str, list[str]]:
    """Every table cell's text (hidden ones included), per page."""
    texts = {}
    for page in _pages(served_site):
        browser.get(served_site + page)
        texts[page] = browser.execute_script(
            "return [...document.querySelectorAll('article table td, article table th')]"
            ".map(c => c.textContent.trim());")
    return texts


def test_no_table_cell_shows_true_false_or_none(served_site: str, browser) -> None:
    """Tables read as words: yes/no and a dash, never True/False/None/NaN."""
    problems = [f"{page}: cells read {sorted(set(bad))}"
                for page, texts in _cell_texts(served_site, browser).items()
                if (bad := [t for t in texts if t in {"True", "False", "None", "NaN", "nan"}])]
    assert not problems, "\n".join(problems)


def test_no_table_cell_is_cut_off(served_site: str, browser) -> None:
    problems = [f"{page}: {len(cut)} cells cut off, e.g. {cut[0]!r}"
                for page, texts in _cell_texts(served_site, browser).items()
                if (cut := [t[-40:] for t in texts if t.endswith(("...", "…"))])]
    assert not problems, "\n".join(problems)


def test_no_checked_line_reads_as_python(served_site: str, browser) -> None:
    from specpkg.workbook.cells import plain

    lines = []
    for page in _pages(served_site):
        browser.get(served_site + page)
        lines += browser.execute_script(
            "return [...document.querySelectorAll('.tag_checked summary .collapsed')]"
            ".map(c => c.textContent.trim());")
    assert lines and all(line.startswith("checked: ") for line in lines)
    python = [line for line in lines if not plain(line)]
    assert not python, python


def test_the_page_contents_show_on_the_right_at_desktop_width(served_site: str, browser) -> None:
    from selenium.webdriver.common.by import By

    size = browser.get_window_size()
    browser.set_window_size(1920, 1080)
    try:
        browser.get(served_site + "06_anomaly_detection.html")
        panel = browser.find_element(By.CSS_SELECTOR, ".bd-sidebar-secondary")
        assert panel.is_displayed(), "no contents panel at 1920 px"
        links = [a.get_attribute("href") for a in
                 panel.find_elements(By.CSS_SELECTOR, "nav a.nav-link")]
        assert any(h.endswith("#SR-10") for h in links), links
        article = browser.find_element(By.CSS_SELECTOR, "article")
        assert panel.rect["x"] > article.rect["x"] + article.rect["width"] / 2
        browser.save_screenshot(str(BUILD_DIR / "screenshots" / "desktop-1920.png"))
    finally:
        browser.set_window_size(size["width"], size["height"])


def test_summary_prints_on_two_pages(book_site: Path, browser, tmp_path) -> None:
    """The executive summary is printable: Chromium prints it to two A4 pages (a
    Modification Report's sections do not fit one legibly), its "shown in" column
    included."""
    pdf = chromium.print_pdf(book_site / "index.html", tmp_path / "summary.pdf")
    pages = re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes())
    assert len(pages) == 2, f"the summary prints on {len(pages)} pages"


def test_the_summary_keeps_its_shown_in_column_on_paper(served_site: str, browser) -> None:
    """Issue 21: printed, each "shown in" cell stays (``05 § SR-6``: a reference a reader
    looks up), where the screen has a link."""
    from selenium.webdriver.common.by import By

    browser.get(served_site + "index.html")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        heads = browser.find_elements(By.CSS_SELECTOR, "table.linked th:last-child")
        cells = browser.find_elements(By.CSS_SELECTOR, "table.linked td:last-child")
        assert heads and all(h.is_displayed() and h.text.endswith("shown in") for h in heads)
        assert cells and all(c.is_displayed() for c in cells)
        assert sum(" § " in c.text for c in cells) >= len(cells) // 2
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
