"""The test matrix run through the test environment and its DCC (TR-4..TR-10).

Every row of :func:`specpkg.testing.testplan.build_test_matrix` is executed, not
just listed:

1. **Admission (TR-4)**: a User of the case's role asks to join the
   :class:`~specpkg.testing.environment.TestEnvironment`; roles not eligible for
   SR 2.3 are refused there, so they never send a Service Request, unless the
   environment is open to all roles (model assumption MA-6): then each gets a
   test SMS with an ESME and a GSME of its own, and the DCC refuses its resets.
2. **Test SMS (TR-8, TR-9)**: each admitted supplier gets a Test CH of the
   case's HAN x WAN variant and adds its meter (ESME for the Import Supplier,
   GSME for the Gas Supplier) of the case's SMETS version, emulated by the
   DCC's meter stub in the case's payment mode.
3. **Thresholds (TR-10)**: each User sets its ADTs (``data/thresholds.csv``).
4. **Request (TR-5)**: the User's signed DUIS request goes through the
   environment's DCC (:meth:`TestEnvironment.testbed`): access control,
   Pre-Command, correlation and signing, anomaly detection, MAC, CH routing,
   the meter, the Service Response. A quarantine lands in the User's inbox.
5. **Record and judge (TR-5, TR-7)**: one
   :class:`~specpkg.testing.acceptance.TestCaseRecord` is written per case and
   :func:`~specpkg.testing.acceptance.check_acceptance` judges the run. Each case
   also records its response time through the Test CH (TR-9a), so that
   :func:`variant_effect` shows whether the variant changes outcome or timing.

One environment is built per configuration (payment mode x meter version x
Test CH variant): within it the cases differ only in device, register and role,
each register of each meter is reset once, so sharing the meters does not
change what a case means.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path

import pandas as pd

from specpkg.anomaly.thresholds import ThresholdTable
from specpkg.duis import responses
from specpkg.errors import DecodeError, ValidationError
from specpkg.gbcs import messages, reset_messages
from specpkg.gbcs.envelope import Cra, GeneralSigning
from specpkg.meter.registers import DebtRegister, Device, PaymentMode, parse_device
from specpkg.paths import PKI_DIR
from specpkg.system.assumptions import Assumptions
from specpkg.system.flow import DEVICE_IDS, FlowResult, Tamper, Testbed
from specpkg.system.meters import MeterStub
from specpkg.system.user import User
from specpkg.system.variants import METER_VERSIONS, MeterVersion, TestCommsHub, ch_combinations
from specpkg.testing.acceptance import (
    AcceptanceReport,
    TestCaseRecord,
    check_acceptance,
    verdict_of,
)
from specpkg.testing.capacity import AvailabilityWindow
from specpkg.testing.devices import DeviceClass, MeterStubFactory, TestDevice
from specpkg.testing.environment import TestEnvironment, TestUser
from specpkg.testing.roles import RoleNotEligible, UserRole, parse_role
from specpkg.testing.testplan import NOT_ADMITTED, REGISTER_CODES, build_test_matrix

KEYS_DIR = PKI_DIR

#: The DCC User ID each role's test User has. The Import and Gas Suppliers are the
#: two test Suppliers of the test-only PKI; the others never get past admission.
ROLE_USER_IDS: dict[UserRole, str] = {
    UserRole.IS: "90B3D51F30010000",
    UserRole.GS: "90B3D51F30020000",
    UserRole.ES: "90B3D51F30030000",
    UserRole.ED: "90B3D51F30040000",
    UserRole.GT: "90B3D51F30050000",
    UserRole.RSA: "90B3D51F30060000",
    UserRole.OU: "90B3D51F30070000",
}

#: The environment's availability window in the run (TR-4): 15 Working Days before
#: the recommended implementation date; every case runs on its first day.
DEFAULT_WINDOW = AvailabilityWindow(date(2019, 6, 3))
#: Seconds between two cases' Signed Pre-Commands (fixed clock, so outputs repeat).
CASE_SPACING_SECONDS = 10

_REGISTER_OF_CODE = {code: register for register, code in REGISTER_CODES.items()}
_VERSION_OF_STAGE = {v.stage.value: v for v in METER_VERSIONS}


# --------------------------------------------------------------------------- a configuration


@dataclass(frozen=True)
class Configuration:
    """What the cases sharing one environment have in common."""

    mode: PaymentMode
    version: MeterVersion
    comms_hub: TestCommsHub

    @property
    def label(self) -> str:
        return f"{self.mode.value} / {self.version.stage.value} / {self.comms_hub.code}"


def own_meter_ids(role: UserRole) -> dict[Device, str]:
    """The ESME and GSME a User of a role not eligible for the reset adds to its own
    test SMS when the environment admits it (MA-6): ``00DB12345678<nn>A0``/``A1``,
    ``nn`` from its User ID."""
    nn = ROLE_USER_IDS[parse_role(role)][10:12]
    return {device: f"00DB12345678{nn}{device_id[-2:]}" for device, device_id in DEVICE_IDS.items()}


@dataclass
class Setup:
    """One configuration's environment, Users and testbeds: one per meter of the two
    Suppliers, and one per other admitted role with its own meters (MA-6)."""

    config: Configuration
    env: TestEnvironment
    users: dict[UserRole, User]
    refused: dict[UserRole, RoleNotEligible]
    beds: dict[Device, Testbed]
    day: date
    own_beds: dict[UserRole, Testbed] = field(default_factory=dict)

    def bed_for(self, role: UserRole, device: Device) -> Testbed:
        """Where a User of ``role`` sends its reset of ``device``."""
        return self.own_beds[role] if role in self.own_beds else self.beds[device]

    @property
    def dcc(self):
        """The environment's DCC (the one DCC model)."""
        return self.env.dcc

    def stub(self, device: Device | str) -> MeterStub:
        return self.beds[parse_device(device)].stub(device)


