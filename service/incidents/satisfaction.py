"""Reading satisfaction ratings back from the helpdesk for incidents: the ratings of each one's
linked tickets against the account's baseline (``domain/satisfaction``).

Ratings are read on demand through the port (paged, within the request budget) and kept for a
minute in an in-process cache: a read covering a wider range serves the narrower ones, so the
dashboard reads the account's ratings once for all its active incidents. A read never spans more
than ``MAX_READ_WEEKS``: incidents whose ranges together would are read one by one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.base import HelpdeskError, HelpdeskPort, SatisfactionRating
from service.domain.moments import utc
from service.domain.satisfaction import MAX_READ_WEEKS, Satisfaction, measure, read_range, window
from service.domain.states import LinkState
from service.models import Incident, TicketLink

log = logging.getLogger(__name__)
CACHE_FOR = timedelta(minutes=1)


@dataclass(frozen=True)
class _Read:
    at: datetime
    since: datetime
    until: datetime | None  # None: up to the read's own "now"
    ratings: tuple[SatisfactionRating, ...]

    def covers(self, since: datetime, until: datetime | None) -> bool:
        return self.since <= since and (self.until is None or (until is not None and until <= self.until))


class RatingsCache:
    """The last read of the helpdesk's ratings, reused for a minute by any read it covers (up
    to "now" counts as covering "now" for that minute); safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: _Read | None = None

    def ratings(
        self, helpdesk: HelpdeskPort, since: datetime, until: datetime, now: datetime
    ) -> tuple[SatisfactionRating, ...]:
        upto = None if until >= now else until
        with self._lock:
            last = self._last
        if last is not None and now - last.at < CACHE_FOR and last.covers(since, upto):
            return last.ratings
        found = helpdesk.satisfaction_ratings(since=since, until=until)
        read = _Read(now, since, upto, tuple(found))
        with self._lock:
            self._last = read
        return read.ratings


def _linked_tickets(session: Session, incident_ids: Sequence[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {i: set() for i in incident_ids}
    for incident_id, ticket_id in session.execute(
        select(TicketLink.incident_id, TicketLink.ticket_id).where(
            TicketLink.incident_id.in_(incident_ids), TicketLink.state == LinkState.LINKED
        )
    ):
        found[incident_id].add(int(ticket_id))
    return found


def satisfaction_of(
    session: Session,
    helpdesk: HelpdeskPort,
    cache: RatingsCache,
    incidents: Sequence[Incident],
    now: datetime,
) -> dict[int, Satisfaction] | None:
    """Each incident's satisfaction by id, from one read covering all of them; None when the
    helpdesk cannot be read now (the pages say so)."""
    if not incidents:
        return {}
    windows = {
        i.id: window(utc(i.created_at), utc(i.resolved_at) if i.resolved_at else None, now) for i in incidents
    }
    reads = {i: read_range(*w, now) for i, w in windows.items()}
    since, until = min(r[0] for r in reads.values()), max(r[1] for r in reads.values())
    together = until - since <= timedelta(weeks=MAX_READ_WEEKS)
    tickets = _linked_tickets(session, [i.id for i in incidents])
    found: dict[int, Satisfaction] = {}
    try:
        for incident in incidents:
            span = (since, until) if together else reads[incident.id]
            ratings = cache.ratings(helpdesk, *span, now)
            found[incident.id] = measure(ratings, tickets[incident.id], *windows[incident.id])
    except HelpdeskError as exc:
        log.warning("satisfaction ratings could not be read: %s", exc)
        return None
    return found
