"""The new reset use cases as real GBCS messages (SR-1, SR-2, BR-5).

Message codes, use-case names and payload parameters come from the Message
Mapping Catalogue (``data/catalogue``), so that the catalogue is the one place
that says what each reset carries:

* GSME (SR-1): one ZSE Change Debt (cluster 0x0705, command 0x02) with debt
  amount 0 and the *absolute* amount type of the register; the device answers
  with a ZCL Default Response.
* ESME (SR-2): one xDLMS ACTION on the register's Charge object (class 113,
  OBIS 0-0:19.20.n.255), method 5 ``set_total_amount_remaining`` with the value
  0; the device answers with an ACCESS-Response action result.

Neither response carries a register value (BR-5).

The specification leaves the other Change Debt fields open; the catalogue sets
them (``zcl_*`` columns): the register's recovery method as GCS04 sets it, and
recovery start time 0 (the ZigBee epoch, 2000-01-01, so already started),
collection time 0, frequency 0x00 (which is *hourly*, not "none"), recovery
amount 0 and balance percentage 0 (finding F-2, notebook 04). A GSME applies every
field of a Change Debt (ZSE 1.2 Prepayment cluster, Change Debt), so the gas reset
overwrites the register's recovery settings with these; the electricity reset
(DLMS method 5) leaves them alone (finding F-50). The issuer event id follows GCS04: a
ZigBee UTC time stamp (seconds from 2000-01-01), the time the DCC issues the
Pre-Command, so a reset sent after a GCS04 never looks older than it (F-3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from specpkg.errors import ValidationError
from specpkg.gbcs import dlms, gbz, messages, zcl
from specpkg.gbcs.catalogue import Catalogue, CatalogueEntry, load_catalogue
from specpkg.gbcs.envelope import Cra, GeneralSigning
from specpkg.gbcs.security import entity_id
from specpkg.meter.registers import (
    DebtRecovery,
    DebtRegister,
    Device,
    RecoveryMethod,
    RecoveryPeriod,
    parse_device,
    parse_register,
)


@cache
def catalogue() -> Catalogue:
    return load_catalogue()


def entry(device: Device | str, register: DebtRegister | str) -> CatalogueEntry:
    return catalogue().entry(parse_device(device), parse_register(register))


def message_codes() -> dict[Device, int]:
    """The (provisional) message code of each device's reset use case."""
    return {e.device: e.message_code for e in catalogue()}


def issuer_event_id(issued_at: datetime) -> int:
    """The ZCL issuer event id of a GSME reset, as GCS04 sets it: the ZigBee UTC time
    the Pre-Command is issued (F-3; ValidationError outside ZigBee UTCTime)."""
    return zcl.zigbee_time(issued_at)


def recovery_method(register: DebtRegister) -> gbz.RecoveryMethod:
    """The recovery method the gas reset of ``register`` carries (the catalogue's)."""
    method = entry(Device.GSME, register).zcl_recovery_method
    if method is None:
        raise ValidationError("catalogue", f"no recovery method for {register.value}")
    return gbz.RecoveryMethod(method)


def reset_payload(item: CatalogueEntry, counter: int,
                  issued_at: datetime) -> gbz.Gbz | dlms.AccessRequest:
    """The payload that resets ``item.register`` on ``item.device`` (SR-1, SR-2):
    ``counter`` gives the ESME's invoke id, ``issued_at`` the GSME's issuer event id."""
    if item.device is Device.GSME:
        fields = (item.debt_amount_type, item.zcl_recovery_method, item.zcl_frequency,
                  item.zcl_recovery_amount, item.zcl_balance_percentage,
                  item.zcl_recovery_start_time, item.zcl_collection_time)
        if any(f is None for f in fields) or item.zcl_command != gbz.CHANGE_DEBT:
            raise ValidationError("catalogue", f"{item.use_case} has no Change Debt mapping")
        amount_type, method, frequency, amount, percentage, start, collection = fields
        command = gbz.ChangeDebt(
            issuer_event_id=issuer_event_id(issued_at),
            debt_amount=item.value,
            recovery_method=gbz.RecoveryMethod(method),
            amount_type=gbz.DebtAmountType(amount_type),  # type: ignore[arg-type]
            recovery_start_time=start,  # type: ignore[arg-type]
            collection_time=collection,  # type: ignore[arg-type]
            frequency=gbz.RecoveryFrequency(frequency),
            recovery_amount=amount,  # type: ignore[arg-type]
            balance_percentage=percentage,  # type: ignore[arg-type]
        )
        return gbz.Gbz((gbz.change_debt_component(command, sequence=0, last=True),))
    if item.dlms_obis is None or item.dlms_method is None or item.dlms_class_id is None:
        raise ValidationError("catalogue", f"{item.use_case} has no DLMS mapping")
    spec = dlms.RequestSpec(dlms.SpecKind.ACTION, item.dlms_class_id,
                            dlms.Obis.parse(item.dlms_obis), item.dlms_method)
    return dlms.AccessRequest(dlms.invoke_id_for(counter), (spec,), (dlms.double_long(item.value),))


