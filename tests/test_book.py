"""The published book: prepared notebooks, exported figures, the Sphinx build."""

from __future__ import annotations

import base64
import html
import re
import struct

import nbformat
import pytest
from matplotlib.figure import Figure

from specpkg.paths import NOTEBOOK_DIR
from specpkg.workbook import book, cells, figures, report, runner, summary

# ----------------------------------------------------------------- cells


@pytest.mark.parametrize(("source", "expected"), [
    ("# checked: the register is zero\nassert x == 0", "checked: the register is zero"),
    ("y = 1\n# Checked:  both seals verify  \nassert y", "checked: both seals verify"),
    ('assert a == 1, "one register changed"\nassert b, "others kept"',
     "checked: one register changed; others kept"),
    ("# Check: the bytes decode back\nassert decode(b) == m", "checked: the bytes decode back"),
    ("for r in rows:\n    assert r.ok\n    assert r.n > 0",
     "checked: what the text above says (2 conditions in the code)"),
    ("%matplotlib inline\nassert True",
     "checked: what the text above says (1 condition in the code)"),
    ('assert x == 1, "x == 1"', "checked: what the text above says (1 condition in the code)"),
    ("# new <= existing\nassert new <= existing",
     "checked: what the text above says (1 condition in the code)"),
])
def test_checked_statement(source: str, expected: str) -> None:
    assert cells.checked_statement(source) == expected


def test_a_checked_line_without_a_description_names_its_section_in_english() -> None:
    source = "assert new and new <= existing\nassert len(hubs) == n_han * n_wan"
    line = cells.checked_statement(source, "SR-5: nothing changes on the home area network")
    assert line == ("checked: what “SR-5: nothing changes on the home area network” says "
                    "(2 conditions in the code)")
    assert cells.plain(line) and cells.needs_description(source)
    assert not cells.needs_description("# checked: the hub routes only\nassert a == b")


@pytest.mark.parametrize("text", ["new and new <= existing", "len(hubs) == 3", "row['reset']",
                                  "window.working_days", "tamper_offset is flipped"])
def test_python_is_not_plain_english(text: str) -> None:
    assert not cells.plain(text)


def test_every_checked_line_of_the_book_is_plain_english() -> None:
    for path in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        cells.prepare(nb, path.name[:2])
        lines = [c.metadata["mystnb"]["code_prompt_show"] for c in nb.cells
                 if "code_prompt_show" in c.metadata.get("mystnb", {})]
        assert all(cells.plain(line) for line in lines), (path.name, lines)


@pytest.mark.parametrize("source", ["x = 1", "print('assert')", "def f(:", "# assert x"])
def test_cells_that_do_not_assert_are_not_checks(source: str) -> None:
    assert cells.checked_statement(source) is None


def test_checked_statement_is_one_whole_line() -> None:
    line = cells.checked_statement("# checked: " + "word\t " * 60 + "\nassert x")
    assert line == "checked: " + " ".join(["word"] * 60)


@pytest.mark.parametrize("title", ["# 01 · Registers", "# 01 Registers", "# Registers",
                                   "# 01: Registers", "# 01 - Registers"])
def test_titles_get_their_number(title: str) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"{title}\n\ntext")])
    assert cells.number_title(nb, "07") == "07 · Registers"
    assert nb.cells[0].source == "# 07 · Registers\n\ntext"


def test_a_notebook_without_a_title_is_refused() -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("no title")])
    with pytest.raises(ValueError, match="title"):
        cells.number_title(nb, "01")


PANDAS = """<div><table border="1" class="dataframe">
<thead><tr style="text-align: right;"><th></th><th>id</th><th>note</th></tr></thead>
<tbody><tr><th>0</th><td>SR-11</td><td>see SR-1 and BR-2</td></tr>
<tr><th>1</th><td>TR-10</td><td>plain</td></tr></tbody></table></div>"""


def test_tables_lose_a_plain_index_and_keep_ids_whole() -> None:
    tidy = cells.tidy_table_html(PANDAS)
    assert "<th>0</th>" not in tidy and "<th>1</th>" not in tidy and "<th></th>" not in tidy
    assert '<span class="rid">SR-11</span>' in tidy
    assert 'see <span class="rid">SR-1</span> and <span class="rid">BR-2</span>' in tidy


