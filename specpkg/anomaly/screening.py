"""DCC anomaly detection on a Signed Pre-Command: packet inspection and thresholds.

Packet inspection (SR-10, SR-11): the ZSE Change Debt command carries a supply
affecting parameter (the debt amount: debt can take a prepayment meter off
supply), so a GSME reset is let through only if it holds exactly one Change
Debt, with debt amount 0 and the *absolute* amount type of the register the
Service Request named, and nothing else. Anything else is quarantined with
its reason. ESME resets are not packet-inspected, as the specification says;
``inspect_esme=True`` shows what that leaves open (a signed ESME "reset"
carrying a non-zero value passes without it and is caught with it).

Threshold anomaly detection (SR-12) then counts the command against the
User's thresholds (:mod:`specpkg.anomaly`).
"""

from __future__ import annotations

from datetime import datetime

from specpkg.anomaly.engine import Outcome as ThresholdOutcome
from specpkg.anomaly.engine import ThresholdEngine
from specpkg.anomaly.inspection import inspect
from specpkg.anomaly.records import Request
from specpkg.duis.intake import AcceptedRequest
from specpkg.gbcs.catalogue import RESET_DEBT_REGISTER
from specpkg.system.dcc import Screen, Screening


def dcc_screen(engine: ThresholdEngine | None = None, *, inspect_esme: bool = False) -> Screen:
    """The DCC's anomaly detection as a :class:`specpkg.dcc.Dcc` screen hook:
    packet inspection first, then the User's thresholds (SR-10..SR-12)."""

    def screen(signed: bytes, accepted: AcceptedRequest, at: datetime) -> Screening:
        request = accepted.request
        found = inspect(signed, request.register, inspect_esme=inspect_esme)
        if found.quarantined:
            return Screening(True, f"packet inspection: {found.reason}")
        if engine is None:
            return Screening(False, found.reason)
        # an uninspected (ESME) command's value is not read: it counts as 0 here
        decision = engine.submit(Request(
            request.counter, request.user_id.upper(), RESET_DEBT_REGISTER,
            request.device_id.upper(), request.register.value, int(at.timestamp()),
            found.value or 0,
        ))
        if decision.outcome is ThresholdOutcome.DELIVERED:
            return Screening(False, found.reason)
        return Screening(True, f"threshold: {decision.reason}")

    return screen
