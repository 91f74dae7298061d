"""Build the existing "adjust Debt Register" messages from SR 2.3 values (SR-1, SR-2).

ECS07 (ESME, xDLMS) and GCS04 (GSME, GBZ) carry a DUIS *Update Debt* request:
the three Debt Register adjustments plus the debt recovery settings. These
builders lay the values out exactly as the RTDS 4.5.0 vectors do (the tests
compare the built pre-commands with the reference bytes), so the notebooks can
show real messages without reading ../shared. The new reset use cases mirror
these messages (SR-1, SR-2).
"""

from __future__ import annotations

from dataclasses import dataclass

from specpkg.errors import ValidationError
from specpkg.gbcs import dlms, gbz, usecases
from specpkg.gbcs.dlms import AccessRequest, ChargeMethod, RequestSpec, SpecKind
from specpkg.gbcs.envelope import Cra, GeneralSigning
from specpkg.meter.registers import DebtRegister, RecoveryPeriod, check_int

ECS07 = usecases.ECS07.message_code
GCS04 = usecases.GCS04.message_code
PERIOD_SECONDS = {RecoveryPeriod.HOURLY: 3600, RecoveryPeriod.DAILY: 86400}
"""Charge attribute 8 (period) in seconds."""
ZIGBEE_FREQUENCY = {
    RecoveryPeriod.HOURLY: gbz.RecoveryFrequency.HOURLY,
    RecoveryPeriod.DAILY: gbz.RecoveryFrequency.DAILY,
}
RTDS_ISSUER_EVENT_ID = 0x1C374A80
"""The issuer event id of the GCS04 vectors (ZigBee UTC 2015-01-01 00:00:00)."""

UNIT_CHARGE_PASSIVE = 6
PROPORTION = 13
PERIOD = 8


@dataclass(frozen=True)
class ElecRecovery:
    """DUIS ElecDebtRecovery: a rate per period, with a price scale (10^scale)."""

    rate: int
    price_scale: int = -1
    period: RecoveryPeriod = RecoveryPeriod.DAILY


@dataclass(frozen=True)
class GasRecovery:
    """DUIS GasDebtRecovery: a rate (pence) per period."""

    rate: int
    period: RecoveryPeriod = RecoveryPeriod.DAILY


@dataclass(frozen=True)
class UpdateDebt:
    """The values of a DUIS SR 2.3 Update Debt request (pence, basis points)."""

    time_debt_1: int
    time_debt_2: int
    payment_debt: int
    recovery_per_payment: int
    recovery_1: ElecRecovery | GasRecovery
    recovery_2: ElecRecovery | GasRecovery

    def __post_init__(self) -> None:
        for name in ("time_debt_1", "time_debt_2", "payment_debt"):
            check_int(name, getattr(self, name), -(2**31), 2**31 - 1)
        check_int("recovery_per_payment", self.recovery_per_payment, 0, 10_000)


def _unit_charge(recovery: ElecRecovery) -> dlms.Data:
    """Charge attribute 6 (unit_charge_passive): scaling, commodity, charge table."""
    return dlms.structure(
        dlms.structure(dlms.integer(0), dlms.integer(recovery.price_scale)),
        dlms.structure(dlms.long_unsigned(0), dlms.octet_string(bytes(6)), dlms.integer(0)),
        dlms.array(dlms.structure(dlms.octet_string(b""), dlms.long(recovery.rate))),
    )