def test_a_meaningful_index_is_kept() -> None:
    named = PANDAS.replace("<th>0</th>", "<th>ESME</th>")
    assert "<th>ESME</th>" in cells.tidy_table_html(named)
    assert cells.tidy_table_html("<p>no table</p>") == "<p>no table</p>"


def test_prepare_hides_inputs_and_marks_checks() -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("# checked: x is one\nassert x == 1"),
        nbformat.v4.new_code_cell("assert x\nx", outputs=[nbformat.v4.new_output(
            "execute_result", {"text/plain": "1"}, execution_count=1)]),
    ])
    assert cells.prepare(nb, "03") == "03 · Title"
    plain, check, shown = nb.cells[1:]
    assert all(cells.HIDE_INPUT in c.metadata["tags"] for c in (plain, check, shown))
    assert cells.CHECKED_TAG in check.metadata["tags"]
    assert check.metadata["mystnb"]["code_prompt_show"] == "checked: x is one"
    assert cells.CHECKED_TAG not in shown.metadata["tags"] and "mystnb" not in shown.metadata


# ----------------------------------------------------------------- figures


def _png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def test_figure_files_are_svg_and_a_200_dpi_png() -> None:
    figure = Figure(figsize=(4, 2))
    figure.subplots().plot([1, 2, 3])
    files = figures.figure_files(figure)
    assert files["svg"].lstrip().startswith("<?xml") and "<svg" in files["svg"]
    width, height = _png_size(base64.b64decode(files["png"]))
    assert 600 < width <= 800 and 300 < height <= 400  # 4 x 2 inches at 200 dpi, tight
    assert figures.figure_files(figure)["svg"] == files["svg"]  # deterministic


def test_extension_survives_matplotlib_inline_clearing_the_registry() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    figures.load_ipython_extension(shell)
    for formatter in shell.display_formatter.formatters.values():
        formatter.pop(Figure, None)  # what %matplotlib inline does
    figure = Figure()
    figure.subplots().plot([1, 2])
    data, _ = shell.display_formatter.format(figure)
    assert set(data[cells.FIGURE_MIME]) == {"svg", "png"}
    assert cells.FIGURE_MIME not in shell.display_formatter.format(42)[0]


def test_figures_are_named_by_notebook_and_section(tmp_path) -> None:
    def plot() -> nbformat.NotebookNode:
        return nbformat.v4.new_output("display_data", {cells.FIGURE_MIME: {
            "svg": "<svg/>", "png": base64.b64encode(b"png").decode()}})

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 01 · Title"),
        nbformat.v4.new_code_cell("", outputs=[plot()]),
        nbformat.v4.new_markdown_cell("## BR-3: recovery\n\ntext"),
        nbformat.v4.new_code_cell("", outputs=[plot(), plot()]),
        nbformat.v4.new_markdown_cell("## The test matrix run (TR-4, TR-5)"),
        nbformat.v4.new_code_cell("", outputs=[plot()]),
    ])
    path = tmp_path / "01_x.ipynb"
    nbformat.write(nb, path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "01_x__gone_1.svg").write_text("stale")
    written = figures.export([path], tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in written)
    assert {p.stem for p in written} == {"01_x__01-title_1", "01_x__BR-3_1", "01_x__BR-3_2",
                                         "01_x__the-test-matrix-run_1"}


# ----------------------------------------------------------------- the book


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("book")
    index = book.render(notebooks=book.book_notebooks(NOTEBOOK_DIR), out=root / "site",
                        junit=root / "none.xml", work=root / "work")
    return index.parent


def test_book_has_the_summary_first_the_status_page_and_every_notebook(site) -> None:
    pages = {p.name for p in site.glob("*.html")}
    expected = {"index.html", "requirements.html", "search.html",
                *(p.with_suffix(".html").name for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))}
    assert expected <= pages
    index = (site / "index.html").read_text()
    nav = re.findall(r'class="reference internal" href="([^"#]+)"', index)
    assert nav.index("requirements.html") < nav.index("00_overview.html")
    assert "Other SEC Parties" in index and "searchindex.js" in index
    effort_link = f'07_testing_services.html#{summary.EFFORT_SECTION}"'
    text = re.sub(r"<[^>]+>", "", index)
    assert "participant days (Users)" in text and effort_link in index
    assert f'id="{summary.EFFORT_SECTION}"' in (site / "07_testing_services.html").read_text()


