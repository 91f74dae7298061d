"""The DCC's anomaly detection on a Signed Pre-Command: one pipeline (SR-10..SR-12, TR-10).

1. Packet inspection (:func:`specpkg.anomaly.inspection.inspect`): GSME resets
   always, ESME resets only under the model assumption ``inspect_esme``.
2. Threshold anomaly detection (:class:`specpkg.anomaly.engine.ThresholdEngine`):
   the User's volume and data value thresholds, for a **Critical** command only,
   as the catalogue's message category says (``critical``: "Given that the new Use
   Cases would be Critical, they would be in scope of threshold anomaly
   detection", specification section 2; SEC G6 sets the thresholds on Signed
   Pre-Commands). A command packet inspection quarantined is submitted too, with
   that reason, so that the engine holds every quarantined command, sends every
   notification and keeps the count. A Non-Critical command is not submitted: no
   threshold counts or stops it.

The data value a threshold compares is the value the command writes
(:func:`~specpkg.anomaly.inspection.written_value`); for an ESME command, which
is not inspected, the model assumption ``read_esme_value`` says whether the
DCC reads it at all (otherwise it counts as 0).

This is the only screening in the package: the end-to-end flow, the test
environment and the matrix run all reach it through the DCC
(:class:`specpkg.system.dcc.Dcc`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from specpkg.anomaly.engine import Decision, Disposition, ThresholdEngine
from specpkg.anomaly.inspection import Inspection, InspectionResult, inspect, written_value
from specpkg.anomaly.records import Refusal, Request
from specpkg.gbcs.catalogue import RESET_DEBT_REGISTER
from specpkg.gbcs.envelope import GeneralSigning
from specpkg.meter.registers import DebtRegister


class QuarantineCause(StrEnum):
    """Why a command was quarantined, as DUIS's DCC Alert tells the User: its
    ``QuarantinedRequest`` is one of ``ADUserThresholdBreach``, ``ADDCCThresholdBreach``
    or ``ADAttributeLimitsBreach`` (DUIS Schema V5.1, type ``QuarantinedRequest``)."""

    USER_THRESHOLD = "User threshold"
    DCC_THRESHOLD = "DCC threshold"
    #: Packet inspection found a value outside what the command may carry (SR-10, SR-11).
    ATTRIBUTE_LIMITS = "attribute limits"


@dataclass(frozen=True)
class Screening:
    """What anomaly detection did with one Signed Pre-Command."""

    inspection: Inspection
    decision: Decision
    data_value: int

    @property
    def quarantined(self) -> bool:
        return self.decision.disposition is Disposition.QUARANTINED

    @property
    def refused(self) -> bool:
        """The engine could not take the record (e.g. a repeated request id)."""
        return self.decision.disposition is Disposition.REFUSED

    @property
    def reason(self) -> str:
        return self.decision.reason or self.inspection.reason

    @property
    def cause(self) -> QuarantineCause | None:
        """Why it was quarantined (None: it was not): packet inspection first, then the
        User's thresholds, then the DCC's own."""
        if not self.quarantined:
            return None
        if self.inspection.quarantined:
            return QuarantineCause.ATTRIBUTE_LIMITS
        if self.decision.mask:
            return QuarantineCause.USER_THRESHOLD
        return QuarantineCause.DCC_THRESHOLD


@dataclass
class Screener:
    """Packet inspection, then thresholds (SR-10..SR-12). ``inspect_esme`` and
    ``read_esme_value`` are the model assumptions of those names."""

    engine: ThresholdEngine
    inspect_esme: bool
    read_esme_value: bool

    def screen(self, apdu: GeneralSigning, *, user_id: str, device_id: str,
               register: DebtRegister, request_id: int, at: int, critical: bool) -> Screening:
        """Screen a Signed Pre-Command whose signature the DCC has verified; ``critical``:
        the catalogue's category of its use case (thresholds apply only if True)."""
        found = inspect(apdu, register, inspect_esme=self.inspect_esme)
        reads = found.result is not InspectionResult.NOT_INSPECTED or self.read_esme_value
        value = written_value(apdu) if reads else 0
        if not critical:  # out of scope of threshold anomaly detection
            disposition = Disposition.QUARANTINED if found.quarantined else Disposition.DELIVERED
            return Screening(found, Decision(-1, request_id, disposition, Refusal.NONE), value)
        self.engine.add_user(user_id)
        decision = self.engine.submit(
            Request(request_id, user_id, RESET_DEBT_REGISTER, device_id, register.value, at,
                    value),
            quarantine=found.reason if found.quarantined else "",
        )
        return Screening(found, decision, value)
