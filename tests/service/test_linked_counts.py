"""Each incident's ``linked_count`` is what counting its linked tickets says, after every kind of
write the service makes to ticket_links (reserve, confirm, record, unlink, release, move, delete),
one row or a batch at a time, on SQLite and PostgreSQL; the migration counts what was there."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, text, update

from service.db import Database
from service.domain.states import LinkState
from service.incidents.status import unlink_ticket
from service.linking import reservations
from service.migrate import downgrade, upgrade
from service.models import Incident, TicketLink
from tests.factories import reservation


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.dispose()


def _incidents(db: Database, *tags: str) -> list[int]:
    with db.transaction() as session:
        rows = [Incident(title=tag, tag=tag) for tag in tags]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def _kept_and_counted(db: Database) -> dict[int, tuple[int, int]]:
    """Per incident: the stored count, and the count of its linked rows."""
    with db.transaction() as session:
        counted = dict(
            session.execute(
                select(TicketLink.incident_id, func.count())
                .where(TicketLink.state == LinkState.LINKED)
                .group_by(TicketLink.incident_id)
            ).all()
        )
        return {
            i: (n, counted.get(i, 0)) for i, n in session.execute(select(Incident.id, Incident.linked_count))
        }


def _agree(db: Database) -> dict[int, int]:
    both = _kept_and_counted(db)
    assert all(kept == counted for kept, counted in both.values()), both
    return {incident_id: kept for incident_id, (kept, _) in both.items()}


def test_every_write_to_the_links_keeps_each_incidents_count(db):
    checkout, login = _incidents(db, "checkout", "login")
    assert _agree(db) == {checkout: 0, login: 0}

    # A batch reserved (applying: not counted yet), then confirmed in one statement per incident.
    with db.transaction() as session:
        wanted = [reservation(checkout, t, requester_id=t) for t in range(1, 8)] + [
            reservation(login, t, requester_id=t) for t in range(11, 14)
        ]
        assert len(reservations.reserve(session, wanted, "writer-1")) == 10
    assert _agree(db) == {checkout: 0, login: 0}
    with db.transaction() as session:
        reservations.release(session, "writer-1", checkout, 7)  # the helpdesk refused one answer
        links = [(checkout, t) for t in range(1, 7)] + [(login, t) for t in range(11, 14)]
        reservations.confirm(session, "writer-1", links)
    assert _agree(db) == {checkout: 6, login: 3}

    # A link recorded as linked at once (the ticket already carried the tag), and an unlink.
    with db.transaction() as session:
        session.add(TicketLink(incident_id=login, ticket_id=20, state=LinkState.LINKED))
        link = session.scalars(select(TicketLink).where(TicketLink.ticket_id == 1)).one()
        unlink_ticket(session, link, reason="not about checkout", actor="agent")
    assert _agree(db) == {checkout: 5, login: 4}

    # A row updated without its state changing, one moved to another incident, rows deleted.
    with db.transaction() as session:
        session.execute(
            update(TicketLink).where(TicketLink.incident_id == checkout).values(ticket_status="pending")
        )
        session.execute(update(TicketLink).where(TicketLink.ticket_id == 2).values(incident_id=login))
        session.execute(update(TicketLink).where(TicketLink.ticket_id == 1).values(state=LinkState.LINKED))
    assert _agree(db) == {checkout: 5, login: 5}
    with db.transaction() as session:
        session.execute(delete(TicketLink).where(TicketLink.ticket_id.in_([3, 11])))
    assert _agree(db) == {checkout: 4, login: 4}

    # An incident deleted takes its links with it; the other's count is untouched.
    with db.transaction() as session:
        session.execute(delete(Incident).where(Incident.id == login))
    assert _agree(db) == {checkout: 4}


def test_the_migration_counts_the_links_already_there_and_going_back_keeps_them(db, database_url):
    (checkout,) = _incidents(db, "checkout")
    downgrade(database_url, "0029")  # links written before the count existed
    with db.engine.begin() as conn:
        for ticket_id, state in ((1, "linked"), (2, "linked"), (3, "applying"), (4, "unlinked")):
            conn.execute(
                text(
                    "INSERT INTO ticket_links (incident_id, ticket_id, requester_name, subject, locale,"
                    " ticket_status, state, source, evidence, linked_at)"
                    " VALUES (:i, :t, 'Dana', 'Checkout fails', 'en', 'open', :s, 'auto', '{}', :at)"
                ),
                {"i": checkout, "t": ticket_id, "s": state, "at": "2026-12-04 10:00:00"},
            )
    upgrade(database_url)
    assert _agree(db) == {checkout: 2}
    downgrade(database_url, "0029")
    with db.engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM ticket_links")).scalar() == 4
    upgrade(database_url)
    assert _agree(db) == {checkout: 2}
