"""Outreach tickets and the replies to them are linked to the incident by the ordinary pipeline:
they carry the incident's tag, so the webhook's delivery records the link and writes nothing."""

import pytest
from sqlalchemy import select

from service.models import InboxDelivery, TicketLink
from service.outreach.models import Campaign
from tests.factories import declare_checkout_incident, new_campaign, sandbox_outreach_tickets
from tests.helpers import start_service, wait_for


def _deliveries(services) -> tuple[int, bool]:
    with services.db.transaction() as session:
        states = session.scalars(select(InboxDelivery.state)).all()
    return len(states), not any(s in ("pending", "leased") for s in states)


def _run_campaign(running, csv_text: str) -> tuple[int, dict]:
    services = running.services
    incident_id, _, _ = declare_checkout_incident(services)
    _, campaign_id = new_campaign(services, incident_id=incident_id, coupon_mode="none", csv_text=csv_text)

    def done():  # the service's own worker runs the campaign between inbox batches
        with services.db.transaction() as session:
            return session.get(Campaign, campaign_id).state == "done"

    wait_for(done, timeout=30)
    tickets = {t["id"]: t for t in sandbox_outreach_tickets(running.sandbox, incident_id)}

    def linked():
        with services.db.transaction() as session:
            return set(
                session.scalars(
                    select(TicketLink.ticket_id).where(
                        TicketLink.incident_id == incident_id, TicketLink.state == "linked"
                    )
                )
            )

    wait_for(lambda: linked() == set(tickets), timeout=30)
    return incident_id, tickets


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk, worker_lease_seconds=5, job_timeout_seconds=2)
    service.sandbox = sandbox
    yield service
    service.stop()


def test_outreach_tickets_are_linked_to_the_incident_without_a_second_answer(running):
    _, tickets = _run_campaign(running, "email,name\nrita@example.com,Rita\nquiet@example.com,Q\n")
    assert len(tickets) == 2
    wait_for(lambda: _deliveries(running.services)[1])
    for ticket_id in tickets:
        assert [c["body"][:2] for c in running.comments(ticket_id)] == ["Hi"]  # only the outreach message


def test_a_reply_to_an_outreach_ticket_keeps_it_linked(running):
    incident_id, tickets = _run_campaign(running, "email,name\nrita@example.com,Rita Reply\n")
    ticket_id, ticket = next(iter(tickets.items()))
    before = _deliveries(running.services)[0]
    # The sandbox has no e-mail channel for a customer's reply; an update made outside the API
    # (which the installed trigger forwards, as it would the reply) stands in for it.
    reply = running.api.post(
        f"{running.sandbox_url}/_sandbox/tickets/{ticket_id}/agent_update",
        timeout=10,
        json={
            "ticket": {
                "comment": {"body": "Thanks, when will checkout work?", "author_id": ticket["requester_id"]}
            }
        },
    )
    assert reply.status_code == 200, reply.text
    wait_for(
        lambda: _deliveries(running.services)[0] > before and _deliveries(running.services)[1], timeout=30
    )
    assert [c["body"][:6] for c in running.comments(ticket_id)] == ["Hi Rit", "Thanks"]
    with running.services.db.transaction() as session:
        rows = session.scalars(select(TicketLink).where(TicketLink.ticket_id == ticket_id)).all()
    assert [(r.incident_id, r.state) for r in rows] == [(incident_id, "linked")]