def ecs07_request(values: UpdateDebt, originator_counter: int) -> AccessRequest:
    """The ECS07 ACCESS-Request: set the recovery rates, periods and proportion,
    activate the passive unit charges, then update_total_amount_remaining on each
    Debt Register by the requested increment (SR-2)."""
    tdr1, tdr2, pdr = (dlms.DEBT_REGISTER_OBIS[r] for r in DebtRegister)
    r1, r2 = values.recovery_1, values.recovery_2
    if not isinstance(r1, ElecRecovery) or not isinstance(r2, ElecRecovery):
        raise ValidationError("recovery", "ECS07 takes ElecRecovery settings")
    update = ChargeMethod.UPDATE_TOTAL_AMOUNT_REMAINING
    activate = ChargeMethod.ACTIVATE_PASSIVE_UNIT_CHARGE
    pairs = [
        (RequestSpec(SpecKind.SET, 113, tdr1, UNIT_CHARGE_PASSIVE), _unit_charge(r1)),
        (RequestSpec(SpecKind.SET, 113, tdr2, UNIT_CHARGE_PASSIVE), _unit_charge(r2)),
        (
            RequestSpec(SpecKind.SET, 113, pdr, PROPORTION),
            dlms.long_unsigned(values.recovery_per_payment),
        ),
        (
            RequestSpec(SpecKind.SET, 113, tdr1, PERIOD),
            dlms.double_long_unsigned(PERIOD_SECONDS[r1.period]),
        ),
        (
            RequestSpec(SpecKind.SET, 113, tdr2, PERIOD),
            dlms.double_long_unsigned(PERIOD_SECONDS[r2.period]),
        ),
        (RequestSpec(SpecKind.ACTION, 113, tdr1, activate), dlms.integer(0)),
        (RequestSpec(SpecKind.ACTION, 113, tdr2, activate), dlms.integer(0)),
        (RequestSpec(SpecKind.ACTION, 113, pdr, update), dlms.double_long(values.payment_debt)),
        (RequestSpec(SpecKind.ACTION, 113, tdr1, update), dlms.double_long(values.time_debt_1)),
        (RequestSpec(SpecKind.ACTION, 113, tdr2, update), dlms.double_long(values.time_debt_2)),
    ]
    return AccessRequest(
        dlms.invoke_id_for(originator_counter), [p[0] for p in pairs], [p[1] for p in pairs]
    )


def gcs04_payload(values: UpdateDebt, issuer_event_id: int = RTDS_ISSUER_EVENT_ID) -> gbz.Gbz:
    """The GCS04 GBZ: one incremental Change Debt per Debt Register (SR-1)."""
    r1, r2 = values.recovery_1, values.recovery_2
    if not isinstance(r1, GasRecovery) or not isinstance(r2, GasRecovery):
        raise ValidationError("recovery", "GCS04 takes GasRecovery settings")
    Type = gbz.DebtAmountType
    commands = [
        gbz.ChangeDebt(
            issuer_event_id,
            values.time_debt_1,
            gbz.RecoveryMethod.TIME_BASED,
            Type.TYPE1_INCREMENTAL,
            frequency=ZIGBEE_FREQUENCY[r1.period],
            recovery_amount=r1.rate,
        ),
        gbz.ChangeDebt(
            issuer_event_id,
            values.time_debt_2,
            gbz.RecoveryMethod.TIME_BASED,
            Type.TYPE2_INCREMENTAL,
            frequency=ZIGBEE_FREQUENCY[r2.period],
            recovery_amount=r2.rate,
        ),
        gbz.ChangeDebt(
            issuer_event_id,
            values.payment_debt,
            gbz.RecoveryMethod.PAYMENT_BASED,
            Type.TYPE3_INCREMENTAL,
            frequency=gbz.RecoveryFrequency.DAILY,
            balance_percentage=values.recovery_per_payment,
        ),
    ]
    return gbz.Gbz(
        tuple(
            gbz.change_debt_component(c, i, i == len(commands) - 1) for i, c in enumerate(commands)
        )
    )


def precommand(
    message_code: int,
    originator: bytes,
    recipient: bytes,
    originator_counter: int,
    payload: object,
) -> GeneralSigning:
    """An unsigned command APDU: what the DCC hands the User to sign."""
    return GeneralSigning(
        Cra.COMMAND, originator_counter, originator, recipient, message_code, payload
    )


def ecs07_response(request: AccessRequest, results: list[int] | None = None) -> dlms.AccessResponse:
    """The ESME's ACCESS-Response: null data and one result per specification (BR-5)."""
    codes = results if results is not None else [0] * len(request.specs)
    return dlms.AccessResponse(
        request.invoke_id,
        [dlms.NULL] * len(request.specs),
        [
            dlms.ResponseSpec(s.kind, dlms.AccessResult(c))
            for s, c in zip(request.specs, codes, strict=True)
        ],
    )


def gcs04_response(payload: gbz.Gbz, statuses: list[int] | None = None) -> gbz.Gbz:
    """The GSME's answer: one ZCL Default Response per command (BR-5)."""
    codes = statuses if statuses is not None else [0] * len(payload.components)
    last = len(payload.components) - 1
    return gbz.Gbz(
        tuple(
            gbz.default_response_component(
                c.frame.command_id, gbz.ZclStatus(s), c.frame.sequence, i == last
            )
            for i, (c, s) in enumerate(zip(payload.components, codes, strict=True))
        )
    )
