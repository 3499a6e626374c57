"""A link reservation belongs to the batch writing it: a writer that shows it is alive is never
taken over, a taken-over writer does not answer, and a reservation whose answer's job is still
running in the helpdesk stays busy however stale it looks."""

from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import select
from zenpy.lib.api_objects import Ticket

from integrations.base import TicketChange
from service import clock
from service.db import Database
from service.domain.states import LinkState
from service.linking import reservations
from service.linking.writer import LinkWriter, take_over_stale
from service.models import Incident, TicketLink
from tests.factories import reservation
from tests.helpers import wait_for

START = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
STALE_AFTER = 60


def _incident(db: Database) -> int:
    with db.transaction() as session:
        incident = Incident(title="Checkout", tag="incident_checkout")
        session.add(incident)
        session.flush()
        return incident.id


def _at(monkeypatch, seconds: float) -> None:
    monkeypatch.setattr(clock, "now", lambda: START + timedelta(seconds=seconds))


def _states(db: Database) -> dict[int, str]:
    with db.transaction() as session:
        return dict(session.execute(select(TicketLink.ticket_id, TicketLink.state)).all())


def test_a_writer_that_shows_it_is_alive_keeps_its_reservations(database_url, helpdesk, monkeypatch):
    db = Database(database_url)
    incident_id = _incident(db)
    _at(monkeypatch, 0)
    slow = LinkWriter(db, renew_every_seconds=1)
    assert slow.reserve([reservation(incident_id, 1), reservation(incident_id, 2)]) == {1, 2}
    _at(monkeypatch, 50)
    assert slow.still_ours([1, 2]) == {1, 2}
    _at(monkeypatch, 100)  # 100 s after reserving, 50 s after its writer last spoke
    assert take_over_stale(db, helpdesk, [1, 2], STALE_AFTER) == {}
    assert _states(db) == {1: LinkState.APPLYING, 2: LinkState.APPLYING}
    assert slow.still_ours([1, 2]) == {1, 2}
    db.dispose()


def test_a_taken_over_writer_no_longer_answers_or_confirms(database_url, helpdesk, monkeypatch):
    db = Database(database_url)
    incident_id = _incident(db)
    _at(monkeypatch, 0)
    gone = LinkWriter(db, renew_every_seconds=1)
    gone.reserve([reservation(incident_id, 1)])
    _at(monkeypatch, STALE_AFTER + 1)
    dropped = take_over_stale(db, helpdesk, [1, 2], STALE_AFTER)
    assert list(dropped) == [1] and dropped[1].writer == gone.token
    successor = LinkWriter(db, renew_every_seconds=1)
    assert successor.reserve([reservation(incident_id, 1)]) == {1}
    assert gone.still_ours([1]) == set()  # the old batch finds it is not its answer to write
    with db.transaction() as session:
        reservations.confirm(session, gone.token, [(incident_id, 1)])
    assert _states(db) == {1: LinkState.APPLYING}
    with db.transaction() as session:
        reservations.confirm(session, successor.token, [(incident_id, 1)])
    assert _states(db) == {1: LinkState.LINKED}
    db.dispose()


def test_a_stale_reservation_whose_answer_is_still_queued_stays_busy(
    database_url, sandbox, helpdesk, zendesk_client, monkeypatch
):
    db = Database(database_url)
    incident_id = _incident(db)
    ticket_id = zendesk_client.tickets.create(Ticket(subject="checkout fails", description="help")).ticket.id
    requests.post(
        f"{sandbox.url}/_sandbox/faults", json={"job_delay_seconds": 3}, timeout=5
    ).raise_for_status()
    _at(monkeypatch, 0)
    writer = LinkWriter(db, renew_every_seconds=1)
    writer.reserve([reservation(incident_id, ticket_id)])
    job = helpdesk.update_many([TicketChange(ticket_id=ticket_id, add_tags=("incident_checkout",))])
    assert not job.finished
    writer.answers_submitted(job.id, [ticket_id])  # ... and then the writer dies
    _at(monkeypatch, STALE_AFTER * 10)
    assert take_over_stale(db, helpdesk, [ticket_id], STALE_AFTER) == {}
    assert _states(db) == {ticket_id: LinkState.APPLYING}
    wait_for(lambda: helpdesk.job_status(job.id).finished, timeout=20, interval=0.2)
    dropped = take_over_stale(db, helpdesk, [ticket_id], STALE_AFTER)
    assert list(dropped) == [ticket_id] and dropped[ticket_id].answer_job_id == job.id
    assert _states(db) == {}
    db.dispose()
