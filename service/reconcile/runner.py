"""Follow the helpdesk's change feed (Zendesk's incremental ticket export) from the stored
cursor into the inbox, so a webhook that was lost (a 5xx, a tripped breaker, a deploy) is never
a customer left unanswered.

A run is due every ``reconcile_seconds`` and on each worker's first step after start-up; one
worker at a time holds the feed's lease. Each page is stored and the cursor moved in one
transaction; the pages are paced by the reconciler's share of the request budget (the export's
own 10 a minute), on top of the account's budget every request goes through. A ticket
IncidentDesk itself changed comes back in the feed like any other: the pipeline finds it linked
already and writes nothing, so nothing loops.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy.orm import Session

from integrations.base import ChangedTicket, HelpdeskError
from service import clock
from service.domain.reconcile import synced_after_page
from service.helpdesk.budget import RECONCILER_REQUESTS_PER_MINUTE, RECONCILER_SHARE, SharedRateBudget
from service.reconcile import store
from service.reconcile.store import FeedPosition, LeaseLost
from service.wiring import Services

log = logging.getLogger("incidentdesk.reconcile")
CHECK_EVERY_SECONDS = 1.0  # how often a worker asks the database whether a run is due

# Stores a page's changed tickets in the inbox, in the given transaction; returns how many
# were new. The inbox room passes its own, so this room does not import it.
Deliver = Callable[[Session, Sequence[ChangedTicket]], int]


class Reconciler:
    def __init__(self, services: Services, owner: str, deliver: Deliver):
        self.services = services
        self.owner = owner
        self.deliver = deliver
        self.share = SharedRateBudget(
            services.db, per_minute=RECONCILER_REQUESTS_PER_MINUTE, name=RECONCILER_SHARE
        )
        self._ran_since_start = False
        self._next_check = 0.0  # monotonic

    def run_once(self) -> int:
        """Read the feed when a run is due; returns the deliveries newly stored."""
        interval = self.services.settings.reconcile_seconds
        if interval <= 0 or time.monotonic() < self._next_check:
            return 0
        self._next_check = time.monotonic() + min(CHECK_EVERY_SECONDS, interval)
        db = self.services.db
        lease_seconds = self.services.settings.worker_lease_seconds
        position = store.take_lease(db, self.owner, lease_seconds, due_only=self._ran_since_start)
        if position is None:
            return 0
        self._ran_since_start = True
        stored, wait = 0, float(interval)
        try:
            stored, wait = self._follow(position, lease_seconds)
        except HelpdeskError as exc:
            log.warning("reconciler: reading the change feed failed: %s", exc)
            wait = exc.retry_after or float(interval)
        except LeaseLost:
            log.warning("reconciler: the lease ran out during a run; another worker carries on")
        finally:
            store.release(db, self.owner, clock.now() + timedelta(seconds=wait))
        return stored

    def _follow(self, position: FeedPosition, lease_seconds: int) -> tuple[int, float]:
        """Read pages until the end of the stream or the share says wait; returns (stored, the
        seconds until the next run)."""
        settings = self.services.settings
        since = clock.now() - timedelta(seconds=settings.reconcile_lookback_seconds)
        stored = 0
        while True:
            wait = self.share.take()
            if wait > 0:
                return stored, wait
            page = self.services.helpdesk.changed_tickets(cursor=position.cursor or None, since=since)
            newest = max((t.updated_at for t in page.tickets), default=None)
            position = FeedPosition(
                cursor=page.cursor,
                synced_until=synced_after_page(position.synced_until, newest, page.complete_until),
            )
            with self.services.db.transaction() as session:
                new = self.deliver(session, page.tickets)
                store.advance(session, self.owner, position, lease_seconds)
            stored += new
            if page.tickets:
                log.info(
                    "reconciler stored %d of %d changed tickets",
                    new,
                    len(page.tickets),
                    extra={"stored": new, "changed": len(page.tickets)},
                )
            if page.end_of_stream:
                return stored, float(settings.reconcile_seconds)
