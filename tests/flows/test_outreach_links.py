"""Outreach tickets and the replies to them are linked to the incident by the ordinary pipeline:
they carry the incident's tag, so the webhook's delivery records the link and writes nothing."""
from sqlalchemy import select

from service.models import InboxDelivery, TicketLink
from service.outreach.models import Campaign
from tests.flows.harness import declare_checkout_incident, start_service, wait_for
from tests.flows.outreach_support import new_campaign, sandbox_outreach_tickets


def test_outreach_tickets_and_replies_are_linked_without_a_second_answer(database_url, sandbox, helpdesk):
    running = start_service(database_url, sandbox, helpdesk, worker_lease_seconds=5, job_timeout_seconds=2)
    try:
        services = running.services
        incident_id, _, _ = declare_checkout_incident(services)
        _, campaign_id = new_campaign(services, incident_id=incident_id, coupon_mode="none",
                                      csv_text="email,name\nreply@example.com,Rita Reply\nquiet@example.com,Q\n")

        def done():  # the service's own worker runs the campaign between inbox batches
            with services.db.transaction() as session:
                return session.get(Campaign, campaign_id).state == "done"
        wait_for(done, timeout=30)
        tickets = {t["id"]: t for t in sandbox_outreach_tickets(sandbox, incident_id)}

        def linked():
            with services.db.transaction() as session:
                return set(session.scalars(select(TicketLink.ticket_id).where(TicketLink.incident_id == incident_id)))
        wait_for(lambda: linked() >= set(tickets), timeout=30)

        before = _deliveries(services)
        ticket_id = next(t["id"] for t in tickets.values() if t["requester_id"])
        requester = tickets[ticket_id]["requester_id"]
        reply = running.api.put(f"{sandbox.url}/api/v2/tickets/{ticket_id}.json", timeout=10, json={
            "ticket": {"comment": {"body": "Thanks, when will checkout work?", "author_id": requester}}})
        assert reply.status_code == 200, reply.text
        wait_for(lambda: len(running.comments(ticket_id)) == 2)
        wait_for(lambda: _deliveries(services) > before and _deliveries_settled(services), timeout=30)
        assert [c["body"][:6] for c in running.comments(ticket_id)] == ["Hi Rit", "Thanks"]
        with services.db.transaction() as session:
            rows = session.scalars(select(TicketLink).where(TicketLink.ticket_id == ticket_id)).all()
        assert [(r.incident_id, r.state) for r in rows] == [(incident_id, "linked")]
    finally:
        running.stop()


def _deliveries(services) -> int:
    with services.db.transaction() as session:
        return len(session.scalars(select(InboxDelivery.id)).all())


def _deliveries_settled(services) -> bool:
    with services.db.transaction() as session:
        states = session.scalars(select(InboxDelivery.state)).all()
    return bool(states) and not any(s in ("pending", "leased") for s in states)