def build_setup(
    config: Configuration,
    roles: Iterable[UserRole] = tuple(UserRole),
    *,
    window: AvailabilityWindow = DEFAULT_WINDOW,
    thresholds: ThresholdTable | None = None,
    stub_factory: MeterStubFactory | None = None,
    model: Assumptions | None = None,
    keys_dir: Path = KEYS_DIR,
) -> Setup:
    """Admit a User per role, let each set its ADTs, give each supplier a test SMS with
    its meter (TR-4, TR-8, TR-9, TR-10).

    The environment refuses ineligible roles (TR-4): they are in ``refused``; if it
    admits them (MA-6) each gets its own SMS with an ESME and a GSME (``own_beds``).
    ``thresholds`` is the Users' table (default ``data/thresholds.csv``); ``model``
    the model assumptions of the environment's DCC.
    """
    model = model or Assumptions()
    factory = stub_factory or MeterStubFactory(config.mode, keys_dir, model=model)
    env = TestEnvironment(window, model=model, stub_factory=factory,
                          comms_hubs=(config.comms_hub,), keys_dir=keys_dir)
    table = ThresholdTable.load() if thresholds is None else thresholds
    day = window.first_day
    admitted: dict[UserRole, str] = {}
    refused: dict[UserRole, RoleNotEligible] = {}
    for role in dict.fromkeys(UserRole(r) for r in roles):
        user_id = ROLE_USER_IDS[role]
        try:
            env.register_user(TestUser(user_id, f"test {role.value} User", role))
        except RoleNotEligible as exc:
            refused[role] = exc
            continue
        admitted[role] = user_id
        if table.for_user(user_id):
            env.set_thresholds(user_id, table.for_user(user_id))
    beds: dict[Device, Testbed] = {}
    for device in Device:
        role = DeviceClass(device.value).supplier_role
        if role not in admitted:
            continue
        system = env.issue_comms_hub(admitted[role], config.comms_hub.code, day)
        env.add_device(admitted[role], system.sms_id,
                       TestDevice(DEVICE_IDS[device], DeviceClass(device.value), True,
                                  config.version), day)
        beds[device] = env.testbed(admitted[role], system.sms_id)
    own_beds: dict[UserRole, Testbed] = {}
    for role in (r for r in admitted if r not in env.eligible):
        system = env.issue_comms_hub(admitted[role], config.comms_hub.code, day)
        for device, device_id in own_meter_ids(role).items():
            env.add_device(admitted[role], system.sms_id,
                           TestDevice(device_id, DeviceClass(device.value), True, config.version),
                           day)
        own_beds[role] = env.testbed(admitted[role], system.sms_id)
    users = {DeviceClass(device.value).supplier_role: bed.user for device, bed in beds.items()}
    users.update({role: bed.user for role, bed in own_beds.items()})
    return Setup(config, env, users, refused, beds, day, own_beds)


# --------------------------------------------------------------------------- one case


def actual_outcome(result: FlowResult | None) -> tuple[str, str]:
    """The case's actual outcome and response code, in the matrix's words (TR-1, TR-5).

    ``None``: the environment refused the User's role at admission (TR-4).
    """
    if result is None:
        return NOT_ADMITTED, ""
    return result.outcome.value, result.response_code or ""


