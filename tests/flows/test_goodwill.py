"""After the fact: a goodwill campaign reaches everyone the incident affected — the customers who
wrote in and those the notice reached — exactly once each, although one notice per customer is
the rule; a second goodwill campaign reaches nobody again. Read back from the sandbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.outreach import store
from service.outreach.models import Campaign, Exclusion
from tests.factories import (
    MESSAGES,
    first_comment,
    new_campaign,
    outreach_services,
    process_deliveries,
    run_until_done,
    sandbox_create,
    sandbox_outreach_tickets,
    sandbox_user_email,
)

CSV = "email,name,locale\ndana@example.com,Dana Levi,he\nivan@example.bg,Иван Петров,bg\n"


def _wrote_in(services, sandbox) -> int:
    """Carla writes in about the checkout; the worker links her ticket."""
    ticket_id = sandbox_create(
        sandbox,
        "Checkout",
        "checkout fails when I pay",
        requester={"name": "Carla Diaz", "email": "carla@example.com"},
    )
    process_deliveries(services, [ticket_id])
    return ticket_id


def test_goodwill_reaches_everyone_affected_once_each(database_url, sandbox, helpdesk):
    services = outreach_services(database_url, sandbox, helpdesk)
    incident_id, notice_id = new_campaign(services, csv_text=CSV)
    run_until_done(services, notice_id)
    _wrote_in(services, sandbox)

    def goodwill() -> int:
        with services.db.transaction() as session:
            campaign = store.create_campaign(
                session,
                incident_id,
                "test",
                name="A coupon for next time",
                messages=MESSAGES,
                coupon_mode="generated",
                purpose="goodwill",
            )
            store.save_audience(session, services.helpdesk, campaign, None, "", everyone_affected=True)
            return campaign.id

    def launch(campaign_id: int) -> None:
        with services.db.transaction() as session:
            store.transition(session, services.helpdesk, session.get(Campaign, campaign_id), "launch", "test")

    first = goodwill()
    launch(first)
    progress = run_until_done(services, first)
    assert (progress["sent"], progress["failed"]) == (3, 0)
    tickets = sandbox_outreach_tickets(sandbox, incident_id)
    notices = [t for t in tickets if not t["external_id"].endswith("-goodwill")]
    gifts = [t for t in tickets if t["external_id"].endswith("-goodwill")]
    assert len(notices) == 2
    by_email = {sandbox_user_email(sandbox, t["requester_id"]): t for t in gifts}
    assert (
        sorted(by_email) == ["carla@example.com", "dana@example.com", "ivan@example.bg"] and len(gifts) == 3
    )
    assert first_comment(sandbox, by_email["dana@example.com"]["id"])["body"].startswith("שלום")
    assert "Иван" in first_comment(sandbox, by_email["ivan@example.bg"]["id"])["body"]

    second = goodwill()  # everyone affected has had their goodwill message: nobody is left
    with services.db.transaction() as session:
        reasons = {
            e.email: e.reason
            for e in session.scalars(select(Exclusion).where(Exclusion.campaign_id == second))
        }
    assert reasons == dict.fromkeys(
        ["carla@example.com", "dana@example.com", "ivan@example.bg"], "already_contacted"
    )
    with pytest.raises(store.CampaignConflict):
        launch(second)
    assert len(sandbox_outreach_tickets(sandbox, incident_id)) == 5

    with services.db.transaction() as session, pytest.raises(store.CampaignConflict):
        notice = store.create_campaign(session, incident_id, "test", name="Notice", messages=MESSAGES)
        store.save_audience(session, services.helpdesk, notice, None, "", everyone_affected=True)
