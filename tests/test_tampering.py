"""Tampered resets and what stops them, under each model assumption (SR-10, SR-11, F-1, F-12)."""

from __future__ import annotations

import pytest

from specpkg.duis.codes import Outcome
from specpkg.meter.registers import DebtRegister
from specpkg.system.assumptions import Assumptions
from specpkg.system.flow import make_testbed
from specpkg.system.tampering import CASES, SETTINGS, run_case, stopped_by, tampering_matrix

ESME_CASES = {c.name: c for c in CASES if c.device.value == "ESME"}
GSME_CASES = [c for c in CASES if c.device.value == "GSME"]


def _run(case, assumptions: Assumptions, register=DebtRegister.TIME_DEBT_1):
    bed = make_testbed(assumptions=assumptions)
    result = run_case(case, register, bed)
    return result, stopped_by(result, bed)


@pytest.mark.parametrize("case", GSME_CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("setting", list(SETTINGS), ids=str)
def test_sr10_every_tampered_gsme_reset_is_stopped_by_packet_inspection(case, setting) -> None:
    result, check = _run(case, SETTINGS[setting])
    assert check == "packet inspection (QUARANTINED)"
    assert result.after is None  # never reached the meter


def test_f1_what_stops_a_non_zero_esme_reset() -> None:
    """F-1: the ESME value is not inspected (SR-11); other checks must stop it."""
    case = ESME_CASES["non-zero value (500p)"]
    assert _run(case, Assumptions())[1] == "data value threshold (QUARANTINED)"
    assert _run(case, Assumptions(read_esme_value=False))[1] == \
        "issued Pre-Command check (SIGNED_PRECOMMAND_MISMATCH)"
    assert _run(case, Assumptions(inspect_esme=True, compare_with_issued=False))[1] == \
        "packet inspection (QUARANTINED)"
    result, check = _run(case, Assumptions(read_esme_value=False, compare_with_issued=False))
    assert check == "nothing: Time Debt Register 1 3000p -> 500p (RESET_NOT_CONFIRMED)"
    assert result.outcome is Outcome.NOT_CONFIRMED
    result, check = _run(case, Assumptions(read_esme_value=False, compare_with_issued=False,
                                           meter_checks_payload=True))
    assert check == "meter: refused, registers unchanged (RESET_NOT_CONFIRMED)"


def test_f12_a_reset_of_another_register_is_reported_as_success() -> None:
    """F-12: without the issued check, a reset of TDR2 is answered I0 for the TDR1 request."""
    result, check = _run(ESME_CASES["another register"], Assumptions(compare_with_issued=False))
    assert result.outcome is Outcome.SUCCESS and result.response_code == "I0"
    assert result.after.time_debt_1 == result.before.time_debt_1 == 3_000
    assert result.after.time_debt_2 == 0 and check.startswith("nothing: Time Debt Register 2")


def test_the_matrix_covers_every_case_and_setting() -> None:
    matrix = tampering_matrix(DebtRegister.PAYMENT_DEBT)
    assert list(matrix.columns) == ["device", "tampering", *SETTINGS]
    assert len(matrix) == len(CASES) - 1  # the recovery method case is for time debts only
    defaults = matrix["defaults"]
    assert not defaults.str.startswith(("nothing", "meter")).any()