def response_says_zero(parsed: responses.DuisResponse | None) -> bool:
    """The Service Response says the register is zero: ``I0`` carrying the device's
    own success response (TR-7)."""
    if parsed is None or not parsed.success or not parsed.gbcs_payload:
        return False
    try:
        apdu = messages.decode(parsed.gbcs_payload)
    except DecodeError:
        return False
    return (isinstance(apdu, GeneralSigning) and apdu.cra is Cra.RESPONSE
            and reset_messages.response_success(apdu))


def record_of(case_id: str, result: FlowResult | None, register: DebtRegister,
              expected_success: bool) -> tuple[TestCaseRecord, responses.DuisResponse | None]:
    """The :class:`TestCaseRecord` of one case (TR-5, TR-7) and its parsed Service Response.

    ``command_succeeded`` is what the meter really did (its state), not what any
    message says: ``None`` if no Command reached it, else whether it executed
    the Command (no alert) and the register is zero afterwards. A Service
    Response counts as received only if the User could read it (signed by the DCC)
    and it carries this request's RequestID: the corresponding Service Response (TR-5).
    """
    if result is None:
        return TestCaseRecord(case_id, None, False, expected_success=expected_success,
                              request_sent=False), None
    parsed = result.received
    if parsed is not None and result.request is not None and (
            parsed.request_id != result.request.request_id):
        parsed = None  # a Response, but not the one corresponding to this request (TR-5)
    if result.before is None or result.after is None:
        succeeded = None
    else:
        succeeded = bool(result.device_response) and result.after.register(register) == 0
    record = TestCaseRecord(case_id, succeeded, parsed is not None,
                            parsed.code if parsed else None, response_says_zero(parsed),
                            expected_success)
    return record, parsed


# --------------------------------------------------------------------------- the run


CASE_COLUMNS = [
    "case_id", "device", "register", "payment_mode", "meter_version", "comms_hub", "role",
    "positive", "expected_outcome", "expected_code", "actual_outcome", "response_code",
    "outcome_matches", "request_sent", "response_received", "command_succeeded",
    "response_says_zero", "verdict", "response_time_s",
]


@dataclass(frozen=True)
class MatrixRun:
    """The result of running the matrix: cases, records, acceptance (TR-5, TR-7)."""

    cases: pd.DataFrame
    records: tuple[TestCaseRecord, ...]
    results: Mapping[str, FlowResult] = field(repr=False)
    setups: tuple[Setup, ...] = field(repr=False)

    @cached_property
    def acceptance(self) -> AcceptanceReport:
        return check_acceptance(self.records)

    @property
    def accepted(self) -> bool:
        """Accepted (TR-7) and every case's actual outcome is the expected one."""
        return self.acceptance.accepted and bool(self.cases["outcome_matches"].all())

    @property
    def mismatches(self) -> pd.DataFrame:
        return self.cases[~self.cases["outcome_matches"]]

    def counts(self) -> pd.DataFrame:
        """Cases per expected and actual outcome and verdict."""
        return (self.cases.groupby(["expected_outcome", "actual_outcome", "verdict"], sort=True)
                .size().rename("cases").reset_index())

    def summary(self) -> dict[str, object]:
        cases = self.cases
        return {
            "cases": len(cases),
            "positive": int(cases["positive"].sum()),
            "negative": int((~cases["positive"]).sum()),
            "requests sent": int(cases["request_sent"].sum()),
            "Service Responses": int(cases["response_received"].sum()),
            "outcome as expected": int(cases["outcome_matches"].sum()),
            "passed (TR-5, TR-7)": int((cases["verdict"] == "pass").sum()),
            "accepted": self.accepted,
        }


Prepare = Callable[[Setup], None]


def configurations(matrix: pd.DataFrame) -> list[Configuration]:
    """The distinct (mode, version, Test CH) of a matrix, in matrix order."""
    hubs = {h.code: h for h in ch_combinations()}
    seen = dict.fromkeys(zip(matrix["payment_mode"], matrix["meter_version"],
                             matrix["comms_hub"], strict=True))
    return [Configuration(PaymentMode(m), _VERSION_OF_STAGE[v], hubs[c]) for m, v, c in seen]


def case_time(day: date, ordinal: int) -> datetime:
    """When the ``ordinal``-th case (0-based) sends its request: fixed, 10 s apart."""
    return datetime.combine(day, time(9, 0), UTC) + timedelta(
        seconds=CASE_SPACING_SECONDS * ordinal)


