"""The executive summary's text as a Modification Report has it: the problem and the
business case, the consumer impact, the documents that change, the costs and the
implementation date as at the day the book is built.

Each reading of the specification names its section of the Solution Design
Specification (SDS); every figure is computed by the package when the book is built.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd

from specpkg.paths import REPO_DIR
from specpkg.testing import implementation as imp
from specpkg.workbook import requirements

#: Why a Supplier needs the command (SDS Summary and section 1; Service Request 2.3,
#: "Update Debt", is DUIS's existing adjust-debt request; notebooks 01 and 08 show the rest).
BUSINESS_CASE = (
    "Today a Supplier can only adjust a Debt Register by an amount (Service Request 2.3, "
    "Update Debt). To clear a debt, when it writes the debt off under a relief scheme, "
    "corrects an error or takes over a premises whose debt was the previous occupant's, "
    "it has to know what the register holds when the command arrives; but the meter goes on "
    "recovering debt in the meantime, so an adjustment worked out from a reading leaves a "
    "remainder or overshoots. SECMP0002 adds a command that sets one register to zero, "
    "whatever it holds, and reports only whether it is zero afterwards: no value comes "
    "back, so the response needs no encryption (BR-5)."
)

#: The consumers' row of the "for whom" table (SDS section 1: reset commands "only affect
#: any debt recovery when in prepayment mode"; the specification's impact list has none).
CONSUMERS = requirements.PartyImpact(
    "Consumers (the workbook's addition)",
    "In prepayment mode a reset stops recovery of that debt: what the household tops up is "
    "no longer shared with the debt, and a household cut off by its debt gets its supply "
    "back sooner; in credit mode no debt is recovered either way. The meter's answer holds "
    "no personal data.",
    "notebooks/01_debt_registers_and_reset.ipynb#BR-3",
)


@dataclass(frozen=True)
class ChangedDocument:
    """A document of the SEC that the modification changes, and what changes in it."""

    name: str
    change: str
    source: str
    notebook: str


DOCUMENTS = (
    ChangedDocument("GBCS use cases",
             "Two new Critical use cases: on a GSME the ZigBee Smart Energy Change Debt "
             "command with its supply-affecting value set to zero; on an ESME the DLMS COSEM "
             "method that resets the Debt Register; both with the message categories and "
             "access rights of the adjust-debt use cases.",
             "SDS section 2, GBCS Use Cases", "notebooks/04_reset_use_cases.ipynb#SR-1"),
    ChangedDocument("DUIS Service Request",
             "A new Service Request naming the one Debt Register to reset, for Import and Gas "
             "Suppliers, and its Service Response (success, or the reason it failed).",
             "SDS section 2, Service Request",
             "notebooks/03_service_request_and_response.ipynb#SR-9"),
    ChangedDocument("Message Mapping Catalogue (and Parse and Correlate)",
             "Entries for the new request and its GBCS messages; Users get matching versions "
             "of both for testing.",
             "SDS section 3, TR-6", "notebooks/03_service_request_and_response.ipynb#TR-6"),
    ChangedDocument("SMETS (ESME and GSME)",
             "A reset command per Debt Register, in credit and prepayment mode, reporting "
             "success only if the register is zero afterwards; there is no requirement to "
             "update installed meters, no other HAN device changes, the Communications Hub "
             "only routes.",
             "SDS sections 1 and 2", "notebooks/01_debt_registers_and_reset.ipynb#BR-1"),
    ChangedDocument("DCC anomaly detection (DCC Central Systems)",
             "Packet inspection of the GSME command (its supply-affecting value must be zero); "
             "threshold anomaly detection of both, as for every Critical command.",
             "SDS section 2, Anomaly Detection", "notebooks/06_anomaly_detection.ipynb#SR-10"),
    ChangedDocument("Testing under SEC Section H14 (H14.34)",
             "Testing Services for the change: a test environment open to Import and Gas "
             "Suppliers for at least 15 Working Days, Test Communications Hubs and meter "
             "stubs, an analysis of the testing and a report to the SEC Panel.",
             "SDS section 3, TR-1 to TR-10", "notebooks/07_testing_services.ipynb#TR-1"),
)

#: What the specification asks the DCC to provide and the workbook cannot compute.
DCC_MUST_GIVE = (
    "the costs and assumptions of the Testing Service, and whether they assume a set number "
    "of Users (up to 10) (TR-4);",
    "the day rate behind the environment days above (TR-4);",
    "its analysis of the testing the DCC Total System needs (TR-2), and the time its own "
    "End-to-End testing needs before the implementation date (F-17);",
    "the cost of changing DCC Central Systems (the new request, its mapping and packet "
    "inspection), which the specification does not cost.",
)


def for_whom() -> list[requirements.PartyImpact]:
    """Who the change touches and how: the specification's impact list
    (``data/impacts.csv``) and the consumers. The one table of notebook 00 and the summary."""
    return [*requirements.impacts(), CONSUMERS]


def for_whom_table() -> pd.DataFrame:
    """:func:`for_whom` as a table for a notebook: who, what changes, where it is shown."""
    return pd.DataFrame([{"who": i.party, "what changes": i.change,
                          "shown in": requirements.place(i.notebook)} for i in for_whom()])


def as_at() -> date:
    """The day the book is built (``SOURCE_DATE_EPOCH`` when set, for a reproducible build)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC).date()
    return datetime.now(UTC).date()


def day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _months(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def implementation_text(today: date) -> str:
    """IMP-1 in context: the rule's two windows, whether they have lapsed as at ``today``,
    and what an approval on ``today`` gets from the rule."""
    first = (imp.FIRST_DECISION_DEADLINE, imp.FIRST_IMPLEMENTATION_DATE)
    second = (imp.SECOND_DECISION_DEADLINE, imp.SECOND_IMPLEMENTATION_DATE)
    leads = sorted({_months(*first), _months(*second)})
    lead = " and ".join(str(n) for n in leads)
    rule = (f"The specification gives two dates: {day(first[1])} for a decision by "
            f"{day(first[0])}, {day(second[1])} for one by {day(second[0])} ({lead} months "
            "after the decision deadline).")
    now = imp.implementation_date(today)
    if now.specified:
        return (f"{rule} A decision on {day(today)} gives {day(now.date)}; after "
                f"{day(second[0])} the rule gives none.")
    lapsed = second[0].year if second[0].year == first[0].year else f"{first[0].year}–" \
        f"{second[0].year}"
    return (f"{rule} Both windows lapsed in {lapsed}: as at {day(today)}, an approval gets no "
            "implementation date from the rule, so the working group has to propose one "
            "(finding F-75), and the testing dates below move with it.")


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=REPO_DIR, capture_output=True, text=True,
                              timeout=30, check=False)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def built_from() -> tuple[str, bool]:
    """The commit the book is built from and whether the work tree had changes
    (``""`` when git or the repository is not there)."""
    commit = _git("rev-parse", "HEAD")
    return commit, bool(commit and _git("status", "--porcelain", "--untracked-files=no"))
