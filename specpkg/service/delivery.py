"""Asynchronous delivery to each User's Receive Response Service (issue 20).

The DCC POSTs every signed Service Response and DCC Alert to the User's receiver
(``Content-Type: application/xml``; DCC Boxed's receivers listen on
``/smartdcc/duis``), which answers 204 No Content, or 400 if it refuses the
message. :class:`Deliverer` works the store's queue: a 2xx ends a delivery; a
400 lists it undeliverable at once (the receiver refused it: sending it again
would not change that); a receiver that is down, times out or answers anything
else is tried again after a backoff doubling from ``first_retry_seconds`` up to
``max_retry_seconds``, until ``max_attempts``, then listed undeliverable. So every
request ends with exactly one Service Response delivered, or listed
undeliverable (``GET /admin/deliveries?state=undeliverable``), where the User
may have it sent again.
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx

from specpkg.service.config import DeliveryConfig
from specpkg.service.store import Delivery, Store

log = logging.getLogger("specpkg.service.delivery")


def backoff(config: DeliveryConfig, attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed try."""
    return min(config.first_retry_seconds * 2 ** max(attempts - 1, 0), config.max_retry_seconds)


class Deliverer:
    """Works the delivery queue until stopped; :meth:`wake` when something is queued."""

    def __init__(self, store: Store, config: DeliveryConfig) -> None:
        self.store = store
        self.config = config
        self._event = asyncio.Event()
        self._stop = False
        self._client: httpx.AsyncClient | None = None

    def wake(self) -> None:
        self._event.set()

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=128, max_keepalive_connections=64)
        async with httpx.AsyncClient(timeout=self.config.timeout_seconds, limits=limits) as client:
            self._client = client
            while not self._stop:
                due = self.store.due(time.time())
                if due:
                    await asyncio.gather(*(self._deliver(d) for d in due))
                    continue
                upcoming = self.store.next_due()
                wait = 1.0 if upcoming is None else max(0.0, min(1.0, upcoming - time.time()))
                self._event.clear()
                try:
                    await asyncio.wait_for(self._event.wait(), timeout=wait)
                except TimeoutError:
                    pass

    def stop(self) -> None:
        self._stop = True
        self._event.set()

    async def _deliver(self, delivery: Delivery) -> None:
        attempts = delivery.attempts + 1
        if not delivery.url:
            self.store.retry(delivery.id, attempts, time.time(),
                             "no Receive Response Service address configured for "
                             f"{delivery.user_id}", give_up=True)
            return
        assert self._client is not None
        try:
            reply = await self._client.post(delivery.url, content=delivery.body,
                                            headers={"Content-Type": "application/xml"})
        except httpx.HTTPError as exc:
            self._failed(delivery, attempts, f"{type(exc).__name__}: {exc}")
            return
        if reply.is_success:
            self.store.delivered(delivery.id, attempts)
        elif reply.status_code == 400:
            self.store.retry(delivery.id, attempts, time.time(),
                             f"the receiver refused it (400): {reply.text[:200]}", give_up=True)
            log.warning("receiver %s refused %s %s", delivery.url, delivery.kind,
                        delivery.request_id)
        else:
            self._failed(delivery, attempts, f"HTTP {reply.status_code}")

    def _failed(self, delivery: Delivery, attempts: int, error: str) -> None:
        give_up = attempts >= self.config.max_attempts
        self.store.retry(delivery.id, attempts, time.time() + backoff(self.config, attempts),
                         error, give_up)
        if give_up:
            log.warning("undeliverable after %d attempts: %s %s (%s)", attempts,
                        delivery.kind, delivery.request_id, error)
