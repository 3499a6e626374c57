"""One helpdesk request budget per account, shared by every worker on every machine.

A sliding window: a request is granted when fewer than the budget's limit were granted in the
60 s before it, so no span of a minute ever holds more (a fixed window per calendar minute would
grant a whole budget in a minute's last seconds and another in the next one's first, twice the
share, leaving agents nothing). On PostgreSQL the grants are rows of ``rate_budget_grants``
and a taker holds the budget's row in ``rate_budgets`` while it counts and adds, so processes on
many machines can never overspend together. SQLite is the one-process embedded default, and its
single writer lock would make a budget row wait on whatever transaction the caller holds, so
there the account's window lives in memory. Either way a 429's ``Retry-After`` blocks everyone
sharing the budget until it passes.

The account's budget paces every request the adapter makes. A room that must not use all of it
takes a named share as well (outreach: its campaigns' share of the plan; the reconciler: the
incremental export's own limit), kept the same way under its own name, so a campaign never
starves the pipeline and the broadcasts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from service.db import Database
from service.models import RateBudget, RateBudgetGrant

log = logging.getLogger("incidentdesk.rate_budget")
WINDOW_SECONDS = 60
# The budgets' names (rows in ``rate_budgets``): the whole account, and outreach's share of it.
ACCOUNT = "zendesk"
OUTREACH_SHARE = "outreach"
# The reconciler's share: the incremental exports allow 10 requests a minute per account.
RECONCILER_SHARE = "reconciler"
RECONCILER_REQUESTS_PER_MINUTE = 10
# Zendesk's Update Ticket limit, per account and minute, agents' edits in the UI included
# (https://developer.zendesk.com/api-reference/introduction/rate-limits). Our share of it is
# taken per ``PUT tickets/{id}`` and, on a plan that counts them (the strict reading, see
# ``Settings.zendesk_update_many_counts_items``), per ticket of an ``update_many``.
UPDATE_TICKET_SHARE = "update_ticket"
UPDATE_TICKET_PER_MINUTE = 100
# Its grants are kept a little longer than Zendesk's minute: a whole bulk update of our share
# must not arrive while Zendesk's window still holds the previous one (its clock, and the time
# the request is in flight). Measured: at exactly 60 s, the strict surge bench got a 429.
UPDATE_TICKET_WINDOW_SECONDS = WINDOW_SECONDS + 2
# Zendesk runs about 30 background jobs per account at once; each room that submits jobs (the
# executor for the pipeline and broadcasts, the outreach runner) keeps to this many.
MAX_JOBS_IN_FLIGHT = 25


def _check(per_minute: int) -> None:
    if per_minute < 1:
        raise ValueError("the request budget must allow at least one request a minute")


def _check_count(count: int, limit: int) -> None:
    if not 1 <= count <= limit:
        raise ValueError(f"a budget of {limit} a minute cannot grant {count} at once")


class LocalRateBudget:
    """The same budget for one process (threads share it under a lock)."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        window_seconds: float = WINDOW_SECONDS,
    ):
        _check(per_minute)
        self.per_minute = per_minute
        self.window_seconds = window_seconds
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._granted: deque[float] = deque()  # the last minute's grants, oldest first
        self._blocked_until = 0.0

    def try_take(self, now: float, count: int = 1) -> float:
        """Take ``count`` grants now (returns 0), or return how long to wait until they fit."""
        _check_count(count, self.per_minute)
        with self._lock:
            if self._blocked_until > now:
                return self._blocked_until - now
            while self._granted and self._granted[0] <= now - self.window_seconds:
                self._granted.popleft()
            over = len(self._granted) + count - self.per_minute
            if over <= 0:
                self._granted.extend([now] * count)
                return 0.0
            # Free once enough of the oldest grants have left the window.
            return self._granted[over - 1] + self.window_seconds - now

    def acquire(self, count: int = 1) -> None:
        while (wait := self.try_take(self.clock(), count)) > 0:
            self.sleep(min(wait, 5.0))

    def block_for(self, seconds: float) -> None:
        log.warning("helpdesk asked us to wait %.0f s (429)", seconds)
        with self._lock:
            self._blocked_until = max(self._blocked_until, self.clock() + max(0.0, seconds))

    def used_this_window(self) -> int:
        """Requests granted in the last minute."""
        now = self.clock()
        with self._lock:
            return sum(1 for at in self._granted if at > now - self.window_seconds)


def rate_budget_for(
    db: Database, per_minute: int, name: str = ACCOUNT, window_seconds: float = WINDOW_SECONDS
) -> LocalRateBudget | SharedRateBudget:
    if db.is_sqlite:
        return LocalRateBudget(per_minute, window_seconds=window_seconds)
    return SharedRateBudget(db, per_minute, name, window_seconds=window_seconds)


class SharedRateBudget:
    def __init__(
        self,
        db: Database,
        per_minute: int,
        name: str = ACCOUNT,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        window_seconds: float = WINDOW_SECONDS,
    ):
        _check(per_minute)
        self.db = db
        self.per_minute = per_minute
        self.window_seconds = window_seconds
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

    def try_take(self, now: float, limit: int | None = None, count: int = 1) -> float:
        """Take ``count`` grants now (returns 0), or return how long to wait before trying
        again. ``limit`` overrides ``per_minute`` for this call (a share whose size changes
        with the campaigns running)."""
        self._ensure_row()
        limit = self.per_minute if limit is None else limit
        _check_count(count, limit)
        since = now - self.window_seconds
        mine = RateBudgetGrant.budget == self.name
        with self.db.transaction() as session:
            # The first statement writes the budget's row: it is held (PostgreSQL's row lock,
            # SQLite's writer lock) until this grant is counted and added.
            blocked_until = session.scalar(
                update(RateBudget)
                .where(RateBudget.name == self.name)
                .values(window_start=RateBudget.window_start)
                .returning(RateBudget.blocked_until)
            )
            if blocked_until and blocked_until > now:
                return blocked_until - now
            session.execute(delete(RateBudgetGrant).where(mine, RateBudgetGrant.at <= since))
            # The (limit - count + 1)-th newest grant of the last minute, if there is one, is
            # when enough slots free.
            freed_by = session.scalar(
                select(RateBudgetGrant.at)
                .where(mine, RateBudgetGrant.at > since)
                .order_by(RateBudgetGrant.at.desc())
                .offset(limit - count)
                .limit(1)
            )
            if freed_by is not None:
                return freed_by + self.window_seconds - now
            session.add_all([RateBudgetGrant(budget=self.name, at=now) for _ in range(count)])
        return 0.0

    def acquire(self, count: int = 1) -> None:
        while True:
            wait = self.try_take(self.clock(), count=count)
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
        """Requests granted in the last minute."""
        since = self.clock() - self.window_seconds
        with self.db.transaction() as session:
            return (
                session.scalar(
                    select(func.count()).where(
                        RateBudgetGrant.budget == self.name, RateBudgetGrant.at > since
                    )
                )
                or 0
            )
