"""The executive summary: one printable page, first in the book, computed live.

Each part is a ``{summary-part}`` directive on the summary page; its content
comes from the package and ``data/`` when the book is built: the specification's
impact list (``data/impacts.csv``), the risks (``data/risks.csv``), the open
findings by severity, the testing timetable against the IMP-1 implementation
dates with the testing effort, and notebook 08's bulk reset campaign (the same computation, at its
default parameters), with two key plots. A figure the package cannot give links
to the notebook instead.
"""

from __future__ import annotations

import ast
import functools
from datetime import date
from pathlib import Path
from typing import Any

import papermill
from docutils import nodes
from matplotlib import rc_context
from matplotlib.figure import Figure

from specpkg.paths import NOTEBOOK_DIR
from specpkg.system.assumptions import Assumptions
from specpkg.testing import effort, implementation, testplan
from specpkg.workbook import requirements, status
from specpkg.workbook.bookext import BookDirective, badge, para, table

PARTS = ("status", "impacts", "risks", "questions", "testing", "campaign", "figures")
TESTING_NOTEBOOK = NOTEBOOK_DIR / "07_testing_services.ipynb"
CAMPAIGN_NOTEBOOK = NOTEBOOK_DIR / "08_bulk_reset_impact.ipynb"
#: The anchor of notebook 07's section "Effort, cost and the minimum test set".
EFFORT_SECTION = "effort-cost-and-the-minimum-test-set"


def notebook_defaults(path: Path) -> dict[str, Any]:
    """A notebook's papermill parameters and their default values."""
    found = papermill.inspect_notebook(str(path))
    return {name: ast.literal_eval(p["default"]) for name, p in found.items()}


@functools.cache
def notebook_campaign() -> Any:
    """Notebook 08's campaign at its default parameters (SR-12): the very computation the
    notebook shows (:func:`specpkg.workbook.campaign_view.notebook_report`)."""
    from specpkg.workbook.campaign_view import notebook_report

    return notebook_report(**notebook_defaults(CAMPAIGN_NOTEBOOK))


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def testing_lines(defaults: dict[str, Any]) -> list[str]:
    """The summary's testing paragraph at notebook 07's parameters ``defaults``: the
    timetable, the effort and the latest starts of :mod:`specpkg.testing.effort`
    (TR-3, TR-4, IMP-1)."""
    phases = testplan.load_phases()
    days = sum(p.working_days for p in phases)
    window = sum(p.working_days for p in phases if p.in_environment_window)
    plan = testplan.timetable(implementation.parse_date("START_DATE", defaults["START_DATE"]),
                              phases)
    found = effort.summarise(model=Assumptions.parse(defaults["assumptions"]),
                             rate=defaults["DCC_DAY_RATE"])
    cost = (effort.NO_RATE if found.dcc_cost is None
            else f"the DCC's cost GBP {found.dcc_cost:,} at its day rate")
    return [
        f"{len(phases)} phases one after another: {days} Working Days in all (the critical "
        f"path), of which {window} in the test environment (TR-4: at least 15).",
        f"Starting on {_day(plan['start'].iloc[0])} (notebook 07), testing ends on "
        f"{_day(plan['end'].iloc[-1])}.",
        f"Effort: {effort.days_text(found.participant_tenths)} participant days (Users) and "
        f"{effort.days_text(found.environment_tenths)} environment days (DCC; {cost}) for "
        f"{found.runs} runs of the {found.cases}-case matrix, {found.admission_refusals} more "
        f"refused at admission; a minimum test set of {found.minimum_cases} cases covers what "
        "the matrix covers.",
        *(f"For implementation on {_day(d.implementation)} ({d.rule}), testing must start "
          f"by {_day(d.latest_start)}." for d in found.deadlines),
    ]


