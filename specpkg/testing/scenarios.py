"""The test matrix run through the test environment and the real flow (TR-4..TR-10).

Every row of :func:`specpkg.testplan.build_test_matrix` is executed, not just
listed:

1. **Admission (TR-4)**: a User of the case's role asks to join the
   :class:`~specpkg.testenv.TestEnvironment`; roles not eligible for SR 2.3 are
   refused there, so they never send a Service Request.
2. **Test SMS (TR-8, TR-9)**: each admitted supplier gets a Test CH of the
   case's HAN x WAN variant and adds its meter (ESME for the Import Supplier,
   GSME for the Gas Supplier) of the case's SMETS version; the environment's
   :class:`MeterStubFactory` makes the :class:`~specpkg.devices.MeterStub` that
   emulates it, in the case's payment mode.
3. **Request (TR-5)**: the User's signed DUIS request goes through
   :meth:`specpkg.flow.Testbed.run`: DCC access control, Pre-Command,
   correlation and signing, screening, MAC, CH routing, the meter, the
   Service Response.
4. **Screening (TR-10)**: the DCC screens each Signed Pre-Command with the
   environment's real threshold detector
   (:func:`specpkg.detector_gbcs.gbcs_threshold_detector`) against the
   thresholds each User set; a quarantine lands in the User's inbox.
5. **Record and judge (TR-5, TR-7)**: the Service Response is parsed
   (:func:`specpkg.duis.parse_response`), one
   :class:`~specpkg.testenv.TestCaseRecord` is written per case and
   :func:`~specpkg.testenv.check_acceptance` judges the run.

One environment is built per configuration (payment mode x meter version x
Test CH variant): within it the cases differ only in device, register and role,
each register of each meter is reset once, so sharing the meters does not
change what a case means. :func:`run_scenarios` runs the extra scenarios SC-01
to SC-08 where the model allows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pandas as pd

from specpkg.duis import codes, refusals
from specpkg.duis.codes import ResponseCode
from specpkg.duis.reset_request import PARSE_AND_CORRELATE_VERSION
from specpkg.errors import SpecError, ValidationError
from specpkg.gbcs import messages, reset_messages
from specpkg.gbcs.security import Keys
from specpkg.meter.registers import DebtRegister, Device, PaymentMode, parse_device
from specpkg.meter.simulation import example_meter
from specpkg.system.flow import DEVICE_IDS
from specpkg.system.meters import MeterStub
from specpkg.system.user import User
from specpkg.system.variants import (
    RELEASE,
    ch_combinations,
)
from specpkg.testing.acceptance import (
    verdict_of,
)
from specpkg.testing.environment import (
    METER_SUPPLIER_ROLE,
    DeviceClass,
    Threshold,
    ThresholdKind,
)
from specpkg.testing.roles import UserRole
from specpkg.testing.testpack import KEYS_DIR, TestPack
from specpkg.testing.testplan import (
    scenario_cases,
)
from specpkg.testing.testrun import (
    ROLE_USER_IDS,
    Configuration,
    MeterStubFactory,
    Setup,
    build_setup,
    case_time,
    record_of,
)

# --------------------------------------------------------------------------- scenarios


def signed_pre_command_with_value(device: Device | str, register: DebtRegister | str,
                                  value: int, user: User, counter: int) -> bytes:
    """A Signed Pre-Command that writes ``value`` instead of 0 (SC-01, TR-10).

    Built from the catalogue entry with another value, signed with the User's key:
    what a faulty User system could send.
    """
    item = dataclasses.replace(reset_messages.entry(device, register), value=value)
    device = parse_device(device)
    apdu = messages.command(item.message_code, bytes.fromhex(user.user_id),
                            bytes.fromhex(DEVICE_IDS[device]), counter,
                            reset_messages.reset_payload(item, counter))
    return user.sign(apdu)


SCENARIO_RUN_COLUMNS = ["scenario_id", "scenario", "expected_outcome", "actual_outcome",
                        "as_expected", "requirement", "note"]


def _scenario_setup(device: Device, **kwargs) -> Setup:
    hub = ch_combinations()[0]
    return build_setup(Configuration(PaymentMode.PREPAYMENT, RELEASE, hub),
                       (UserRole.IS, UserRole.GS), **kwargs)


def _volume(device: Device) -> tuple[str, bool, str]:
    limit = 2
    setup = _scenario_setup(device, thresholds=(
        Threshold(ThresholdKind.USER_VOLUME, limit, period_hours=1),
        Threshold(ThresholdKind.DATA_VALUE, 0)))
    role = METER_SUPPLIER_ROLE[DeviceClass(device.value)]
    results = []
    for n, register in enumerate(DebtRegister):
        setup.dcc.clock = case_time(setup.day, n)
        results.append(setup.beds[device].run(device, register, user=setup.users[role]))
    codes = [r.response_code for r in results]
    inbox = setup.env.inbox(ROLE_USER_IDS[role])
    ok = (codes == ["I0", "I0", ResponseCode.QUARANTINED.value] and len(inbox) == 1
          and results[2].before is None)
    return (f"responses {', '.join(str(c) for c in codes)} with a volume ADT of {limit} an "
            f"hour; {len(inbox)} quarantine notification in the User's inbox", ok,
            "the third reset's Service Response is E930; its meter register is untouched")


def _non_zero_gsme() -> tuple[str, bool, str]:
    setup = _scenario_setup(Device.GSME)
    user = setup.users[UserRole.GS]
    setup.dcc.clock = case_time(setup.day, 0)
    # a faulty User system signs a Change Debt of 500 under the reset message code
    signed = signed_pre_command_with_value(Device.GSME, DebtRegister.TIME_DEBT_1, 500, user,
                                           user.next_counter)
    flow = setup.beds[Device.GSME].run(Device.GSME, DebtRegister.TIME_DEBT_1, user=user,
                                       signed=lambda _: signed)
    inbox = setup.env.inbox(user.user_id)
    ok = (flow.response_code == ResponseCode.QUARANTINED.value and flow.before is None
          and len(inbox) == 1 and inbox[0].reason.startswith("packet inspection"))
    return (f"{flow.response_code}: {inbox[0].reason if inbox else 'no notification'}; "
            f"User notified ({len(inbox)} in inbox)", ok,
            "the DCC's packet inspection quarantines it before it is compared with the issued "
            "Pre-Command; the meter never receives it")


def _two_registers() -> tuple[str, bool, str]:
    setup = _scenario_setup(Device.ESME)
    user = setup.users[UserRole.IS]
    request, _ = user.request(Device.ESME, DebtRegister.TIME_DEBT_1, DEVICE_IDS[Device.ESME])
    example = next(e for e in refusals.refusal_examples(request) if e.case == "two registers")
    result = setup.beds[Device.ESME].run_xml(example.data, request, user=user)
    ok = result.response_code == ResponseCode.SEVERAL_REGISTERS.value and result.before is None
    return (f"refused by the DCC: {result.response_code} "
            f"({codes.response_code_meaning(result.response_code or '')})", ok,
            "refused at intake; nothing reaches the meter")


def _already_zero(device: Device) -> tuple[str, bool, str]:
    register = DebtRegister.TIME_DEBT_2
    state = dataclasses.replace(example_meter(device.value), **{register.field: 0})
    setup = _scenario_setup(device, stub_factory=MeterStubFactory(states={device: state}))
    role = METER_SUPPLIER_ROLE[DeviceClass(device.value)]
    setup.dcc.clock = case_time(setup.day, 0)
    result = setup.beds[device].run(device, register, user=setup.users[role])
    record, _ = record_of("SC", result, register, True)
    ok = verdict_of(record).value == "pass" and result.before.register(register) == 0
    return (f"{result.response_code}: Service Response says zero "
            f"({record.response_says_zero}); verdict {verdict_of(record).value}", ok,
            "the meter already held 0 in the register")


def _pack_mismatch() -> tuple[str, bool, str]:
    try:
        TestPack("SECMP0002 Release", PARSE_AND_CORRELATE_VERSION, "0.0.0-other")
    except ValidationError as exc:
        return f"refused test pack: {exc.reason}", True, "also refused by `specpkg testpack`"
    return "accepted", False, ""


def _regression() -> tuple[str, bool | None, str]:
    codes = {d: MeterStub(DEVICE_IDS[d], d, example_meter(d.value), Keys(KEYS_DIR), RELEASE)
             .supported_use_cases for d in Device}
    kept = all({0x001E, 0x006E} & c for c in codes.values())
    return ("not run end to end", None,
            "the flow models SR 2.4 only; checked instead: a meter of the Release version still "
            f"supports ECS07/GCS04 ({kept})")


def run_scenarios() -> pd.DataFrame:
    """The extra scenarios SC-01..SC-08, run where the model allows (TR-1, TR-6, TR-7, TR-10).

    ``as_expected`` is ``None`` for a scenario that cannot be run end to end.
    """
    runners: dict[str, Callable[[], tuple[str, bool | None, str]]] = {
        "SC-01": _non_zero_gsme,
        "SC-02": lambda: _volume(Device.ESME),
        "SC-03": lambda: _volume(Device.GSME),
        "SC-04": _two_registers,
        "SC-05": lambda: _already_zero(Device.ESME),
        "SC-06": lambda: _already_zero(Device.GSME),
        "SC-07": _pack_mismatch,
        "SC-08": _regression,
    }
    rows = []
    for case in scenario_cases().itertuples(index=False):
        runner = runners.get(case.scenario_id)
        if runner is None:
            actual, ok, note = "not run", None, "no runner for this scenario"
        else:
            try:
                actual, ok, note = runner()
            except SpecError as exc:
                actual, ok, note = f"error: {exc}", False, ""
        rows.append({"scenario_id": case.scenario_id, "scenario": case.scenario,
                     "expected_outcome": case.expected_outcome, "actual_outcome": actual,
                     "as_expected": ok, "requirement": case.requirement, "note": note})
    return pd.DataFrame(rows, columns=SCENARIO_RUN_COLUMNS)
