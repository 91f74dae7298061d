"""The executive summary: first in the book, two printed A4 pages, computed live.

It reads as a Modification Report: the date it is as at and the commit it was
built from, the requirement status, the problem and the business case, who the
change touches (consumers included: :func:`specpkg.workbook.report.for_whom`,
notebook 00's table too), the documents that change, the implementation date
in context (IMP-1), testing with the costs known and those the DCC must give,
notebook 08's bulk reset campaign, the open decisions with the workbook's
recommendations, the risks, and two numbered figures. Each part is a
``{summary-part}`` directive; its content comes from the package and ``data/``
when the book is built.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Any

import papermill
from docutils import nodes
from matplotlib import rc_context
from matplotlib.figure import Figure

from specpkg.meter.registers import DebtRegister
from specpkg.paths import NOTEBOOK_DIR
from specpkg.system.assumptions import Assumptions
from specpkg.testing import effort, implementation, testplan
from specpkg.workbook import report, requirements, status
from specpkg.workbook.bookext import BookDirective, badge, para, table

PARTS = ("asat", "status", "problem", "impacts", "documents", "implementation", "testing",
         "campaign", "decisions", "risks", "figures")
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


_day = report.day
#: Figures of the printed summary: drawn at the size they print, text 8 pt.
FIGURE_INCHES = (3.45, 1.8)
FIGURE_RC = {"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 8,
             "ytick.labelsize": 8, "legend.fontsize": 8, "svg.hashsalt": "specpkg",
             "svg.fonttype": "none"}


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
        f"Starting on {_day(plan['start'].iloc[0])} (notebook 07's start date), testing ends "
        f"on {_day(plan['end'].iloc[-1])}; the dates move with the implementation date"
        + (" (these have passed: F-75)." if plan["end"].iloc[-1] < report.as_at() else "."),
        f"Effort: {effort.days_text(found.participant_tenths)} participant days (Users) and "
        f"{effort.days_text(found.environment_tenths)} environment days (DCC; {cost}) for "
        f"{found.runs} runs of the {found.cases:,}-case matrix, {found.admission_refusals} more "
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

    def _asat(self) -> list[nodes.Node]:
        commit, dirty = report.built_from()
        commit = commit[:10] or "an unknown commit"
        dirty = " with uncommitted changes" if dirty else ""
        return [para(nodes.strong(text=f"As at {_day(report.as_at())}"),
                     f" · built from commit {commit}{dirty}", classes=["as-at"])]

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
        sentence += nodes.Text(when + "; each with its tests on the book's ")
        sentence += self.page_link("requirements", "Requirement status")
        sentence += nodes.Text(" page.")
        return [sentence]

    def _problem(self) -> list[nodes.Node]:
        return [para(report.BUSINESS_CASE)]

    def _impacts(self) -> list[nodes.Node]:
        self._depends(requirements.IMPACTS)
        return [table(["who", "what changes", "shown in"],
                      [[i.party, i.change, self.page_link(i.notebook)]
                       for i in report.for_whom()], classes=["summary-table", "linked"])]

    def _documents(self) -> list[nodes.Node]:
        return [table(["document", "what changes", "specification", "shown in"],
                      [[d.name, d.change, d.source, self.page_link(d.notebook)]
                       for d in report.DOCUMENTS],
                      classes=["summary-table", "linked", "documents"])]

    def _implementation(self) -> list[nodes.Node]:
        return [para(report.implementation_text(report.as_at()))]

    def _risks(self) -> list[nodes.Node]:
        self._depends(requirements.RISKS)
        rows = []
        for r in requirements.risks():  # "05 § SR-4" names the requirement; else add it
            named = r.notebook.endswith(f"#{r.requirement}")
            rows.append([r.id, r.risk, self.page_link(r.notebook) if named else
                         para(f"{r.requirement}, ", self.page_link(r.notebook))])
        return [table(["ID", "risk", "shown in"], rows,
                      classes=["summary-table", "linked"])]

    def _decisions(self) -> list[nodes.Node]:
        """The high-severity questions with the workbook's recommendation and who decides;
        the others counted, with where their cards are."""
        self._depends(requirements.FINDINGS, requirements.DECISIONS)
        found = sorted((f for f in requirements.load_findings() if f.open),
                       key=lambda f: (f.severity_rank, int(f.id.split("-")[1])))
        if not found:
            return [para("No open finding.")]
        decided = requirements.decisions()
        high = [f for f in found if f.severity == requirements.SEVERITIES[0]]
        rows = []
        for f in high:
            d = decided.get(f.id)
            rows.append([self.page_link(f"requirements#{f.id}", f.id), f.question,
                         d.recommendation if d else "none yet", d.decides if d else ""])
        rest = {s: sum(f.severity == s for f in found) for s in requirements.SEVERITIES[1:]}
        more = ", ".join(f"{n} of {s} severity" for s, n in rest.items() if n)
        out: list[nodes.Node] = [table(["ID", "open question (high severity)",
                                        "the workbook recommends", "who decides"],
                                       rows, classes=["summary-table", "decisions"])] \
            if rows else []
        if more:
            out.append(para(f"And {more}: each is a decision card, with its options, on the "
                            "book's ", self.page_link("requirements#findings-for-reviewers",
                                                      "Requirement status"), " page."))
        return out

    def _testing(self) -> list[nodes.Node]:
        self._depends(testplan.TESTING_DATA / "phases.csv", effort.EFFORT_CSV, TESTING_NOTEBOOK)
        items = nodes.bullet_list()
        for line in testing_lines(notebook_defaults(TESTING_NOTEBOOK)):
            item = nodes.list_item()
            item += para(line)
            items += item
        must = para(nodes.strong(text="Costs the DCC must give: "),
                    " ".join(report.DCC_MUST_GIVE), classes=["dcc-must-give"])
        return [items, must,
                para(self.page_link(f"{TESTING_NOTEBOOK.name}#TR-3",
                                           "Timetable, participants and assumptions"), "; ",
                            self.page_link(f"{TESTING_NOTEBOOK.name}#{EFFORT_SECTION}",
                                           "effort, cost and the minimum test set"),
                            classes=["summary-note"])]

    def _campaign(self) -> list[nodes.Node]:
        """Notebook 08 at its defaults: the campaign at the chosen limit under both readings
        of MA-4, the two-part recommendation, and the committed national result."""
        from specpkg.anomaly.campaign import Scenario
        from specpkg.anomaly.pacing import AT_RANDOM, AT_RANDOM_NEEDS
        from specpkg.anomaly.sweeps import (
            RESULT_JSON,
            chance_of_any_quarantine,
            limits_for,
            load_national,
            threshold_range,
            threshold_sensitivity,
        )
        from specpkg.workbook.campaign_view import pounds

        self._depends(CAMPAIGN_NOTEBOOK, RESULT_JSON)
        found = notebook_campaign()
        plan, advice = found.plan, found.recommendation
        spec = plan.spec
        every = found.impact.totals[Scenario.DELIVERED]
        out = [para(
            f"A debt relief campaign on {spec.register.label}, on illustrative households "
            f"(F-72): {len(plan.targets):,} of {spec.meters:,} prepayment meters carry that "
            f"debt and each is sent a reset; the {every.resets:,} on the Release's firmware "
            f"({100 * spec.release_share:.0f} %, MA-19) reset their register, writing off "
            f"{pounds(every.written_off)} if every reset is delivered.")]
        if advice is not None:
            n = advice.side_trials

            def seen(label: str) -> str:
                return f"{advice.trials_with_quarantine(advice.side(label)):,} of {n:,}"

            lower, higher = advice.side("threshold 10 % lower"), advice.side(
                "threshold 10 % higher")
            faster = advice.side("sending 10 % faster")
            random = advice.side(AT_RANDOM)
            lowest, highest = threshold_range(
                threshold_sensitivity(spec, risk=advice.risk, trials=advice.trials))
            out.append(para(
                f"The recommendation, in two parts: set the hourly threshold to "
                f"{advice.threshold:,} (daily {advice.daily:,}), {advice.headroom:,} above the "
                f"campaign's pace, room for the Supplier's ordinary resets; and send "
                f"{advice.rate:,} resets an hour, paced evenly: the {advice.resets:,} resets "
                f"go in {advice.days} days and {seen('recommended')} simulated campaigns see a "
                f"quarantine (the accepted risk is {100 * advice.risk:.0f} %). Either side: at "
                f"{lower.threshold:,}, {seen('threshold 10 % lower')} do; at "
                f"{higher.threshold:,}, a runaway sender adds {higher.headroom:,} resets an "
                f"hour unchecked; sending {faster.rate:,} an hour, "
                f"{seen('sending 10 % faster')} do. The threshold follows the campaign's "
                f"size: across the inputs' plausible ranges it runs from {lowest:,} to "
                f"{highest:,}. Sent at random over the same days instead, against the same hourly "
                f"and daily thresholds and with the Supplier's ordinary resets, "
                f"{seen(AT_RANDOM)} campaigns see a quarantine, on average over them "
                f"{random.quarantined[True]:,.0f} resets held if quarantined resets count "
                f"(MA-4, the default), {random.quarantined[False]:,.0f} if not (F-5); sent at "
                f"random the campaign needs a threshold of "
                f"{advice.side(AT_RANDOM_NEEDS).threshold:,}."))
            only = limits_for(spec, every.resets, risk=advice.risk, trials=advice.trials)
            out.append(para(
                f"That recommendation is sized for a reset to each of the {advice.resets:,} "
                f"meters carrying the debt, whatever their firmware. A Supplier that sends "
                f"only to the {every.resets:,} it knows run the Release (as finding F-71 "
                f"recommends) writes off the same debt with a threshold of {only[0]:,} and a "
                f"rate of {only[1]:,} an hour, and spends none of its thresholds on refusals."))
        national = load_national()
        suppliers = national["suppliers"]
        register = DebtRegister(national["parameters"]["register"])
        written = sum(s["written_off"][register.value] for s in suppliers)
        off = sum(s["hours_off"] for s in suppliers)
        avoided = off - sum(s["hours_off_with_resets"] for s in suppliers)
        tries = national["parameters"]["side_trials"]
        seen = sorted({round(s["chance_of_quarantine"] * tries) for s in suppliers})
        out.append(para(
            f"Nationally ({sum(s['meters'] for s in suppliers):,} meters, {len(suppliers)} "
            f"Supplier groups by market share, "
            f"{100 * national['parameters']['release_share']:.0f} % on the Release, illustrative "
            f"inputs: F-72), a campaign on {register.label}, each Supplier paced at its "
            f"recommendation and every reset delivered, writes off {pounds(written)} and "
            f"avoids about {round(avoided, -3):,} of {off / 1e6:.1f} million household-hours "
            f"off supply ({_percent_of(avoided, off)}) in "
            f"{national['parameters']['simulation_days']} days. At its threshold each Supplier "
            f"saw a quarantine in {seen[0]} to {seen[-1]} of {tries} simulated campaigns "
            f"(its threshold is set for "
            f"{100 * national['parameters']['risk']:.0f} %): about "
            f"{100 * chance_of_any_quarantine(suppliers):.0f} % that at least one Supplier "
            "does."))
        out.append(para("Pounds written off per register, pacing, both readings at every "
                        "threshold and the national figures per Supplier: see ",
                        self.page_link(CAMPAIGN_NOTEBOOK.name, "notebook 08"), ".",
                        classes=["summary-note"]))
        return out

    def _figures(self) -> list[nodes.Node]:
        folder = Path(self.env.srcdir) / "_generated"
        folder.mkdir(exist_ok=True)
        made = [("testing-timetable.svg", self._gantt_caption(), self._gantt),
                ("campaign-outcomes.svg", self._campaign_caption(), self._campaign_figure)]
        box = nodes.container(classes=["summary-figures"])
        for number, (name, caption, draw) in enumerate(made, start=1):  # numbered by numfig
            with rc_context(FIGURE_RC):
                figure = draw()  # at FIGURE_INCHES, laid out
                figure.savefig(folder / name, format="svg", metadata={"Date": None})
            text = f"{caption}."
            shown = nodes.figure(ids=[f"figure-{number}"])
            shown += nodes.image(uri=f"_generated/{name}", alt=text)
            shown += nodes.caption(text, text)
            box += shown
        return [box]

    @staticmethod
    def _timetable() -> Any:
        return testplan.timetable(implementation.parse_date(
            "START_DATE", notebook_defaults(TESTING_NOTEBOOK)["START_DATE"]))

    def _gantt(self) -> Figure:
        figure = Figure(figsize=FIGURE_INCHES)
        ax = figure.subplots()
        testplan.plot_gantt(self._timetable(), ax=ax)
        ax.set_title("")
        ax.set_xlabel("")
        ax.get_legend().remove()  # its one entry is said in the caption (_gantt_caption)
        figure.tight_layout()
        return figure

    def _gantt_caption(self) -> str:
        return ("The testing timetable, at notebook 07's start date (TR-3); shaded, the "
                f"{testplan.window_label(self._timetable())}")

    def _campaign_caption(self) -> str:
        from specpkg.workbook.campaign_figures import READING_TITLES

        found = notebook_campaign()
        advice = found.recommendation
        paced = (f"; {advice.threshold:,} is the threshold recommended for paced sending"
                 if advice else "")
        return (f"One simulated campaign: its {len(found.plan.batch):,} resets sent at random, "
                f"alone and with no daily limit, at each hourly limit, if "
                f"{READING_TITLES[found.count_quarantined]}, SR-12{paced}")

    def _campaign_figure(self) -> Figure:
        from specpkg.workbook.campaign_figures import outcomes_by_limit

        found = notebook_campaign()
        # the summary speaks of the recommended threshold only (named in the caption)
        figure = outcomes_by_limit(
            [r.reading(found.count_quarantined) for r in found.readings],
            count_quarantined=found.count_quarantined)
        figure.set_size_inches(*FIGURE_INCHES)
        (ax,) = figure.axes
        ax.set_title("")
        handles, labels = ax.get_legend_handles_labels()
        ax.get_legend().remove()
        figure.legend(handles, labels, loc="lower center", ncol=2, frameon=False)
        figure.tight_layout(rect=(0, 0.09, 1, 1))  # the legend below, centred on the figure
        return figure


HEADINGS = {
    "asat": "", "status": "", "problem": "The problem and the business case",
    "impacts": "Who it touches, and how", "documents": "The documents that change",
    "implementation": "The implementation date (IMP-1)", "testing": "Testing and its costs",
    "campaign": "A bulk debt relief campaign", "decisions": "Open decisions for the group",
    "risks": "Risks", "figures": "",
}


def _percent_of(part: float, whole: float) -> str:
    share = 100 * part / whole if whole else 0.0
    return f"{share:.1f} %" if share < 10 else f"{share:.0f} %"


def page_text() -> str:
    """The summary page's MyST source: a heading and a directive per part."""
    parts = ["# SECMP0002 executive summary\n",
             "SECMP0002 adds one Critical command per Debt Register (Time Debt Register 1 "
             "and 2, Payment Debt Register) on electricity (ESME) and gas (GSME) smart "
             "meters, resetting that register to zero, asked for with one DUIS Service "
             "Request.\n"]
    for part in PARTS:
        if part == "asat":
            parts.insert(1, f"```{{summary-part}} {part}\n```\n")
            continue
        if HEADINGS[part]:
            parts.append(f"## {HEADINGS[part]}\n")
        parts.append(f"```{{summary-part}} {part}\n```\n")
    return "\n".join(parts)


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("summary-part", SummaryPart)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
