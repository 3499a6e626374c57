"""The helpdesk call budget shared by every worker on every machine, kept in the database.

A fixed window (``window_seconds``) allows ``limit`` calls; a ``Retry-After`` from the helpdesk
blocks everyone until it has passed. Taking a call is an optimistic compare-and-set on the
budget row, so it is exact under concurrency on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import time

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from service.db import Database
from service.models import RateBudget

BUDGET_NAME = "outreach"


class SharedBudget:
    def __init__(self, db: Database, name: str = BUDGET_NAME, window_seconds: int = 60,
                 clock=time.time):
        self.db = db
        self.name = name
        self.window_seconds = window_seconds
        self.clock = clock

    def take(self, limit: int) -> float:
        """Spend one call if the window allows: 0.0; otherwise the seconds until it may."""
        for _ in range(20):
            now = self.clock()
            with self.db.transaction() as session:
                row = session.execute(select(RateBudget.window_start, RateBudget.used, RateBudget.blocked_until)
                                      .where(RateBudget.name == self.name)).first()
                if row is None:
                    self._create(session)
                    continue
                start, used, blocked_until = row
                if blocked_until > now:
                    return blocked_until - now
                window = int(now) - (int(now) - start) % self.window_seconds if start else int(now)
                spent = used if window == start else 0
                if spent >= limit:
                    return max(0.05, window + self.window_seconds - now)
                changed = session.execute(update(RateBudget).where(
                    RateBudget.name == self.name, RateBudget.window_start == start, RateBudget.used == used)
                    .values(window_start=window, used=spent + 1)).rowcount
            if changed == 1:
                return 0.0
        return 0.2  # heavy contention: let the others go first

    def block_for(self, seconds: float) -> None:
        """The helpdesk said Retry-After: nobody calls until then."""
        until = self.clock() + seconds
        with self.db.transaction() as session:
            session.execute(update(RateBudget).where(RateBudget.name == self.name,
                                                     RateBudget.blocked_until < until)
                            .values(blocked_until=until))

    def _create(self, session) -> None:
        try:
            with session.begin_nested():
                session.add(RateBudget(name=self.name, window_start=0, used=0, blocked_until=0.0))
                session.flush()
        except IntegrityError:
            pass
