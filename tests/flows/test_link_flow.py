"""End to end over real HTTP: sandbox trigger -> signed webhook -> inbox -> worker -> zenpy -> sandbox."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from service.models import AuditEntry, InboxDelivery, TicketLink
from tests.factories import declare_checkout_incident
from tests.helpers import start_service, wait_for


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk)
    yield service
    service.stop()


def linked(running, ticket_id, tag):
    ticket = running.ticket(ticket_id)
    return ticket if tag in ticket["tags"] and len(running.comments(ticket_id)) >= 3 else None


def deliveries_settled(running) -> bool:
    with running.services.db.transaction() as session:
        open_rows = session.scalar(
            select(func.count())
            .select_from(InboxDelivery)
            .where(InboxDelivery.state.in_(("pending", "leased")))
        )
        total = session.scalar(select(func.count()).select_from(InboxDelivery))
    return total > 0 and open_rows == 0


@pytest.mark.parametrize(
    "locale, name, text, expected_words",
    [
        ("en", "Dana Levi", "Hello, checkout fails with error 500 when I pay", "Hi Dana, checkout is down"),
        ("he", "נועה כהן", "התשלום באתר לא עובד", "שלום נועה, מערכת התשלום מושבתת"),
        ("bg", "Иван Петров", "плащането на сайта не работи", "Здравейте, Иван, плащането не работи"),
    ],
)
def test_matching_ticket_is_tagged_linked_and_answered_in_the_requesters_language(
    running, locale, name, text, expected_words
):
    incident_id, tag, problem_id = declare_checkout_incident(running.services)
    assert problem_id, "declaring the incident opens its problem ticket"

    ticket_id = running.create_ticket(text, name=name, email=f"{locale}@example.com", locale=locale)
    ticket = wait_for(lambda: linked(running, ticket_id, tag))

    assert ticket["type"] == "incident" and ticket["problem_id"] == problem_id
    comments = running.comments(ticket_id)
    public = [c for c in comments[1:] if c["public"]]
    notes = [c for c in comments[1:] if not c["public"]]
    assert len(public) == 1 and public[0]["body"].startswith(expected_words)
    assert len(notes) == 1 and "phrase rule" in notes[0]["body"] and tag in notes[0]["body"]

    wait_for(lambda: deliveries_settled(running))
    with running.services.db.transaction() as session:
        link = session.scalars(select(TicketLink)).one()
        assert (link.ticket_id, link.incident_id, link.state, link.locale) == (
            ticket_id,
            incident_id,
            "linked",
            locale,
        )
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.linked")).one()
        assert audit.ticket_id == ticket_id and audit.detail["excerpts"]


def test_unrelated_ticket_is_left_untouched(running):
    declare_checkout_incident(running.services)
    ticket_id = running.create_ticket("Can I change the colour of my running shoes order?")
    before = running.ticket(ticket_id)
    wait_for(lambda: deliveries_settled(running))
    after = running.ticket(ticket_id)
    assert after["tags"] == before["tags"] and after["type"] == before["type"]
    assert after["updated_at"] == before["updated_at"]
    assert len(running.comments(ticket_id)) == 1


def test_a_link_remembers_when_the_customer_first_wrote(running):
    """The dashboard's "earliest unsolved contact" is the ticket's creation in the helpdesk."""
    declare_checkout_incident(running.services)
    ticket_id = running.create_ticket("checkout fails")
    created = datetime.fromisoformat(running.ticket(ticket_id)["created_at"].replace("Z", "+00:00"))
    wait_for(lambda: _link(running, ticket_id) is not None and _link(running, ticket_id).state == "linked")
    link = _link(running, ticket_id)
    stored = link.ticket_created_at.replace(tzinfo=link.ticket_created_at.tzinfo or UTC)
    assert stored == created


def _link(running, ticket_id: int) -> TicketLink | None:
    with running.services.db.transaction() as session:
        return session.scalars(select(TicketLink).where(TicketLink.ticket_id == ticket_id)).first()
