"""The executive summary: one printable page, first in the book, computed live.

Each part is a ``{summary-part}`` directive on the summary page; its content
comes from the package and ``data/`` when the book is built: the specification's
impact list (``data/impacts.csv``), the risks (``data/risks.csv``), the open
findings by severity, the testing timetable against the IMP-1 implementation
dates, and a bulk reset campaign at notebook 08's default parameters, with two
key plots. A figure the package cannot give links to the notebook instead.
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
from specpkg.testing import implementation, schedule, testplan
from specpkg.workbook import requirements, status
from specpkg.workbook.bookext import BookDirective, badge, para, table

PARTS = ("status", "impacts", "risks", "questions", "testing", "campaign", "figures")
TESTING_NOTEBOOK = NOTEBOOK_DIR / "07_testing_services.ipynb"
CAMPAIGN_NOTEBOOK = NOTEBOOK_DIR / "08_bulk_reset_impact.ipynb"


def notebook_defaults(path: Path) -> dict[str, Any]:
    """A notebook's papermill parameters and their default values."""
    found = papermill.inspect_notebook(str(path))
    return {name: ast.literal_eval(p["default"]) for name, p in found.items()}


@functools.cache
def campaign_outcomes(meters: int, register: str, first_day: int, days: int, seed: int,
                      limits: tuple[int, ...]) -> dict[int, tuple[int, int]]:
    """Hourly volume limit -> (delivered, quarantined) resets of a bulk reset
    campaign from one Supplier, as notebook 08 runs it (SR-12)."""
    from specpkg.anomaly.engine import Disposition
    from specpkg.anomaly.replay import replay
    from specpkg.anomaly.thresholds import Threshold, ThresholdTable
    from specpkg.anomaly.traffic import EXAMPLE_USERS, bulk_reset_campaign
    from specpkg.gbcs.catalogue import RESET_DEBT_REGISTER
    from specpkg.system.assumptions import Assumptions

    user = EXAMPLE_USERS[0]
    campaign = bulk_reset_campaign(meters, user=user, register=register, first_day=first_day,
                                   days=days, seed=seed)
    found = {}
    for limit in limits:
        counts = replay(campaign, ThresholdTable([
            Threshold(user, RESET_DEBT_REGISTER, "volume", 3600, limit),
            Threshold(user, RESET_DEBT_REGISTER, "data_value", 0, 0),
        ]), count_quarantined=Assumptions().count_quarantined).counts()
        found[int(limit)] = (int(counts[Disposition.DELIVERED]),
                             int(counts[Disposition.QUARANTINED]))
    return found


def notebook_campaign() -> tuple[dict[str, Any], dict[int, tuple[int, int]]]:
    """Notebook 08's default parameters and its campaign's outcomes by hourly limit."""
    d = notebook_defaults(CAMPAIGN_NOTEBOOK)
    return d, campaign_outcomes(d["meters"], d["register"], d["campaign_first_day"],
                                d["campaign_days"], d["seed"], tuple(d["hourly_limits"]))


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


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
        self._depends(testplan.TESTING_DATA / "phases.csv", TESTING_NOTEBOOK)
        phases = testplan.load_phases()
        days = sum(p.working_days for p in phases)
        window = sum(p.working_days for p in phases if p.in_environment_window)
        start = implementation.parse_date(
            "START_DATE", notebook_defaults(TESTING_NOTEBOOK)["START_DATE"])
        plan = testplan.timetable(start, phases)
        end = plan["end"].iloc[-1]
        items = nodes.bullet_list()
        lines = [
            f"{len(phases)} phases one after another: {days} Working Days in all (the critical "
            f"path), of which {window} in the test environment (TR-4: at least 15).",
            f"Starting on {_day(plan['start'].iloc[0])} (notebook 07), testing ends on "
            f"{_day(end)}.",
            *(f"For implementation on {_day(d.implementation)} ({d.rule}), testing must start "
              f"by {_day(d.latest_start)}." for d in schedule.deadlines(days)),
        ]
        for line in lines:
            item = nodes.list_item()
            item += para(line)
            items += item
        return [items, para(self.page_link(f"{TESTING_NOTEBOOK.name}#TR-3",
                                           "Timetable, participants and assumptions"),
                            classes=["summary-note"])]

    def _campaign(self) -> list[nodes.Node]:
        self._depends(CAMPAIGN_NOTEBOOK)
        defaults, outcomes = notebook_campaign()
        meters = defaults["meters"]
        chosen = defaults.get("chosen_limit", min(outcomes))
        delivered, quarantined = outcomes.get(chosen, (0, 0))
        text = (f"A debt relief campaign of {meters:,} resets over {defaults['campaign_days']} "
                f"working days: with an hourly volume limit of {chosen:,}, {delivered:,} are "
                f"delivered and {quarantined:,} quarantined, each quarantine a notification "
                "for the DCC and the Supplier. By hourly limit: "
                + "; ".join(f"{limit:,}: {q:,} quarantined" for limit, (_, q)
                            in sorted(outcomes.items())) + ".")
        more = para("Pounds written off, pacing and supply-off hours: see ",
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
        _, outcomes = notebook_campaign()
        limits = sorted(outcomes)
        figure = Figure(figsize=(6, 3))
        ax = figure.subplots()
        labels = [f"{limit:,}" for limit in limits]
        delivered = [outcomes[limit][0] for limit in limits]
        quarantined = [outcomes[limit][1] for limit in limits]
        ax.bar(labels, delivered, color="#2a7f3f", label="delivered")
        ax.bar(labels, quarantined, bottom=delivered, color="#c8602a", label="quarantined")
        ax.set_xlabel("hourly volume limit (resets per rolling hour)")
        ax.set_ylabel("resets")
        ax.set_title(f"{sum(outcomes[limits[0]]):,} resets: outcome by hourly volume limit")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
        figure.tight_layout()
        return figure


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