def test_summary_reads_as_a_modification_report(site) -> None:
    index = (site / "index.html").read_text()
    headings = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h2>(.*?)</h2>", index)]
    for heading in ("The problem and the business case", "Who it touches, and how",
                    "The documents that change", "The implementation date (IMP-1)",
                    "Testing and its costs", "Open decisions for the group"):
        assert any(h.startswith(heading) for h in headings), (heading, headings)
    assert re.search(r"As at \d{1,2} \w+ 20\d\d", index) and "built from commit" in index
    for document in report.DOCUMENTS:
        assert html.escape(document.name, quote=False) in index
    assert "Consumers" in index and "Costs the DCC must give" in index
    assert "Figure 1." in index and "Figure 2." in index


def test_summary_figures_print_with_8_pt_text(site) -> None:
    """Drawn at the size they print (the SVG's user unit is a point, its width fits A4's
    text width), every text of the summary's figures is at least 8 pt."""
    for name in ("testing-timetable.svg", "campaign-outcomes.svg"):
        svg = (site / "_images" / name).read_text()
        width, box = re.search(r'width="([\d.]+)pt" height="[\d.]+pt" viewBox="0 0 ([\d.]+)',
                               svg).groups()
        assert width == box and float(width) <= 186 / 25.4 * 72, name
        sizes = [float(v) for v in re.findall(r"font-size: ([\d.]+)px", svg)]
        assert sizes and min(sizes) >= 8, (name, min(sizes))


def test_the_implementation_date_is_put_in_context_as_at_the_day() -> None:
    from datetime import date

    later = report.implementation_text(date(2026, 12, 6))
    assert "Both windows lapsed in 2018" in later and "F-75" in later
    assert "as at 6 December 2026" in later
    early = report.implementation_text(date(2018, 6, 1))
    assert "gives 7 November 2019" in early and "lapsed" not in early


def test_for_whom_is_the_specifications_list_and_the_consumers() -> None:
    parties = [i.party for i in report.for_whom()]
    assert parties[:-1] == [i.party for i in book.status.requirements.impacts()]
    assert parties[-1].startswith("Consumers")
    table = report.for_whom_table()
    assert list(table.columns) == ["who", "what changes", "shown in"] and len(table) == len(parties)


def test_status_page_has_a_decision_card_per_finding(site) -> None:
    page = (site / "requirements.html").read_text()
    found = book.status.requirements.load_findings()
    decided = book.status.requirements.decisions()
    for finding in found:
        assert re.search(rf'<div class="decision-card[^"]*" id="{finding.id}"', page), finding.id
        if finding.kind == "question":
            assert finding.id in decided, f"{finding.id} has no row in data/finding_decisions.csv"
        else:  # a note asks nothing, so there is nothing to decide
            assert finding.id not in decided, f"{finding.id} is a note, yet has a decision"
    assert page.count("status-recommended") == sum(f.id in decided for f in found)
    assert "Who decides" in page and 'class="findings' not in page


def test_every_decision_recommends_one_of_its_findings_options() -> None:
    reqs = book.status.requirements
    decided = reqs.decisions()
    for finding in reqs.load_findings():
        letters = [letter for letter, _ in reqs.options(finding.options)]
        if finding.id in decided:
            assert decided[finding.id].recommended in letters, finding.id
            assert decided[finding.id].decides and decided[finding.id].reason


def test_book_pages_are_numbered_anchored_and_offline(site) -> None:
    page = (site / "01_debt_registers_and_reset.html").read_text()
    assert "<h1>01 · " in page
    # figures and tables numbered within their notebook: notebook 08 starts at 8.1
    campaign = (site / "08_bulk_reset_impact.html").read_text()
    numbers = re.findall(r'<span class="caption-number">Figure ([\d.]+)\. ', campaign)
    assert numbers[:2] == ["8.1", "8.2"], numbers
    for rid in ("BR-1", "BR-2", "BR-3", "BR-4", "BR-5"):
        assert f'id="{rid}"' in page
    assert "tag_checked" in page and "checked: " in page
    for path in site.glob("*.html"):
        text = path.read_text()
        assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', text), path.name


def test_status_page_lists_every_requirement_with_its_tests(site) -> None:
    page = (site / "requirements.html").read_text()
    for req in book.status.requirements.load():
        assert f'id="{req.id}"' in page
        for test in req.tests:
            assert test.removeprefix("tests/").split("[")[0] in page
    assert "No test run found" in page and "F-1" in page