class SummaryPart(BookDirective):
    """``{summary-part} NAME``: one part of the executive summary."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        if name not in PARTS:
            raise self.error(f"unknown summary part {name!r}; have {', '.join(PARTS)}")
        return getattr(self, f"_{name}")()

    def _depends(self, *paths: Path) -> None:
        for path in paths:
            self.env.note_dependency(str(path))

    def _status(self) -> list[nodes.Node]:
        junit = Path(self.config.specpkg_junit)
        self._depends(junit, requirements.CATALOGUE, requirements.FINDINGS)
        rows = status.requirement_statuses(status.junit_outcomes(junit))
        run = status.latest_run(junit)
        counts = [(s, sum(r.status is s for r in rows)) for s in status.Status]
        sentence = para(f"{len(rows)} requirements: ")
        for i, (state, n) in enumerate(c for c in counts if c[1]):
            sentence += nodes.Text(", " if i else "")
            sentence += nodes.Text(f"{n} ")
            sentence += badge(state.value)
        when = (f" in the test run of {run.when[:10]}" + (f" (commit {run.commit[:10]})"
                if run.commit else "")) if run.found else " (no test run found yet)"
        sentence += nodes.Text(when + "; each with its tests on the ")
        sentence += self.page_link("requirements", "requirement status page")
        sentence += nodes.Text(".")
        return [sentence]

    def _impacts(self) -> list[nodes.Node]:
        self._depends(requirements.IMPACTS)
        found = requirements.impacts()
        return [table(["who", "what changes", "shown in"],
                      [[i.party, i.change, self.page_link(i.notebook)] for i in found],
                      classes=["summary-table"])]

    def _risks(self) -> list[nodes.Node]:
        self._depends(requirements.RISKS)
        return [table(["ID", "risk", "requirement", "shown in"],
                      [[r.id, r.risk, r.requirement, self.page_link(r.notebook)]
                       for r in requirements.risks()], classes=["summary-table"])]

    def _questions(self) -> list[nodes.Node]:
        """The high-severity questions in full; the others counted, linked to the list."""
        self._depends(requirements.FINDINGS)
        found = sorted((f for f in requirements.load_findings() if f.open),
                       key=lambda f: (f.severity_rank, int(f.id.split("-")[1])))
        if not found:
            return [para("No open finding.")]
        high = [f for f in found if f.severity == requirements.SEVERITIES[0]]
        rows = [[f.id, " ".join(f.requirements), f.question,
                 self.page_link(f"requirements#{f.id}", "options")] for f in high]
        rest = {s: sum(f.severity == s for f in found) for s in requirements.SEVERITIES[1:]}
        more = ", ".join(f"{n} of {s} severity" for s, n in rest.items() if n)
        out: list[nodes.Node] = [table(["ID", "requirements", "high-severity question", ""],
                                       rows, classes=["summary-table"])] if rows else []
        if more:
            out.append(para(f"And {more}: ",
                            self.page_link("requirements#findings-for-reviewers",
                                           "all questions with their options"), "."))
        return out

    def _testing(self) -> list[nodes.Node]:
        self._depends(testplan.TESTING_DATA / "phases.csv", effort.EFFORT_CSV, TESTING_NOTEBOOK)
        items = nodes.bullet_list()
        for line in testing_lines(notebook_defaults(TESTING_NOTEBOOK)):
            item = nodes.list_item()
            item += para(line)
            items += item
        return [items, para(self.page_link(f"{TESTING_NOTEBOOK.name}#TR-3",
                                           "Timetable, participants and assumptions"), "; ",
                            self.page_link(f"{TESTING_NOTEBOOK.name}#{EFFORT_SECTION}",
                                           "effort, cost and the minimum test set"),
                            classes=["summary-note"])]

    def _campaign(self) -> list[nodes.Node]:
        from specpkg.anomaly.campaign import Scenario
        from specpkg.workbook.campaign_view import pounds

        self._depends(CAMPAIGN_NOTEBOOK)
        found = notebook_campaign()
        plan, chosen = found.plan, found.plan.outcome
        spec = plan.spec
        every = found.impact.totals[Scenario.DELIVERED]
        hourly, daily = found.recommended
        text = (f"A debt relief campaign on {spec.register.label}: {len(plan.targets):,} of "
                f"{spec.meters:,} prepayment meters carry that debt; resetting it writes off "
                f"{pounds(every.written_off)}. Sent at random over {spec.days} working days "
                f"with an hourly volume limit of {spec.hourly_limit:,}, {chosen.quarantined:,} "
                f"resets are quarantined ({chosen.notifications:,} notifications each for the "
                f"DCC and the Supplier). Paced, the campaign goes through in {spec.days} days "
                f"without a quarantine with an hourly limit of {hourly:,} and a daily limit "
                f"of {daily:,}.")
        more = para("Pounds written off per register, pacing and supply-off hours: see ",
                    self.page_link(CAMPAIGN_NOTEBOOK.name, "notebook 08"), ".",
                    classes=["summary-note"])
        return [para(text), more]

    def _figures(self) -> list[nodes.Node]:
        folder = Path(self.env.srcdir) / "_generated"
        folder.mkdir(exist_ok=True)
        made = [("testing-timetable.svg", "Testing timetable (TR-3)", self._gantt()),
                ("campaign-outcomes.svg", "Campaign resets by hourly volume limit (SR-12)",
                 self._campaign_figure())]
        box = nodes.container(classes=["summary-figures"])
        for name, caption, figure in made:
            with rc_context({"svg.hashsalt": "specpkg", "svg.fonttype": "none"}):
                figure.savefig(folder / name, format="svg", bbox_inches="tight",
                               metadata={"Date": None})
            shown = nodes.figure()
            shown += nodes.image(uri=f"_generated/{name}", alt=caption)
            shown += nodes.caption(caption, caption)
            box += shown
        return [box]

    def _gantt(self) -> Figure:
        start = implementation.parse_date(
            "START_DATE", notebook_defaults(TESTING_NOTEBOOK)["START_DATE"])
        figure = Figure(figsize=(7, 3))
        testplan.plot_gantt(testplan.timetable(start), ax=figure.subplots())
        figure.tight_layout()
        return figure

    def _campaign_figure(self) -> Figure:
        from specpkg.workbook.campaign_view import outcomes_by_limit

        found = notebook_campaign()
        return outcomes_by_limit(found.limits, found.plan.spec.hourly_limit)


def page_text() -> str:
    """The summary page's MyST source: a heading and a directive per part."""
    headings = {
        "status": "", "impacts": "What changes, and for whom", "risks": "Risks",
        "questions": "Open questions for the working group", "testing": "Testing",
        "campaign": "A bulk debt relief campaign", "figures": "",
    }
    parts = ["# SECMP0002 executive summary\n",
             "SECMP0002 adds one Critical command per Debt Register (Time Debt Register 1 "
             "and 2, Payment Debt Register) on electricity (ESME) and gas (GSME) smart "
             "meters, resetting that register to zero, asked for with one DUIS Service "
             "Request.\n"]
    for part in PARTS:
        if headings[part]:
            parts.append(f"## {headings[part]}\n")
        parts.append(f"```{{summary-part}} {part}\n```\n")
    return "\n".join(parts)


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("summary-part", SummaryPart)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
