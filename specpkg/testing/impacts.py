"""TR-2: the analysis of testing to the DCC Total System, checked against the plan.

``data/testing/system_impacts.csv`` says, for each part of the DCC Total System the
change touches, what testing it needs and why. Each row's claim is also a check
(:data:`CLAIMS`) over the test matrix and the scenarios: :func:`plan_holds` says
whether the plan really holds that testing, so a plan that drops it shows up.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from specpkg.duis.codes import ResponseCode, Stage, codes_given_at
from specpkg.meter.registers import DebtRegister, Device
from specpkg.system.assumptions import Assumptions
from specpkg.system.variants import METER_VERSIONS, PRE_RELEASE, ch_combinations
from specpkg.testing.roles import UserRole
from specpkg.testing.testplan import (
    REGISTER_CODES,
    build_test_matrix,
    pre_release_expectation,
    scenario_cases,
    system_impacts,
)

#: A claim: does this matrix (with the scenarios), under these model assumptions, hold it?
Claim = Callable[[pd.DataFrame, pd.DataFrame, Assumptions], bool]
SUPPLIER_ROLES = {UserRole.IS.value, UserRole.GS.value}
_AT_THE_METER = {code.value for code in codes_given_at(Stage.DEVICE)}


def _for(scenarios: pd.DataFrame, requirement: str) -> pd.DataFrame:
    return scenarios[scenarios["requirement"] == requirement]


def _every_device_and_register(m: pd.DataFrame, s: pd.DataFrame, _: Assumptions) -> bool:
    pairs = set(zip(m["device"], m["register"], strict=True))
    wanted = {(d.value, REGISTER_CODES[r]) for d in Device for r in DebtRegister}
    return pairs == wanted and "SC-04" in set(_for(s, "TR-1")["scenario_id"])


def _every_other_role_refused(m: pd.DataFrame, _: pd.DataFrame, __: Assumptions) -> bool:
    others = {r.value for r in UserRole} - SUPPLIER_ROLES
    wrong_supplier = m[
        m["role"].isin(SUPPLIER_ROLES)
        & (m["expected_code"] == ResponseCode.NOT_REGISTERED_SUPPLIER)
    ]
    return (others <= set(m.loc[~m["positive"], "role"])
            and set(wrong_supplier["device"]) == {d.value for d in Device})


def _anomaly_detection(m: pd.DataFrame, s: pd.DataFrame, _: Assumptions) -> bool:
    return (bool(m["threshold_adt"].all())
            and set(m.loc[m["packet_inspection"], "device"]) == {Device.GSME.value}
            and {d.value for d in Device} <= set(_for(s, "TR-10")["device"]))


def _every_ch_variant(m: pd.DataFrame, _: pd.DataFrame, __: Assumptions) -> bool:
    return set(m["comms_hub"]) == {hub.code for hub in ch_combinations()}


def _both_meter_versions(m: pd.DataFrame, _: pd.DataFrame, model: Assumptions) -> bool:
    pre = m[m["meter_version"] == PRE_RELEASE.stage.value]
    at_meter = set(pre.loc[pre["expected_code"].isin(_AT_THE_METER), "expected_code"])
    return (set(m["meter_version"]) == {v.stage.value for v in METER_VERSIONS}
            and at_meter == {pre_release_expectation(model).code.value})


#: What each row of the analysis requires of the plan (TR-2), by component.
CLAIMS: dict[str, Claim] = {
    "DCC Central Systems: DSP Service Request processing": _every_device_and_register,
    "DCC Central Systems: access control": _every_other_role_refused,
    "DCC Central Systems: anomaly detection": _anomaly_detection,
    "Parse and Correlate software and Message Mapping Catalogue":
        lambda m, s, _: not _for(s, "TR-6").empty,
    "Communications Hub (CSPs)": _every_ch_variant,
    "Smart Metering Systems: ESME and GSME": _both_meter_versions,
    "Other HAN Devices": lambda m, s, _: not _for(s, "TR-2").empty,
    "Party Interfacing Systems (Users)":
        lambda m, s, _: bool(m.loc[m["role"].isin(SUPPLIER_ROLES), "response_expected"].all()),
}


def plan_holds(matrix: pd.DataFrame | None = None, model: Assumptions | None = None,
               scenarios: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each row of the TR-2 analysis with whether the plan holds the testing it requires
    (a component without a claim is never held)."""
    model = model or Assumptions()
    matrix = build_test_matrix(model=model) if matrix is None else matrix
    scenarios = scenario_cases() if scenarios is None else scenarios
    impacts = system_impacts()
    held = [component in CLAIMS and CLAIMS[component](matrix, scenarios, model)
            for component in impacts["component"]]
    return impacts[["component", "testing_required"]].assign(held_by_the_plan=held)