def test_parameters_make_a_separate_book_with_a_banner(tmp_path) -> None:
    runs = runner.run(["09"], out=tmp_path, parameters={"APPROVAL_DATE": "2018-06-01"},
                      figures=True)
    assert runs[0].ok
    written = figures.export([runs[0].output], tmp_path / "figures")
    assert {p.name for p in written} >= {"09_implementation__IMP-1_1.svg",
                                         "09_implementation__IMP-1_1.png"}
    with pytest.raises(book.BookError, match="never replace"):
        book.render(notebooks=[runs[0].output], work=tmp_path / "work")
    index = book.render(notebooks=[runs[0].output], out=tmp_path / "site", work=tmp_path / "w")
    for name in ("index.html", "09_implementation.html"):
        page = (index.parent / name).read_text()
        assert "non-default parameters" in page and "APPROVAL_DATE = &quot;2018-06-01&quot;" in page


NAMED = """<table border="1" class="dataframe">
<thead><tr style="text-align: right;"><th></th><th>role_in_testing</th><th>n_tests</th>
<th>fastest_s</th><th>True</th></tr>
<tr><th>case_id</th><th></th><th></th><th></th><th></th></tr></thead>
<tbody><tr><th>F-5</th><td>True</td><td>3</td><td>NaN</td><td>False</td></tr>
<tr><th>MA-4</th><td>None</td><td>0</td><td>1.5</td><td>True but more</td></tr></tbody></table>"""


def test_tables_read_as_words_with_one_header_row_and_yes_no() -> None:
    import lxml.html

    table = lxml.html.fragment_fromstring(cells.tidy_table_html(NAMED), create_parent="div")
    head = table.findall(".//thead/tr")
    assert len(head) == 1
    assert [th.text_content() for th in head[0]] == [
        "case ID", "role in testing", "number of tests", "fastest (s)", "yes"]
    rows = [[c.text_content() for c in tr] for tr in table.findall(".//tbody/tr")]
    assert rows == [["F-5", "yes", "3", "—", "no"], ["MA-4", "—", "0", "1.5", "True but more"]]
    assert table.findall(".//tbody/tr/th/span[@class='rid']")


@pytest.mark.parametrize(("name", "words"), [
    ("working_days", "working days"), ("one_way_ms", "one way (ms)"), ("left in register (p)",
     "left in register (p)"), ("window_seconds", "window (s)"), ("dlms_obis", "DLMS OBIS"),
    ("id", "id"), ("user_id", "user ID"), ("written_off_pence", "written off (p)")])
def test_header_words(name: str, words: str) -> None:
    assert cells.header_words(name) == words


def test_pandas_cells_are_never_cut_in_a_workbook_run() -> None:
    """The kernel extension of ``make workbook`` shows every cell whole, whatever
    ``display.max_colwidth`` a notebook sets."""
    import pandas as pd
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    figures.load_ipython_extension(shell)
    with pd.option_context("display.max_colwidth", 20):
        frame = pd.DataFrame({"signature": ["ab" * 40]})
        shown = shell.display_formatter.format(frame)[0]["text/html"]
    assert "ab" * 40 in shown and "..." not in shown


# ----------------------------------------------------------------- glossary


def test_glossary_has_the_specifications_appendix_corrected_and_sourced() -> None:
    from specpkg.workbook import glossary

    terms = {t.abbreviation or t.term: t for t in glossary.load()}
    assert terms["ADT"].term == "Anomaly Detection Threshold" and "Defect ion" in terms["ADT"].note
    assert terms["SMHAN"].term == "Smart Metering Home Area Network"
    assert terms["ZSE"].term == "ZigBee Smart Energy" and "ZME" in terms["ZSE"].note
    assert all(t.source and t.definition for t in terms.values())
    assert len({t.anchor for t in terms.values()}) == len(terms)


def test_only_the_first_use_of_a_term_is_linked() -> None:
    from specpkg.workbook import glossary

    seen: set[str] = set()
    text = "The DCC resets Debt Registers; the DCC again, and a Debt Register-like word."
    uses = glossary.first_uses(text, seen)
    assert [text[a:b] for a, b, _ in uses] == ["DCC", "Debt Registers"]
    assert glossary.first_uses("DCC", seen) == []


