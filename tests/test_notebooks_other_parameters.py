"""Notebooks 02 and 05..09 also hold for parameters other than their defaults.

Each runs once through papermill with values chosen to change what it shows
(another seed, register, start date, a day rate for the DCC's testing costs, an
approval date on the far side of a deadline, model assumptions other than the
defaults); their own assert cells
check their statements, so a run that breaks one fails here.
"""

from __future__ import annotations

import pytest

from specpkg.paths import BUILD_DIR, NOTEBOOK_DIR
from specpkg.workbook.runner import error_outputs, execute_notebook

RUNS = {
    "02_gbcs_messages": {"ecs07_counter": 2002, "gcs04_counter": 2003, "tamper_offset": 30},
    "05_routing_and_han": {"device": "ESME", "register": "PaymentDebtRegister", "mode": "credit",
                           "assumptions": "pre_release_alerts=false"},
    "06_anomaly_detection": {"seed": 7, "requests_per_day": 5_000, "burst_fraction": 0.2,
                             "assumptions": "count_quarantined=false,compare_with_issued=false"},
    "07_testing_services": {"START_DATE": "2020-12-14", "DCC_DAY_RATE": 650,
                            "assumptions": "meter_checks_payload=true,inspect_esme=true,"
                                           "open_to_all_roles=true"},
    "08_bulk_reset_impact": {"meters": 3_000, "register": "PaymentDebtRegister",
                             "hourly_limits": [50, 100], "chosen_limit": 100, "seed": 5,
                             "assumptions": "count_quarantined=false"},
    "09_implementation": {"APPROVAL_DATE": "2018-10-08"},
}


@pytest.mark.notebook
@pytest.mark.parametrize("name", sorted(RUNS))
def test_notebook_holds_for_other_parameters(name: str) -> None:
    params = RUNS[name]
    executed = execute_notebook(NOTEBOOK_DIR / f"{name}.ipynb",
                                BUILD_DIR / "papermill" / f"{name}_other.ipynb", params)
    assert executed.metadata["papermill"]["parameters"] == params
    assert not error_outputs(executed)
