"""Outreach tickets and the replies to them are linked to the incident by the ordinary pipeline:
they carry the incident's tag, so the webhook's delivery records the link and writes nothing."""

import pytest
from sqlalchemy import select

from service.incidents.status import post_status_update, resolve_incident
from service.incidents.store import get_incident
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


UPDATE = {
    "en": "Update for {{first_name}}: payments work again for most cards.",
    "he": "עדכון ל{{first_name}}: התשלומים חזרו לעבוד ברוב הכרטיסים.",
    "bg": "Новина за {{first_name}}: плащанията отново работят за повечето карти.",
}
FINAL = {
    "en": "{{first_name}}, checkout is fixed. Thank you for waiting.",
    "he": "{{first_name}}, התשלום תוקן. תודה על הסבלנות.",
    "bg": "{{first_name}}, плащането е поправено. Благодарим за търпението.",
}


def test_outreach_customers_get_every_later_update_by_name_in_their_language(running):
    csv_text = (
        "email,name,locale\nnoa@example.com,נועה כהן,he\nivan@example.com,Иван Петров,bg\n"
        "dana@example.com,Dana Levi,en\n"
    )
    incident_id, tickets = _run_campaign(running, csv_text)
    wait_for(lambda: _deliveries(running.services)[1])
    by_name = {}
    for ticket_id in tickets:
        requester = running.api.get(
            f"{running.sandbox_url}/api/v2/users/{tickets[ticket_id]['requester_id']}.json", timeout=5
        ).json()["user"]
        by_name[requester["name"]] = ticket_id
    assert set(by_name) == {"נועה כהן", "Иван Петров", "Dana Levi"}

    with running.services.db.transaction() as session:
        post_status_update(
            session,
            running.services.helpdesk,
            get_incident(session, incident_id),
            "monitoring",
            UPDATE,
            broadcast=True,
            actor="lead",
        )
    for ticket_id in tickets:
        wait_for(lambda ticket_id=ticket_id: len(public_comments(running, ticket_id)) == 2, timeout=30)
    assert (
        public_comments(running, by_name["נועה כהן"])[-1] == "עדכון לנועה: התשלומים חזרו לעבוד ברוב הכרטיסים."
    )
    assert public_comments(running, by_name["Иван Петров"])[-1] == (
        "Новина за Иван: плащанията отново работят за повечето карти."
    )
    assert public_comments(running, by_name["Dana Levi"])[-1] == (
        "Update for Dana: payments work again for most cards."
    )

    with running.services.db.transaction() as session:
        resolve_incident(
            session, running.services.helpdesk, get_incident(session, incident_id), FINAL, actor="lead"
        )
    for ticket_id in tickets:
        wait_for(lambda ticket_id=ticket_id: running.ticket(ticket_id)["status"] == "solved", timeout=30)
    assert public_comments(running, by_name["נועה כהן"])[-1].startswith("נועה, התשלום תוקן.")
    assert public_comments(running, by_name["Иван Петров"])[-1].startswith("Иван, плащането е поправено.")
    assert public_comments(running, by_name["Dana Levi"])[-1].startswith("Dana, checkout is fixed.")


def public_comments(running, ticket_id: int) -> list[str]:
    """What the customer sees on the ticket: its public comments, oldest first."""
    return [c["body"] for c in running.comments(ticket_id) if c["public"]]
