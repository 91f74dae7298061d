"""The findings as decision cards (the requirement-status page).

One card per finding of ``data/findings.csv``, high severity first: the
question for the working group, each option with its consequence (the
recommended one marked), the workbook's recommendation with its reason and who
decides (``data/finding_decisions.csv``, keyed by finding ID), what the workbook
shows, the tests that show it (in words, each with its outcome) and the section.
Each card is the anchor ``#F-n`` and the search's index entry for its ID, so a
search for "F-5" finds it first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from docutils import nodes

from specpkg.workbook import requirements, status
from specpkg.workbook.bookext import badge, index_entry, node_for_test, para

PageLink = Callable[[str, str | None], nodes.Node]


def _field(label: str, *parts: str | nodes.Node) -> nodes.paragraph:
    return para(nodes.strong(text=label + ": "), *parts, classes=["card-field"])


def card(finding: requirements.Finding, decision: requirements.FindingDecision | None,
         outcomes: Mapping[str, status.TestOutcome], page_link: PageLink) -> list[nodes.Node]:
    """One finding's decision card (an index entry, then the card)."""
    box = nodes.container(classes=["decision-card", f"severity-{finding.severity}"],
                          ids=[finding.id])
    head = para(nodes.inline(finding.id, finding.id, classes=["rid", "card-id"]), " ",
                nodes.inline(text=f"{finding.severity} severity · {finding.kind}",
                             classes=["card-kind"]), classes=["card-head"])
    if finding.requirements:
        head += nodes.Text(" · ")
        for i, req in enumerate(finding.requirements):
            head += nodes.Text(", " if i else "")
            head += nodes.inline(req, req, classes=["rid"])
    if not finding.open:
        head += nodes.Text(" · ")
        head += badge("closed")
    box += head
    box += para(nodes.strong(text=finding.question), classes=["card-question"])
    choices = nodes.enumerated_list(enumtype="loweralpha", classes=["card-options"])
    for letter, text in requirements.options(finding.options):
        item = nodes.list_item()
        chosen = decision is not None and letter == decision.recommended
        item += para(text, *([" ", badge("recommended")] if chosen else []))
        choices += item
    box += choices
    if decision is None and not finding.open:
        box += _field("Recommendation", "closed: no decision needed")
    elif decision is None:
        box += _field("Recommendation", "none yet: the workbook makes none")
    else:
        box += _field("Recommendation", decision.recommendation)
        box += _field("Why", decision.reason)
        box += _field("Who decides", decision.decides)
    box += _field("What the workbook shows", finding.finding)
    shown = []
    for i, name in enumerate(finding.evidence.split()):
        shown += [*(["; "] if i else []), node_for_test(name), " ",
                  badge(status.outcome_of(name, outcomes).value)]
    box += _field("Shown by", *shown, "; in ", page_link(finding.notebook, None))
    return [index_entry(finding.id, finding.id), box]


def cards(findings: Sequence[requirements.Finding],
          decisions: Mapping[str, requirements.FindingDecision],
          outcomes: Mapping[str, status.TestOutcome], page_link: PageLink) -> list[nodes.Node]:
    """Every finding's card, high severity first, then by number."""
    ordered = sorted(findings, key=lambda f: (not f.open, f.severity_rank,
                                              int(f.id.split("-")[1])))
    out: list[nodes.Node] = []
    for finding in ordered:
        out += card(finding, decisions.get(finding.id), outcomes, page_link)
    return out