def run_matrix(
    matrix: pd.DataFrame | None = None,
    *,
    window: AvailabilityWindow = DEFAULT_WINDOW,
    thresholds: ThresholdTable | None = None,
    stub_class: type[MeterStub] = MeterStub,
    prepare: Prepare | None = None,
    tamper: Mapping[str, Tamper] | None = None,
    model: Assumptions | None = None,
) -> MatrixRun:
    """Run every row of the test matrix end to end and judge it (TR-4..TR-10).

    ``stub_class`` (a faulty meter), ``prepare`` (called on each configuration's
    :class:`Setup` before its cases) and ``tamper`` (hooks passed to
    :meth:`Testbed.run`) inject faults, so that tests can show the acceptance
    check rejecting a bad run. ``model``: the model assumptions of the DCC.
    """
    model = model or Assumptions()
    matrix = build_test_matrix(model=model) if matrix is None else matrix
    if matrix.empty:
        raise ValidationError("matrix", "no test cases to run")
    if not matrix["case_id"].is_unique:
        raise ValidationError("case_id", "test case ids must be unique")
    roles = tuple(dict.fromkeys(UserRole(r) for r in matrix["role"]))
    setups: dict[tuple[str, str, str], Setup] = {}
    for config in configurations(matrix):
        factory = MeterStubFactory(config.mode, stub_class=stub_class, model=model)
        setup = build_setup(config, roles, window=window, thresholds=thresholds,
                            stub_factory=factory, model=model)
        if prepare is not None:
            prepare(setup)
        setups[(config.mode.value, config.version.stage.value, config.comms_hub.code)] = setup
    rows, records, results = [], [], {}
    for ordinal, case in enumerate(matrix.itertuples(index=False)):
        setup = setups[(case.payment_mode, case.meter_version, case.comms_hub)]
        role = UserRole(case.role)
        device = parse_device(case.device)
        register = _REGISTER_OF_CODE[case.register]
        result = None
        if role in setup.users:
            setup.dcc.clock = case_time(setup.day, ordinal)
            bed = setup.bed_for(role, device)
            result = bed.run(device, register, user=setup.users[role], **(tamper or {}))
            results[case.case_id] = result
        record, _ = record_of(case.case_id, result, register, bool(case.positive))
        records.append(record)
        actual, code = actual_outcome(result)
        rows.append({
            "case_id": case.case_id, "device": case.device, "register": case.register,
            "payment_mode": case.payment_mode, "meter_version": case.meter_version,
            "comms_hub": case.comms_hub, "role": case.role, "positive": bool(case.positive),
            "expected_outcome": case.expected_outcome, "expected_code": case.expected_code,
            "actual_outcome": actual, "response_code": code,
            "outcome_matches": (actual, code) == (case.expected_outcome, case.expected_code),
            "request_sent": record.request_sent, "response_received": record.response_received,
            "command_succeeded": record.command_succeeded,
            "response_says_zero": record.response_says_zero,
            "verdict": verdict_of(record).value,
            "response_time_s": _seconds(result),
        })
    return MatrixRun(pd.DataFrame(rows, columns=CASE_COLUMNS), tuple(records), results,
                     tuple(setups.values()))


def _seconds(result: FlowResult | None) -> float | None:
    time = None if result is None else result.response_time
    return None if time is None else round(time.total_seconds(), 1)


def variant_effect(run: MatrixRun) -> pd.DataFrame:
    """Per Test CH variant and device, the Service Responses of the cases that reached
    the meter and their response times (TR-9a): does the variant change the outcome,
    the timing, or both?"""
    delivered = run.cases.dropna(subset=["response_time_s"])
    grouped = delivered.groupby(["comms_hub", "device"], sort=False)
    table = grouped.agg(cases=("case_id", "size"),
                        responses=("response_code", lambda c: ", ".join(sorted(set(c)))),
                        fastest_s=("response_time_s", "min"),
                        slowest_s=("response_time_s", "max"))
    return table.reset_index()


def plot_outcomes(run: MatrixRun, ax=None):
    """Bar chart of cases per actual outcome, split by verdict (TR-5, TR-7)."""
    import textwrap

    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    table = pd.crosstab(run.cases["actual_outcome"], run.cases["verdict"])
    table.index = [textwrap.fill(label, 48) for label in table.index]
    failures = iter(["tab:red", "tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:olive"])
    colors = ["tab:green" if v == "pass" else next(failures, "tab:gray") for v in table.columns]
    table.plot.barh(ax=ax, stacked=True, color=colors)
    ax.set_xlabel("test cases")
    ax.set_ylabel("")
    ax.set_title(f"SECMP0002 test matrix run: {len(run.cases)} cases")
    ax.invert_yaxis()
    ax.legend(title="verdict", loc="upper center", bbox_to_anchor=(0.4, -0.18), fontsize="small")
    ax.figure.tight_layout()
    return ax.figure