def test_glossary_page_defines_each_term_and_pages_link_their_first_use(site) -> None:
    from specpkg.workbook import glossary

    page = (site / "glossary.html").read_text()
    for term in glossary.load():
        assert f'id="{term.anchor}"' in page, term.term
    assert 'id="MA-4"' in page and "(the default)" in page
    first = (site / "01_debt_registers_and_reset.html").read_text()
    links = re.findall(r'href="glossary\.html#(term-[\w-]+)"', first)
    assert "term-debt-register" in links and len(links) == len(set(links))


def test_a_dump_cell_is_collapsed_whole() -> None:
    dump = nbformat.v4.new_code_cell("dump(b)", metadata={"tags": ["dump"]},
                                     outputs=[nbformat.v4.new_output("stream", text="00 01")])
    plain_cell = nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
        "stream", text="x")])
    for cell in (dump, plain_cell):
        cells.prepare_code_cell(cell)
    assert {"dump", "hide-cell"} <= set(dump.metadata["tags"])
    assert dump.metadata["mystnb"]["code_prompt_show"] == cells.DUMP_PROMPT
    assert "hide-cell" not in plain_cell.metadata["tags"]


def test_figures_are_numbered_with_captions_and_pages_offer_their_source(site) -> None:
    numbers = []
    for page in sorted(site.glob("0*.html")):
        text = page.read_text()
        images = len(re.findall(r'<img [^>]*src="_images/', text))
        found = re.findall(r'caption-number">Figure (\d+)\.(\d+)\. </span>'
                           r'<span class="caption-text">(.*?)</p>', text)
        assert len(found) == images, page.name
        assert all(re.sub(r"<[^>]+>", "", c).strip() for _, _, c in found), page.name
        # numbered within the notebook: notebook 08's figures are 8.1, 8.2, ...
        assert [(int(a), int(b)) for a, b, _ in found] == [
            (int(page.stem[:2]), k) for k in range(1, len(found) + 1)], page.name
        numbers += [(int(a), int(b)) for a, b, _ in found]
        assert f'href="_sources/{page.stem}.ipynb"' in text, page.name
        assert "window.print()" in text and (site / "_sources" / f"{page.stem}.ipynb").is_file()
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_a_figure_caption_is_its_comment_else_its_section() -> None:
    image = nbformat.v4.new_output("display_data", data={"image/png": "AA=="})
    drawn = nbformat.v4.new_code_cell("# caption: Debt over 30 days\nplot()", outputs=[image])
    other = nbformat.v4.new_code_cell("plot()", outputs=[image])
    cells.prepare_code_cell(drawn, "BR-3: recovery")
    cells.prepare_code_cell(other, "BR-3: recovery")
    assert drawn.metadata["mystnb"]["figure"]["caption"] == "Debt over 30 days"
    assert drawn.metadata["mystnb"]["image"]["alt"] == "Debt over 30 days"
    assert other.metadata["mystnb"]["figure"]["caption"] == "BR-3: recovery"


