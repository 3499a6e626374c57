"""One helpdesk request budget per account, shared by every worker on every machine.

Fixed one-minute windows. On PostgreSQL the window lives in the ``rate_budgets`` table: taking a
request is a single conditional UPDATE (``used + 1 <= limit``), so processes on many machines can
never overspend together. SQLite is the one-process embedded default, and its single writer lock
would make a budget row wait on whatever transaction the caller holds, so there the window lives
in memory. Either way a 429's ``Retry-After`` blocks everyone sharing the budget until it passes.

The account's budget paces every request the adapter makes. A room that must not use all of it
takes a named share as well (outreach: its campaigns' share of the plan), kept the same way in
its own row, so a campaign never starves the pipeline and the broadcasts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from service.db import Database
from service.models import RateBudget

log = logging.getLogger("incidentdesk.rate_budget")
WINDOW_SECONDS = 60
# The budgets' names (rows in ``rate_budgets``): the whole account, and outreach's share of it.
ACCOUNT = "zendesk"
OUTREACH_SHARE = "outreach"
# Zendesk runs about 30 background jobs per account at once; each room that submits jobs (the
# executor for the pipeline and broadcasts, the outreach runner) keeps to this many.
MAX_JOBS_IN_FLIGHT = 25


class LocalRateBudget:
    """The same budget for one process (threads share it under a lock)."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if per_minute < 1:
            raise ValueError("the request budget must allow at least one request a minute")
        self.per_minute = per_minute
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._window = 0
        self._used = 0
        self._blocked_until = 0.0

    def try_take(self, now: float) -> float:
        with self._lock:
            if self._blocked_until > now:
                return self._blocked_until - now
            window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
            if window != self._window:
                self._window, self._used = window, 0
            if self._used < self.per_minute:
                self._used += 1
                return 0.0
            return window + WINDOW_SECONDS - now

    def acquire(self) -> None:
        while (wait := self.try_take(self.clock())) > 0:
            self.sleep(min(wait, 5.0))

    def block_for(self, seconds: float) -> None:
        log.warning("helpdesk asked us to wait %.0f s (429)", seconds)
        with self._lock:
            self._blocked_until = max(self._blocked_until, self.clock() + max(0.0, seconds))

    def used_this_window(self) -> int:
        with self._lock:
            return self._used if self._window == int(self.clock() // WINDOW_SECONDS) * WINDOW_SECONDS else 0


def rate_budget_for(db: Database, per_minute: int) -> LocalRateBudget | SharedRateBudget:
    return LocalRateBudget(per_minute) if db.is_sqlite else SharedRateBudget(db, per_minute)


class SharedRateBudget:
    def __init__(
        self,
        db: Database,
        per_minute: int,
        name: str = ACCOUNT,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if per_minute < 1:
            raise ValueError("the request budget must allow at least one request a minute")
        self.db = db
        self.per_minute = per_minute
        self.name = name
        self.clock = clock
        self.sleep = sleep
        self._row_ready = False

    def _ensure_row(self) -> None:
        if self._row_ready:
            return
        try:
            with self.db.transaction() as session:
                if session.get(RateBudget, self.name) is None:
                    session.add(RateBudget(name=self.name, window_start=0, used=0, blocked_until=0.0))
        except IntegrityError:
            pass  # another process created it first
        self._row_ready = True

    def take(self, limit: int | None = None) -> float:
        """Take one request now (returns 0), or return how long to wait; never sleeps."""
        return self.try_take(self.clock(), limit)

    def try_take(self, now: float, limit: int | None = None) -> float:
        """Take one request now (returns 0), or return how long to wait before trying again.
        ``limit`` overrides ``per_minute`` for this call (a share whose size changes with the
        campaigns running)."""
        self._ensure_row()
        limit = self.per_minute if limit is None else limit
        window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        with self.db.transaction() as session:
            blocked_until = session.scalar(
                select(RateBudget.blocked_until).where(RateBudget.name == self.name)
            )
            if blocked_until and blocked_until > now:
                return blocked_until - now
            session.execute(
                update(RateBudget)
                .where(RateBudget.name == self.name, RateBudget.window_start < window)
                .values(window_start=window, used=0)
            )
            taken = session.execute(
                update(RateBudget)
                .where(
                    RateBudget.name == self.name,
                    RateBudget.window_start == window,
                    RateBudget.used + 1 <= limit,
                )
                .values(used=RateBudget.used + 1)
            ).rowcount
        return 0.0 if taken == 1 else window + WINDOW_SECONDS - now

    def acquire(self) -> None:
        while True:
            wait = self.try_take(self.clock())
            if wait <= 0:
                return
            self.sleep(min(wait, 5.0))

    def block_for(self, seconds: float) -> None:
        self._ensure_row()
        until = self.clock() + max(0.0, seconds)
        log.warning("helpdesk asked us to wait %.0f s (429); every worker pauses", seconds)
        with self.db.transaction() as session:
            session.execute(
                update(RateBudget)
                .where(RateBudget.name == self.name, RateBudget.blocked_until < until)
                .values(blocked_until=until)
            )

    def used_this_window(self) -> int:
        with self.db.transaction() as session:
            row = session.get(RateBudget, self.name)
            window = int(self.clock() // WINDOW_SECONDS) * WINDOW_SECONDS
            return row.used if row and row.window_start == window else 0
