"""COSEM objects the debt use cases address on the ESME (SR-2).

The three Debt Registers are DLMS "Charge" objects (interface class 113) at
OBIS 0-0:19.20.n.255; the Charge class has five methods, of which ECS07 uses
4 (update_total_amount_remaining, an increment) and the ESME reset 5
(set_total_amount_remaining, an absolute value).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from specpkg.errors import ValidationError
from specpkg.meter.registers import DebtRegister

CHARGE_CLASS_ID = 113


class ChargeMethod(IntEnum):
    """The five methods of the Charge interface class 113 (SR-2)."""

    UPDATE_UNIT_CHARGE = 1
    ACTIVATE_PASSIVE_UNIT_CHARGE = 2
    COLLECT = 3
    UPDATE_TOTAL_AMOUNT_REMAINING = 4
    SET_TOTAL_AMOUNT_REMAINING = 5


@dataclass(frozen=True, order=True, slots=True)
class Obis:
    """An OBIS code (logical name), shown as ``A-B:C.D.E.F``."""

    a: int
    b: int
    c: int
    d: int
    e: int
    f: int

    @classmethod
    def from_bytes(cls, raw: bytes) -> Obis:
        if len(raw) != 6:
            raise ValidationError("obis", "an OBIS code is 6 bytes")
        return cls(*raw)

    @classmethod
    def parse(cls, text: str) -> Obis:
        """``"0-0:19.20.1.255"`` -> Obis."""
        try:
            ab, cdef = text.split(":")
            a, b = ab.split("-")
            parts = [int(a), int(b), *(int(p) for p in cdef.split("."))]
            return cls(*parts)
        except (ValueError, TypeError):
            raise ValidationError("obis", f"not an OBIS code: {text!r}") from None

    def __post_init__(self) -> None:
        for name in "abcdef":
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
                raise ValidationError("obis", f"{name} must be 0..255, got {value!r}")

    def __bytes__(self) -> bytes:
        return bytes((self.a, self.b, self.c, self.d, self.e, self.f))

    def __str__(self) -> str:
        return f"{self.a}-{self.b}:{self.c}.{self.d}.{self.e}.{self.f}"


DEBT_REGISTER_OBIS: dict[DebtRegister, Obis] = {
    DebtRegister.TIME_DEBT_1: Obis(0, 0, 19, 20, 1, 255),
    DebtRegister.TIME_DEBT_2: Obis(0, 0, 19, 20, 2, 255),
    DebtRegister.PAYMENT_DEBT: Obis(0, 0, 19, 20, 3, 255),
}
"""The Charge objects holding the three Debt Registers (SR-2)."""

OBIS_DEBT_REGISTER: dict[Obis, DebtRegister] = {v: k for k, v in DEBT_REGISTER_OBIS.items()}


def debt_register_of(obis: Obis) -> DebtRegister | None:
    """The Debt Register a Charge object OBIS code holds, if any."""
    return OBIS_DEBT_REGISTER.get(obis)


def charge_method(class_id: int, method_id: int) -> ChargeMethod | None:
    """The Charge method an action with these ids invokes, if it is one."""
    if class_id == CHARGE_CLASS_ID:
        try:
            return ChargeMethod(method_id)
        except ValueError:
            return None
    return None