def pre_command(
    device: Device | str, register: DebtRegister | str, user_id: str, device_id: str,
    counter: int, issued_at: datetime,
) -> GeneralSigning:
    """The unsigned command the DCC hands the User to sign (the Pre-Command), issued at
    ``issued_at``, the DCC's clock (the GSME's issuer event id, F-3)."""
    item = entry(device, register)
    return messages.command(
        item.message_code, bytes.fromhex(entity_id(user_id)), bytes.fromhex(entity_id(device_id)),
        counter, reset_payload(item, counter, issued_at),
    )


@dataclass(frozen=True)
class Operation:
    """One thing a command asks the device to do, as far as debt is concerned."""

    description: str
    register: DebtRegister | None = None
    value: int | None = None
    absolute: bool = False
    #: The register's recovery settings the operation sets, all of them (a ZSE Change
    #: Debt carries every field); None: it sets none (a DLMS debt method).
    recovery: DebtRecovery | None = None

    @property
    def writes(self) -> bool:
        """It writes a value to a Debt Register (both named)."""
        return self.register is not None and self.value is not None

    @property
    def is_reset(self) -> bool:
        return self.writes and self.absolute and self.value == 0


def operations(payload: object) -> tuple[Operation, ...]:
    """What a decoded GBZ or ACCESS-Request payload would do, operation by operation."""
    if isinstance(payload, gbz.Gbz):
        return tuple(_zcl_operation(c) for c in payload.components)
    if isinstance(payload, dlms.AccessRequest):
        return tuple(_dlms_operation(s, d) for s, d in zip(payload.specs, payload.data,
                                                           strict=True))
    return (Operation(f"opaque payload of {type(payload).__name__}"),)


def _zcl_operation(component: gbz.GbzComponent) -> Operation:
    frame = component.frame
    if not isinstance(frame, gbz.ZclFrame) or not isinstance(frame.payload, gbz.ChangeDebt):
        command = frame.command_id if isinstance(frame, gbz.ZclFrame) else None
        return Operation(f"ZCL cluster {component.cluster_id:#06x} command {command}")
    change = frame.payload
    kind = "incremental" if change.amount_type.incremental else "absolute"
    text = f"Change Debt {change.register.value} {kind} {change.debt_amount}"
    period, method = _PERIODS.get(change.frequency), _METHODS.get(change.recovery_method)
    if period is None or method is None:  # weekly and longer, or an unknown method
        return Operation(f"{text}, frequency {change.frequency!r} or method "
                         f"{change.recovery_method!r} not modelled")
    try:
        recovery = DebtRecovery(method, change.recovery_amount, period,
                                change.balance_percentage, change.recovery_start_time,
                                change.collection_time)
    except ValidationError as exc:  # a field out of the meter's range: it cannot apply it
        return Operation(f"{text}, {exc}")
    return Operation(text, change.register, change.debt_amount,
                     not change.amount_type.incremental, recovery)


#: ZSE Change Debt recovery fields in the meter model's terms.
_METHODS = {gbz.RecoveryMethod.TIME_BASED: RecoveryMethod.TIME_BASED,
            gbz.RecoveryMethod.PAYMENT_BASED: RecoveryMethod.PAYMENT_BASED}
_PERIODS = {gbz.RecoveryFrequency.HOURLY: RecoveryPeriod.HOURLY,
            gbz.RecoveryFrequency.DAILY: RecoveryPeriod.DAILY}


