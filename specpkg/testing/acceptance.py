"""The acceptance criteria of the Testing Services (TR-5, TR-7).

One :class:`TestCaseRecord` per test case says whether a Service Request was
sent, whether the corresponding Service Response came back, what the meter
really did and whether the response says the Debt Register is zero;
:func:`verdict_of` judges one case and :func:`check_acceptance` a whole run:
TR-7 accepts testing when, after every successful reset, the User received the
Service Response that the register is zero; a case with no Response to its
request fails TR-5.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from specpkg.errors import ValidationError

# --------------------------------------------------------------------------- acceptance (TR-5, 7)


SUCCESS_RESPONSE_CODES = frozenset({"I0"})


@dataclass(frozen=True)
class TestCaseRecord:
    """What happened in one executed test case; the end-to-end flow fills these (TR-5, TR-7).

    ``command_succeeded``: the Command's execution on the Device succeeded
    (``None`` when no Command reached the Device, e.g. refused or quarantined
    by the DCC). ``response_received``: the User received a Service Response;
    ``response_code`` is its DUIS response code (``I0`` success);
    ``response_says_zero``: the Response says the Debt Register is zero.
    ``expected_success``: the test matrix expects a successful reset.
    ``request_sent``: the User sent a Service Request at all; ``False`` when the
    environment refused the User's role at admission (TR-4), and then nothing
    was executed and no Service Response is due (TR-5 asks one per request).
    """

    __test__ = False

    case_id: str
    command_succeeded: bool | None
    response_received: bool
    response_code: str | None = None
    response_says_zero: bool = False
    expected_success: bool = True
    request_sent: bool = True

    def __post_init__(self) -> None:
        if not self.request_sent and (self.response_received or self.response_says_zero
                                      or self.command_succeeded is not None):
            raise ValidationError(
                "request_sent", f"{self.case_id}: no Service Request was sent, so there can be "
                "no Command executed and no Service Response")


class Verdict(StrEnum):
    """The outcome of one test case against TR-5 and TR-7."""

    PASS = "pass"
    NO_RESPONSE = "fail: no Service Response received (TR-5)"
    NOT_SUCCESS_CODE = "fail: successful Command but Response code is not success (TR-7)"
    NOT_ZERO = "fail: successful Command but Response does not say the register is zero (TR-7)"
    FALSE_ZERO = "fail: Response says zero although the Command did not succeed"
    UNEXPECTED_SUCCESS = "fail: Command succeeded where the test case expects a refusal"
    UNEXPECTED_FAILURE = "fail: Command did not succeed where the test case expects success"


@dataclass(frozen=True)
class CaseVerdict:
    case_id: str
    verdict: Verdict

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASS


@dataclass(frozen=True)
class AcceptanceReport:
    """Per-case verdicts and whether the run meets the acceptance criteria (TR-7)."""

    verdicts: tuple[CaseVerdict, ...]

    @property
    def accepted(self) -> bool:
        """True iff there is at least one case and every case passed."""
        return bool(self.verdicts) and all(v.passed for v in self.verdicts)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"case_id": v.case_id, "verdict": v.verdict.value} for v in self.verdicts],
            columns=["case_id", "verdict"],
        )


def verdict_of(record: TestCaseRecord,
               success_codes: frozenset[str] = SUCCESS_RESPONSE_CODES) -> Verdict:
    """Judge one case (TR-5: a Response for every Service Request; TR-7: the zero Response).

    A case that sent no Service Request (refused at admission, TR-4) passes
    exactly when the test case expects no success.
    """
    if not record.request_sent:
        return Verdict.UNEXPECTED_FAILURE if record.expected_success else Verdict.PASS
    if not record.response_received:
        return Verdict.NO_RESPONSE
    if record.command_succeeded:
        if not record.expected_success:
            return Verdict.UNEXPECTED_SUCCESS
        if record.response_code not in success_codes:
            return Verdict.NOT_SUCCESS_CODE
        if not record.response_says_zero:
            return Verdict.NOT_ZERO
        return Verdict.PASS
    if record.response_says_zero:
        return Verdict.FALSE_ZERO
    if record.expected_success:
        return Verdict.UNEXPECTED_FAILURE
    return Verdict.PASS


def check_acceptance(records: Iterable[TestCaseRecord],
                     success_codes: frozenset[str] = SUCCESS_RESPONSE_CODES) -> AcceptanceReport:
    """Verdict per case; the run is accepted only if every case passes (TR-5, TR-7).

    In particular, for every Command the Device executed successfully the User
    must have received the Service Response (success code) saying the Debt
    Register is zero. Duplicate case ids are refused.
    """
    records = list(records)
    ids = [r.case_id for r in records]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValidationError("case_id", f"duplicate test case ids: {duplicates}")
    return AcceptanceReport(
        tuple(CaseVerdict(r.case_id, verdict_of(r, success_codes)) for r in records)
    )
