"""The test service's only store: one SQLite database (stdlib ``sqlite3``, issue 20).

What survives a restart:

* ``journal``: every call that changed the DCC model (a request accepted, a Signed
  Pre-Command taken, thresholds set, a quarantined command released or rejected),
  in order, with the model clock it ran at. On start the service replays it through
  a fresh model (:mod:`specpkg.service.core`): the DCC's counters, the Pre-Commands
  it issued, anomaly detection's windows and held commands, the meters' own
  counters and registers come back exactly as they were, so nothing is repeated and
  no replay of an old RequestID is accepted;
* ``requests``: each request in flight and how it ended (its one outcome);
* ``quarantine``: the quarantined commands and the User's decision;
* ``counters``: the last RequestID counter accepted per User and device;
* ``deliveries``: the delivery queue to the Users' receivers (Service Responses and
  DCC Alerts), with attempts, the next try and the undeliverable list.

Each change is one transaction: the journal entry and the rows it implies are
written together, so the store never holds half a step.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, request_id TEXT,
    clock TEXT NOT NULL, body BLOB);
CREATE TABLE IF NOT EXISTS requests (
    request_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, device_id TEXT NOT NULL,
    counter INTEGER NOT NULL, state TEXT NOT NULL, code TEXT, outcome TEXT,
    updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS quarantine (
    request_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, reason TEXT NOT NULL,
    decision TEXT, decided REAL);
CREATE TABLE IF NOT EXISTS counters (
    user_id TEXT NOT NULL, device_id TEXT NOT NULL, last INTEGER NOT NULL,
    PRIMARY KEY (user_id, device_id));
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL, user_id TEXT NOT NULL,
    kind TEXT NOT NULL, url TEXT, body BLOB NOT NULL, state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL, last_error TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS one_response ON deliveries (request_id)
    WHERE kind = 'response';
CREATE INDEX IF NOT EXISTS due ON deliveries (state, next_at);
"""

#: States of a request; ``answered`` is the end: its Service Response is queued.
ISSUED, ACKNOWLEDGED, QUARANTINED, ANSWERED = "pre-command issued", "acknowledged", \
    "quarantined", "answered"
#: States of a delivery.
QUEUED, DELIVERED, UNDELIVERABLE = "queued", "delivered", "undeliverable"


@dataclass(frozen=True)
class Entry:
    """One journal entry: a call that changed the model."""

    seq: int
    kind: str
    request_id: str | None
    clock: str
    body: bytes | None


@dataclass(frozen=True)
class Delivery:
    id: int
    request_id: str
    user_id: str
    kind: str
    url: str | None
    body: bytes
    state: str
    attempts: int
    next_at: float
    last_error: str | None


