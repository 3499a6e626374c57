"""How an idle worker waits for the next delivery: polling, or on PostgreSQL LISTEN/NOTIFY.

On PostgreSQL, storing a pending delivery notifies ``CHANNEL`` when its transaction commits (a
trigger, migration 0023, so every writer does). The worker keeps one connection of its own
listening (autocommit, outside the engine's pool) and waits on it for at most the poll interval,
so a delivery is claimed at once and polling remains the fallback. When that connection fails the
worker says so once, polls, and tries to listen again every ``RECONNECT_SECONDS``. On SQLite
waiting is simply sleeping for the poll interval.

A wait ends when a notification arrives, the timeout passes, or ``stop`` is set (checked every
``STOP_CHECK_SECONDS``, so SIGTERM is honoured promptly whatever the poll interval).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Protocol

import psycopg
from sqlalchemy.engine import make_url

from service.db import Database

CHANNEL = "incidentdesk_inbox"
RECONNECT_SECONDS = 30.0
STOP_CHECK_SECONDS = 0.25
CONNECT_TIMEOUT_SECONDS = 5
# A connection that silently died (no reset from the network) is noticed by TCP keepalives in
# about a minute (idle 30 s, then 3 probes 10 s apart); until then each wait simply times out.
KEEPALIVE_IDLE_SECONDS = 30

log = logging.getLogger("incidentdesk.worker")


class Wakeup(Protocol):
    def wait(self, timeout: float, stop: threading.Event) -> None: ...

    def close(self) -> None: ...


class Polling:
    """Sleep for the poll interval (SQLite, and the fallback)."""

    def wait(self, timeout: float, stop: threading.Event) -> None:
        stop.wait(timeout)

    def close(self) -> None:
        pass


class Listening:
    """Wait for a notification on ``CHANNEL``, polling while the listening connection is down."""

    def __init__(self, conninfo: str, reconnect_seconds: float = RECONNECT_SECONDS):
        self.conninfo = conninfo
        self.reconnect_seconds = reconnect_seconds
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._retry_at = 0.0  # monotonic
        self._failing = False

    @property
    def listening(self) -> bool:
        return self._conn is not None

    def wait(self, timeout: float, stop: threading.Event) -> None:
        if self._conn is None:
            if time.monotonic() >= self._retry_at and self._connect():
                return  # the caller claims now: a delivery stored before LISTEN took effect is found
            stop.wait(timeout)
            return
        deadline = time.monotonic() + timeout
        try:
            while not stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                received = sum(
                    1 for _ in self._conn.notifies(timeout=min(left, STOP_CHECK_SECONDS), stop_after=1)
                )
                if received:
                    self._drain()
                    return
        except (psycopg.Error, OSError) as exc:
            self._lost(exc)
            stop.wait(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error, OSError):
                self._conn.close()
            self._conn = None

    def _drain(self) -> None:
        """Take the notifications already received, so one claim answers them all."""
        assert self._conn is not None
        for _ in self._conn.notifies(timeout=0):
            pass

    def _connect(self) -> bool:
        conn = None
        try:
            conn = psycopg.connect(
                self.conninfo,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                keepalives=1,
                keepalives_idle=KEEPALIVE_IDLE_SECONDS,
                keepalives_interval=10,
                keepalives_count=3,
            )
            conn.execute(f"LISTEN {CHANNEL}")
        except (psycopg.Error, OSError) as exc:
            if conn is not None:
                with contextlib.suppress(psycopg.Error, OSError):
                    conn.close()
            self._lost(exc)
            return False
        if self._failing:
            log.info("listening for deliveries again; polling only as the fallback")
        self._failing = False
        self._conn = conn  # listening only once LISTEN has taken effect (and been said)
        return True

    def _lost(self, exc: BaseException) -> None:
        """Polling from now on; said once, however many reconnections fail in a row."""
        self.close()
        self._retry_at = time.monotonic() + self.reconnect_seconds
        if not self._failing:
            log.warning(
                "cannot listen for deliveries (%s); polling, and trying again every %.0f s",
                type(exc).__name__,
                self.reconnect_seconds,
            )
        self._failing = True


def conninfo_of(database_url: str) -> str:
    """The libpq address of a SQLAlchemy URL (``postgresql+psycopg://...`` to ``postgresql://...``)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def for_database(db: Database) -> Wakeup:
    if db.is_sqlite:
        return Polling()
    return Listening(conninfo_of(db.url))
