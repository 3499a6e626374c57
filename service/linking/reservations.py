"""A link is reserved ('applying') before the helpdesk is written, confirmed ('linked') after.

The unique key (incident, ticket) makes one worker the writer of each link: a reservation that
finds the key taken loses. A whole batch is reserved in one statement and confirmed in one per
incident; a ticket whose data the database refuses (PostgreSQL refuses a NUL character in text,
say) spoils the batch's statement, so the batch is then reserved ticket by ticket and only that
ticket is left out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from service import clock
from service.domain.states import LinkState
from service.models import TicketLink

log = logging.getLogger("incidentdesk.linking")


@dataclass(frozen=True)
class Reservation:
    incident_id: int
    ticket_id: int
    requester_id: int | None
    requester_name: str
    subject: str
    ticket_status: str
    ticket_created_at: datetime | None
    locale: str
    status_version: int | None
    evidence: dict[str, object]

    def row(self, now: datetime) -> dict[str, object]:
        return {
            "incident_id": self.incident_id,
            "ticket_id": self.ticket_id,
            "requester_id": self.requester_id,
            "requester_name": self.requester_name[:200],
            "subject": self.subject[:300],
            "ticket_status": self.ticket_status,
            "ticket_created_at": self.ticket_created_at,
            "locale": self.locale,
            "status_version": self.status_version,
            "evidence": self.evidence,
            "state": LinkState.APPLYING,
            "source": "auto",
            "linked_at": now,
        }


def reserve(session: Session, wanted: list[Reservation]) -> set[int]:
    """Reserve the links; returns the tickets whose reservation is ours."""
    if not wanted:
        return set()
    now = clock.now()
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(TicketLink)
        .values([w.row(now) for w in wanted])
        .on_conflict_do_nothing()
        .returning(TicketLink.ticket_id)
    )
    try:
        with session.begin_nested():
            return set(session.scalars(statement))
    except (DataError, IntegrityError):  # one ticket's data, or its incident gone: find which
        return {w.ticket_id for w in wanted if _reserve_one(session, w, now)}


def _reserve_one(session: Session, wanted: Reservation, now: datetime) -> bool:
    try:
        with session.begin_nested():
            session.add(TicketLink(**wanted.row(now)))
            session.flush()
        return True
    except IntegrityError:
        return False
    except DataError as refused:  # this ticket's data only: its deliveries retry, its neighbours go on
        log.error(
            "ticket %s: the database refused its link (%s)", wanted.ticket_id, type(refused.orig).__name__
        )
        return False


def confirm(session: Session, links: Iterable[tuple[int, int]]) -> None:
    """Mark reserved (incident, ticket) links as linked: one statement per incident."""
    by_incident: dict[int, list[int]] = {}
    for incident_id, ticket_id in links:
        by_incident.setdefault(incident_id, []).append(ticket_id)
    for incident_id, ticket_ids in by_incident.items():
        session.execute(
            update(TicketLink)
            .where(TicketLink.incident_id == incident_id, TicketLink.ticket_id.in_(ticket_ids))
            .values(state=LinkState.LINKED)
        )


def drop_stale(session: Session, ticket_ids: list[int], older_than_seconds: int) -> dict[int, TicketLink]:
    """A reservation left by a crashed worker, or by a write whose outcome was unknown: drop it,
    so the ticket is decided afresh. If that write did land, the ticket now carries the tag and
    the dropped reservation (returned, by ticket) confirms it as our link."""
    cutoff = clock.now() - timedelta(seconds=older_than_seconds)
    stale = list(
        session.scalars(
            select(TicketLink).where(
                TicketLink.ticket_id.in_(ticket_ids),
                TicketLink.state == LinkState.APPLYING,
                TicketLink.linked_at < cutoff,
            )
        )
    )
    for link in stale:
        session.expunge(link)
    if stale:
        session.execute(delete(TicketLink).where(TicketLink.id.in_([link.id for link in stale])))
    return {link.ticket_id: link for link in stale}