def _dlms_operation(spec: dlms.RequestSpec, data: dlms.Data) -> Operation:
    method = spec.method
    text = f"{spec.kind.name} class {spec.class_id} {spec.instance} id {spec.id}"
    if method is None or spec.register is None or not isinstance(data.value, int):
        return Operation(text)
    absolute = method is dlms.ChargeMethod.SET_TOTAL_AMOUNT_REMAINING
    if method not in (dlms.ChargeMethod.SET_TOTAL_AMOUNT_REMAINING,
                      dlms.ChargeMethod.UPDATE_TOTAL_AMOUNT_REMAINING):
        return Operation(text)
    return Operation(f"{method.name.lower()} {spec.register.value} {data.value}",
                     spec.register, data.value, absolute)


def reset_register_of(apdu: GeneralSigning) -> DebtRegister:
    """The register a well-formed reset command resets; ValidationError naming
    the fault for anything else (one operation, absolute, value 0)."""
    if apdu.cra is not Cra.COMMAND:
        raise ValidationError("cra", f"expected a command, got {apdu.cra.name.lower()}")
    if apdu.message_code not in message_codes().values():
        raise ValidationError("message_code", f"{apdu.message_code:#06x} is not a reset use case")
    ops = operations(apdu.payload)
    if len(ops) != 1:
        raise ValidationError("payload", f"a reset carries one operation, found {len(ops)}")
    (op,) = ops
    if not op.is_reset:
        raise ValidationError("payload", f"not a reset to zero: {op.description}")
    return op.register  # type: ignore[return-value]


def device_response(
    command: GeneralSigning, success: bool | Sequence[bool], status: int | None = None
) -> GeneralSigning:
    """The unsigned response of the device to a reset command (BR-4, BR-5).

    One result per operation of the command (``success``: one verdict for all, or
    one each), saying success or failure and nothing else: ZCL Default Responses on
    the GSME, ACCESS-Response action results on the ESME. ``status`` overrides the
    failure code.
    """
    payload: gbz.Gbz | dlms.AccessResponse
    if isinstance(command.payload, gbz.Gbz):
        components = command.payload.components
        results = _results(success, len(components))
        payload = gbz.Gbz(tuple(
            gbz.default_response_component(
                c.frame.command_id if isinstance(c.frame, gbz.ZclFrame) else gbz.CHANGE_DEBT,
                gbz.ZclStatus.SUCCESS if ok else (status or gbz.ZclStatus.FAILURE),
                c.frame.sequence if isinstance(c.frame, gbz.ZclFrame) else 0,
                last=i == len(components) - 1)
            for i, (c, ok) in enumerate(zip(components, results, strict=True))))
    elif isinstance(command.payload, dlms.AccessRequest):
        specs = command.payload.specs
        results = _results(success, len(specs))
        payload = dlms.AccessResponse(command.payload.invoke_id, (dlms.NULL,) * len(specs), tuple(
            dlms.ResponseSpec(s.kind, dlms.AccessResult.SUCCESS if ok else (
                status or dlms.AccessResult.HARDWARE_FAULT))
            for s, ok in zip(specs, results, strict=True)))
    else:
        raise ValidationError("payload", "cannot answer an opaque command")
    return messages.response(command.message_code, command.recipient, command.originator,
                             command.originator_counter, payload)


def _results(success: bool | Sequence[bool], count: int) -> list[bool]:
    if isinstance(success, bool):
        return [success] * count
    results = [bool(ok) for ok in success]
    if len(results) != count:
        raise ValidationError("success", f"{len(results)} results for {count} operations")
    return results


def response_success(apdu: GeneralSigning) -> bool:
    """True iff a decoded reset response reports success for its one command."""
    payload = apdu.payload
    if isinstance(payload, gbz.Gbz):
        frames = [c.frame for c in payload.components]
        return (len(frames) == 1 and isinstance(frames[0], gbz.ZclFrame)
                and isinstance(frames[0].payload, gbz.DefaultResponse)
                and frames[0].payload.success)
    if isinstance(payload, dlms.AccessResponse):
        return len(payload.specs) == 1 and payload.specs[0].success
    return False
