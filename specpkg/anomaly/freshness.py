"""When is a RequestID's counter fresh: the one rule, for the DCC and anomaly detection.

A DUIS RequestID is ``User ID : Device ID : counter`` (the Business Originator, the
Business Target and the originator counter; DUIS, "Request ID", as the DCC's own
tools correlate responses by ``originator:target:counter``, see
``/work/shared/reference/DUIS-HTTP-NOTES.md``), and the counter is the GBCS
originator counter the device checks: a device executes a command only if its
counter is greater than the highest it has accepted from that Remote Party (GBCS
section 4.3.1.5, "Protection against Replay", and the anti-replay check of
section 6.2.4; GBCS v0.8.1 release note,
https://info.5y1.org/binary-to-decimal-worksheet-pdf_1_953aba.html). The scope of a
counter is therefore one User and one device: the same counter from the same User
to another device is another request.

The rule, here and only here: a counter is fresh iff it is greater than the last
one accepted from that User for that device. The DCC refuses a stale one at
access control (``ResponseCode.COUNTER_NOT_INCREASING``, :class:`specpkg.system.dcc.Dcc`),
anomaly detection refuses it as ``Refusal.DUPLICATE``
(:class:`specpkg.anomaly.engine.ThresholdEngine`; the bulk replay decides the same
with numpy, :func:`specpkg.anomaly.replay.replay`, tests compare them). The state
is one integer per User and device, whatever the number of requests: bounded by
the inventory, never by the traffic.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def scope(user_id: str, device_id: str) -> tuple[str, str]:
    """The scope a counter is unique in: the User and the device, case-folded."""
    return user_id.upper(), device_id.upper()


@dataclass
class CounterBook:
    """The last counter accepted from each User for each device."""

    _last: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)

    def last(self, user_id: str, device_id: str) -> int | None:
        """The last counter accepted from ``user_id`` for ``device_id`` (None: none)."""
        return self._last.get(scope(user_id, device_id))

    def is_fresh(self, user_id: str, device_id: str, counter: int) -> bool:
        """Whether ``counter`` is greater than the last accepted in its scope."""
        last = self.last(user_id, device_id)
        return last is None or counter > last

    def accept(self, user_id: str, device_id: str, counter: int) -> bool:
        """Record ``counter`` if it is fresh; returns whether it was."""
        if not self.is_fresh(user_id, device_id, counter):
            return False
        self._last[scope(user_id, device_id)] = counter
        return True

    def __len__(self) -> int:
        """How many (User, device) scopes the book holds."""
        return len(self._last)