def test_summary_campaign_shows_both_readings_the_recommendation_and_the_nation(site) -> None:
    """Issue 21: the summary quotes notebook 08 at its defaults, both readings of MA-4
    always, the two-part recommendation and the committed national result."""
    from specpkg.anomaly.sweeps import load_national, threshold_sensitivity

    found = summary.notebook_campaign()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", (site / "index.html").read_text()))
    advice = found.recommendation
    assert advice is not None
    # one basis: the recommended threshold; at random against it, the simulated mean
    from specpkg.anomaly.pacing import AT_RANDOM

    assert advice.threshold != found.plan.spec.hourly_limit
    random = advice.side(AT_RANDOM)
    for counted in (True, False):
        assert f"{random.quarantined[counted]:,.0f} resets held if quarantined" in text \
            or f"), {random.quarantined[counted]:,.0f} if not" in text, counted
    assert f"{found.chosen.counted.quarantined:,} (" not in text
    assert ("instead, against the same hourly and daily thresholds and with the "
            "Supplier's ordinary resets") in text
    n = advice.side_trials
    assert f"{advice.trials_with_quarantine(advice.sides[0]):,} of {n:,} simulated" in text
    lower = advice.side("threshold 10 % lower")
    assert f"at {lower.threshold:,}, {advice.trials_with_quarantine(lower):,} of {n:,} do" in text
    swings = threshold_sensitivity(found.plan.spec, risk=advice.risk, trials=advice.trials)
    ends = [x for s in swings for x in (s.at_low[0], s.at_high[0])]
    assert f"it runs from {min(ends):,} to {max(ends):,}" in text
    assert f"set the hourly threshold to {advice.threshold:,}" in text
    assert f"send {advice.rate:,} resets an hour, paced evenly" in text
    national = load_national()
    meters = sum(s["meters"] for s in national["suppliers"])
    assert f"Nationally ({meters:,} meters" in text
    from specpkg.anomaly.campaign import Scenario
    from specpkg.anomaly.sweeps import chance_of_any_quarantine

    assert (f"on the Release's firmware ({100 * found.plan.spec.release_share:.0f} %, MA-19)"
            in text)
    every = found.impact.totals[Scenario.DELIVERED]
    assert (f"each is sent a reset; the {every.resets:,} on the Release's firmware"
            in text)
    chance = chance_of_any_quarantine(national["suppliers"])
    assert f"{100 * chance:.0f} % that at least one Supplier does" in text
    assert f"(its threshold is set for {100 * national['parameters']['risk']:.0f} %)" in text
    # the recommendation beside the one F-71 recommends: only to meters on the Release
    from specpkg.anomaly.sweeps import limits_for

    only = limits_for(found.plan.spec, every.resets, risk=advice.risk, trials=advice.trials)
    assert (f"sends only to the {every.resets:,} it knows run the Release (as finding F-71 "
            f"recommends) writes off the same debt with a threshold of {only[0]:,} and a "
            f"rate of {only[1]:,} an hour") in text


def test_decision_cards_of_closed_findings_need_no_decision_and_name_no_file(site) -> None:
    """Issue 21: a closed finding's card says no decision is needed; no card sends the
    reader to a data file for a recommendation."""
    from specpkg.workbook import requirements

    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", (site / "requirements.html").read_text()))
    decided = requirements.decisions()
    closed = [f for f in requirements.load_findings() if not f.open and f.id not in decided]
    assert closed, "no closed finding without a decision to show"
    assert text.count("closed: no decision needed") == len(closed)
    assert "finding_decisions.csv" not in text


def test_tests_are_named_in_words_with_their_full_name_on_hover() -> None:
    """Issue 21: the status table and the decision cards name a test in words, its IDs
    last; the file and function stay one hover away for developers."""
    from specpkg.workbook import bookext

    name = "tests/test_sr4_pre_release.py::test_sr4_ma7_a_pre_release_meter_alerts_or_stays_silent"
    assert bookext.words_for_test(name) == "A pre-Release meter alerts or stays silent (SR-4, MA-7)"
    assert bookext.words_for_test("tests/t.py::test_gsme_command_is_one_change_debt") == (
        "GSME command is one change debt")
    assert bookext.words_for_test("tests/t.py::test_both_readings_of_ma4_side_by_side") == (
        "Both readings of MA-4 side by side")
    # a word that looks like an ID but is one (SR 2.3, the Service Request) stays a word
    assert bookext.words_for_test("tests/t.py::test_sr23_vectors_of_f3") == (
        "SR 2.3 vectors of F-3")
    node = bookext.node_for_test(name)
    assert node["explanation"] == name and node.astext() == bookext.words_for_test(name)


def test_decision_cards_give_each_named_test_its_own_outcome() -> None:
    """A finding shown by two tests gives each its own outcome (F-1 names two), not one
    "not run" for the pair."""
    from docutils import nodes

    from specpkg.workbook import bookext, decisions

    reqs = book.status.requirements
    finding = next(f for f in reqs.load_findings() if f.id == "F-1")
    first, second = finding.evidence.split()
    outcomes = {first: book.status.TestOutcome.PASSED, second: book.status.TestOutcome.FAILED}
    _, box = decisions.card(finding, None, outcomes, lambda pointer, text: nodes.Text(pointer))
    shown = next(p for p in box.findall(nodes.paragraph) if p.astext().startswith("Shown by"))
    expected = (f"Shown by: {bookext.words_for_test(first)} passed; "
                f"{bookext.words_for_test(second)} failed; in {finding.notebook}")
    assert shown.astext() == expected
    assert [a["explanation"] for a in shown.findall(nodes.abbreviation)] == [first, second]