class Store:
    """The SQLite store; every method is one transaction, safe across threads."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _tx(self):
        return _Transaction(self._db, self._lock)

    # --- the journal
    def journal(self) -> Iterator[Entry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, kind, request_id, clock, body FROM journal ORDER BY seq").fetchall()
        return (Entry(*row) for row in rows)

    def journal_length(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM journal").fetchone()[0]

    def record(self, kind: str, request_id: str | None, clock: str, body: bytes | None, *,
               request: tuple | None = None, state: str | None = None,
               counter: tuple[str, str, int] | None = None,
               quarantined: tuple[str, str] | None = None,
               deliveries: tuple[tuple[str, str, str | None, bytes], ...] = (),
               decision: str | None = None, outcome: tuple[str | None, str] | None = None,
               ) -> None:
        """One step, written whole: the journal entry and what it implies.

        ``request``: (request_id, user, device, counter) of a new request; ``state``:
        its new state; ``counter``: (user, device, last); ``quarantined``:
        (user, reason); ``deliveries``: (user, kind, url, body) to queue;
        ``decision``: released or rejected; ``outcome``: (code, outcome) when it ends.
        """
        now = time.time()
        with self._tx() as db:
            db.execute("INSERT INTO journal (kind, request_id, clock, body) VALUES (?,?,?,?)",
                       (kind, request_id, clock, body))
            if request is not None:
                db.execute("INSERT OR REPLACE INTO requests VALUES (?,?,?,?,?,NULL,NULL,?)",
                           (*request, state or ISSUED, now))
            elif state is not None:
                db.execute("UPDATE requests SET state = ?, updated = ? WHERE request_id = ?",
                           (state, now, request_id))
            if outcome is not None:
                db.execute("UPDATE requests SET code = ?, outcome = ? WHERE request_id = ?",
                           (*outcome, request_id))
            if counter is not None:
                db.execute("INSERT OR REPLACE INTO counters VALUES (?,?,?)", counter)
            if quarantined is not None:
                db.execute("INSERT OR REPLACE INTO quarantine VALUES (?,?,?,NULL,NULL)",
                           (request_id, *quarantined))
            if decision is not None:
                db.execute("UPDATE quarantine SET decision = ?, decided = ? WHERE request_id = ?",
                           (decision, now, request_id))
            for user, kind_, url, body_ in deliveries:
                db.execute("INSERT INTO deliveries (request_id, user_id, kind, url, body, state,"
                           " next_at) VALUES (?,?,?,?,?,?,?)",
                           (request_id, user, kind_, url, body_, QUEUED, now))

    # --- reading
    def request(self, request_id: str) -> dict | None:
        with self._lock:
            cursor = self._db.execute("SELECT * FROM requests WHERE request_id = ?",
                                      (request_id,))
            row = cursor.fetchone()
            names = [c[0] for c in cursor.description]
            return None if row is None else dict(zip(names, row, strict=True))

    def rows(self, table: str) -> list[dict]:
        if table not in {"requests", "quarantine", "counters", "deliveries", "journal"}:
            raise KeyError(table)
        with self._lock:
            cursor = self._db.execute(f"SELECT * FROM {table}")
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def counts(self, table: str, column: str) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {column}, COUNT(*) FROM {table} GROUP BY {column}").fetchall()
        return {str(k): n for k, n in rows}

    # --- the delivery queue
    def due(self, now: float, limit: int = 64) -> list[Delivery]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, request_id, user_id, kind, url, body, state, attempts, next_at,"
                " last_error FROM deliveries WHERE state = ? AND next_at <= ?"
                " ORDER BY next_at, id LIMIT ?", (QUEUED, now, limit)).fetchall()
        return [Delivery(*row) for row in rows]

    def next_due(self) -> float | None:
        with self._lock:
            row = self._db.execute("SELECT MIN(next_at) FROM deliveries WHERE state = ?",
                                   (QUEUED,)).fetchone()
        return row[0]

    def delivered(self, delivery_id: int, attempts: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE deliveries SET state = ?, attempts = ?, last_error = NULL"
                       " WHERE id = ?", (DELIVERED, attempts, delivery_id))

    def retry(self, delivery_id: int, attempts: int, next_at: float, error: str,
              give_up: bool) -> None:
        with self._tx() as db:
            db.execute("UPDATE deliveries SET state = ?, attempts = ?, next_at = ?,"
                       " last_error = ? WHERE id = ?",
                       (UNDELIVERABLE if give_up else QUEUED, attempts, next_at, error,
                        delivery_id))

    def requeue(self, delivery_id: int, url: str | None) -> bool:
        """Put an undeliverable message back in the queue (the User fixed its receiver)."""
        with self._tx() as db:
            cursor = db.execute("UPDATE deliveries SET state = ?, attempts = 0, next_at = ?,"
                                " url = COALESCE(?, url) WHERE id = ? AND state = ?",
                                (QUEUED, time.time(), url, delivery_id, UNDELIVERABLE))
            return cursor.rowcount == 1


class _Transaction:
    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self.db, self.lock = db, lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, value, traceback) -> None:
        try:
            self.db.execute("ROLLBACK" if kind else "COMMIT")
        finally:
            self.lock.release()
