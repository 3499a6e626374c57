"""A link is reserved ('applying') before the helpdesk is written, confirmed ('linked') after.

The unique key (incident, ticket) makes one worker the writer of each link: a reservation that
finds the key taken loses. A whole batch is reserved in one statement and confirmed in one per
incident; a ticket whose data the database refuses (PostgreSQL refuses a NUL character in text,
say) spoils the batch's statement, so the batch is then reserved ticket by ticket and only that
ticket is left out.

A reservation names its writer (a token per batch). The writer shows it is alive while it waits
for the helpdesk (``renew``), and writes the answer only for the reservations still its own, so a
slow writer is never taken over while it works. Once the answer's job is submitted its id is kept
(``note_answer_job``): a worker that finds the reservation stale (its writer died, or gave up
waiting) asks that job first and takes over only once the job has finished or is forgotten, when
the ticket's tag tells whether the answer went out.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from service import clock
from service.db import insert_into
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

    def row(self, now: datetime, writer: str) -> dict[str, object]:
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
            "writer": writer,
            "writer_seen_at": now,
        }


def new_writer() -> str:
    """A token naming one batch's reservations."""
    return uuid.uuid4().hex


def reserve(session: Session, wanted: list[Reservation], writer: str) -> set[int]:
    """Reserve the links for ``writer``; returns the tickets whose reservation is ours."""
    if not wanted:
        return set()
    now = clock.now()
    statement = (
        insert_into(session, TicketLink)
        .values([w.row(now, writer) for w in wanted])
        .on_conflict_do_nothing()
        .returning(TicketLink.ticket_id)
    )
    try:
        with session.begin_nested():
            return set(session.scalars(statement))
    except (DataError, IntegrityError):  # one ticket's data, or its incident gone: find which
        return {w.ticket_id for w in wanted if _reserve_one(session, w, now, writer)}


def _reserve_one(session: Session, wanted: Reservation, now: datetime, writer: str) -> bool:
    try:
        with session.begin_nested():
            session.add(TicketLink(**wanted.row(now, writer)))
            session.flush()
        return True
    except IntegrityError:
        return False
    except DataError as refused:  # this ticket's data only: its deliveries retry, its neighbours go on
        log.error(
            "ticket %s: the database refused its link (%s)", wanted.ticket_id, type(refused.orig).__name__
        )
        return False


def confirm(session: Session, writer: str, links: Iterable[tuple[int, int]]) -> None:
    """Mark ``writer``'s reserved (incident, ticket) links as linked: one statement per incident."""
    by_incident: dict[int, list[int]] = {}
    for incident_id, ticket_id in links:
        by_incident.setdefault(incident_id, []).append(ticket_id)
    # In incident order: the count triggers lock each incident's row, and two workers
    # confirming the same incidents then queue behind each other instead of deadlocking.
    for incident_id, ticket_ids in sorted(by_incident.items()):
        session.execute(
            update(TicketLink)
            .where(
                TicketLink.incident_id == incident_id,
                TicketLink.ticket_id.in_(ticket_ids),
                TicketLink.writer == writer,
            )
            .values(state=LinkState.LINKED, writer=None, writer_seen_at=None, answer_job_id=None)
        )


def release(session: Session, writer: str, incident_id: int, ticket_id: int) -> None:
    """Give up ``writer``'s reservation: the helpdesk refused the answer, so nothing landed."""
    session.execute(
        delete(TicketLink).where(
            TicketLink.ticket_id == ticket_id,
            TicketLink.incident_id == incident_id,
            TicketLink.state == LinkState.APPLYING,
            TicketLink.writer == writer,
        )
    )


def renew(session: Session, writer: str, ticket_ids: Iterable[int]) -> set[int]:
    """``writer`` is alive: returns the tickets whose reservation is still its own (one
    statement); the others were taken over, and their answer is not ours to write."""
    ids = list(ticket_ids)
    if not ids:
        return set()
    statement = (
        update(TicketLink)
        .where(
            TicketLink.writer == writer,
            TicketLink.state == LinkState.APPLYING,
            TicketLink.ticket_id.in_(ids),
        )
        .values(writer_seen_at=clock.now())
        .returning(TicketLink.ticket_id)
        .execution_options(synchronize_session=False)
    )
    return set(session.scalars(statement))


def note_answer_job(session: Session, writer: str, job_id: str, ticket_ids: Iterable[int]) -> None:
    """The helpdesk job carrying these tickets' answers: a takeover asks it first."""
    session.execute(
        update(TicketLink)
        .where(
            TicketLink.writer == writer,
            TicketLink.state == LinkState.APPLYING,
            TicketLink.ticket_id.in_(list(ticket_ids)),
        )
        .values(answer_job_id=job_id)
        .execution_options(synchronize_session=False)
    )


def _stale_before(older_than_seconds: int) -> ColumnElement[bool]:
    cutoff = clock.now() - timedelta(seconds=older_than_seconds)
    return func.coalesce(TicketLink.writer_seen_at, TicketLink.linked_at) < cutoff


def find_stale(session: Session, ticket_ids: list[int], older_than_seconds: int) -> list[TicketLink]:
    """Reservations whose writer has not shown it is alive for ``older_than_seconds``: it
    crashed, or gave up waiting for a write whose outcome it did not learn."""
    stale = list(
        session.scalars(
            select(TicketLink).where(
                TicketLink.ticket_id.in_(ticket_ids),
                TicketLink.state == LinkState.APPLYING,
                _stale_before(older_than_seconds),
            )
        )
    )
    for link in stale:
        session.expunge(link)
    return stale


def drop(session: Session, stale: list[TicketLink], older_than_seconds: int) -> dict[int, TicketLink]:
    """Drop the reservations that are still stale (a writer may have shown it is alive since),
    so their tickets are decided afresh. If a dropped reservation's answer did land, the ticket
    now carries the tag and the reservation (returned, by ticket) confirms it as our link."""
    if not stale:
        return {}
    dropped = set(
        session.scalars(
            delete(TicketLink)
            .where(
                TicketLink.id.in_([link.id for link in stale]),
                TicketLink.state == LinkState.APPLYING,
                _stale_before(older_than_seconds),
            )
            .returning(TicketLink.id)
            .execution_options(synchronize_session=False)
        )
    )
    return {link.ticket_id: link for link in stale if link.id in dropped}
