"""A worker that dies between the helpdesk call and its commit: the next one looks the tickets
up by external id and sends nothing twice; customers who already wrote in get a comment."""

import time

from prometheus_client import REGISTRY
from sqlalchemy import select

from service.domain.outreach.audience import parse_csv
from service.models import Incident
from service.outreach import leases, store
from service.outreach.messages import CampaignContext, new_ticket
from service.outreach.models import Campaign, Recipient
from tests.factories import (
    MESSAGES,
    declare_checkout_incident,
    new_campaign,
    outreach_services,
    run_until_done,
    sandbox_outreach_tickets,
)
from tests.helpers import start_service, wait_for

CSV = "email,name,locale\n" + "".join(f"r{n}@example.com,Resumed {n},en\n" for n in range(30))


def test_crash_between_the_call_and_the_commit_creates_no_second_ticket(database_url, sandbox, helpdesk):
    services = outreach_services(
        database_url, sandbox, helpdesk, worker_lease_seconds=1, job_timeout_seconds=0.5
    )
    incident_id, campaign_id = new_campaign(services, csv_text=CSV)
    # The "dead" worker: leases a chunk and sends it, then dies before recording the job.
    chunk = leases.claim_chunk(services.db, "dead-worker", lease_seconds=1, limit=10)
    with services.db.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        context = CampaignContext.load(campaign, session.get(Incident, incident_id))
    helpdesk.create_many([new_ticket(context, r) for r in chunk])
    time.sleep(1.2)  # its lease runs out

    progress = run_until_done(services, campaign_id)
    assert (progress["sent"], progress["failed"]) == (30, 0)
    tickets = sandbox_outreach_tickets(sandbox, incident_id)
    assert len(tickets) == 30 and len({t["external_id"] for t in tickets}) == 30
    with services.db.transaction() as session:
        found = {r.external_id: r.ticket_id for r in session.scalars(select(Recipient))}
    assert found == {t["external_id"]: t["id"] for t in tickets}


def test_customer_who_wrote_in_gets_the_message_on_their_ticket(database_url, sandbox, helpdesk):
    running = start_service(database_url, sandbox, helpdesk)
    try:
        incident_id, tag, _ = declare_checkout_incident(running.services)
        own = running.create_ticket("checkout fails", email="wrote@example.com", name="Wrote In")
        wait_for(lambda: tag in running.ticket(own)["tags"])
        running.stop_worker()
        services = outreach_services(database_url, sandbox, helpdesk)
        csv_text = "email,name\nwrote@example.com,Wrote In\nnew@example.com,New Person\n"
        _, campaign_id = new_campaign(services, csv_text=csv_text, incident_id=incident_id)
        sent_before = REGISTRY.get_sample_value("incidentdesk_outreach_sent_total") or 0
        progress = run_until_done(services, campaign_id)
        assert progress["sent"] == 2
        assert REGISTRY.get_sample_value("incidentdesk_outreach_sent_total") == sent_before + 2
        assert len(sandbox_outreach_tickets(sandbox, incident_id)) == 1  # only the new customer
        bodies = [c["body"] for c in running.comments(own) if c["public"]]
        assert any("Wrote" in b and "Code:" in b for b in bodies)
        assert f"incidentdesk_outreach_{campaign_id}" in running.ticket(own)["tags"]
    finally:
        running.stop()


def test_customer_who_writes_in_after_the_draft_gets_it_on_their_ticket(database_url, sandbox, helpdesk):
    running = start_service(database_url, sandbox, helpdesk)
    try:
        services = running.services
        incident_id, tag, _ = declare_checkout_incident(services)
        with services.db.transaction() as session:
            campaign = store.create_campaign(session, incident_id, "test", name="Late", messages=MESSAGES)
            store.save_audience(
                session, helpdesk, campaign, parse_csv("email,name\nlate@example.com,Lena Late\n"), ""
            )
            campaign_id = campaign.id
        own = running.create_ticket("checkout fails", email="late@example.com", name="Lena Late")
        wait_for(lambda: tag in running.ticket(own)["tags"])
        with services.db.transaction() as session:
            store.transition(session, helpdesk, session.get(Campaign, campaign_id), "launch", "test")
        wait_for(lambda: f"incidentdesk_outreach_{campaign_id}" in running.ticket(own)["tags"], timeout=20)
        assert sandbox_outreach_tickets(sandbox, incident_id) == []
        assert any(c["body"].startswith("Hi Lena, sorry.") for c in running.comments(own))
    finally:
        running.stop()


def test_an_uncertain_comment_whose_ticket_is_gone_is_reported_failed(database_url, sandbox, helpdesk):
    from service.outreach import store
    from service.outreach.runner import OutreachRunner

    services = outreach_services(database_url, sandbox, helpdesk)
    incident_id, _, _ = declare_checkout_incident(services)
    with services.db.transaction() as session:
        campaign = Campaign(
            incident_id=incident_id,
            name="c",
            state="running",
            messages={},
            tags=[],
            opt_out_emails=[],
            audience_report={},
        )
        session.add(campaign)
        session.flush()
        session.add(
            Recipient(
                campaign_id=campaign.id,
                incident_id=incident_id,
                customer_key="g@x.com",
                external_id=store.external_id_for(incident_id, "g@x.com"),
                email="g@x.com",
                fields={},
                route="existing_ticket",
                ticket_id=987654,
                state="uncertain",
                attempts=1,
            )
        )
    assert OutreachRunner(services, "w").run_once() == 1
    with services.db.transaction() as session:
        recipient = session.scalars(select(Recipient)).one()
        assert (recipient.state, recipient.last_error) == (
            "failed",
            "the customer's own ticket no longer exists",
        )
