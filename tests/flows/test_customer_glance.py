"""The agent reading a linked ticket's internal note sees the customer at a glance: since when
they are a customer, their organisation, how often they wrote about an incident, and that the
notice already reached them with a coupon (so nobody offers a second one)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from service.outreach.models import Recipient
from tests.factories import (
    new_campaign,
    outreach_services,
    process_deliveries,
    run_until_done,
    sandbox_create,
)

CSV = "email,name,locale\ndana@example.com,Dana Levi,en\n"


def _link(services, sandbox, text: str, email: str, name: str) -> int:
    ticket_id = sandbox_create(sandbox, "Checkout", text, requester={"name": name, "email": email})
    process_deliveries(services, [ticket_id])
    return ticket_id


def _note(sandbox, ticket_id: int) -> str:
    with sandbox.state.lock:
        notes = [c["body"] for c in sandbox.state.comments[ticket_id][1:] if not c.get("public")]
    assert len(notes) == 1, notes
    return notes[0]


def test_the_note_says_who_the_customer_is_and_what_outreach_gave_them(database_url, sandbox, helpdesk):
    services = outreach_services(database_url, sandbox, helpdesk)
    _, campaign_id = new_campaign(services, csv_text=CSV, name="Sorry for the outage")
    run_until_done(services, campaign_id)
    with services.db.transaction() as session:
        code = session.scalars(select(Recipient.coupon_code)).one()
    today = datetime.now(UTC).strftime("%Y-%m-%d")

    reached = _note(
        sandbox, _link(services, sandbox, "checkout fails again", "dana@example.com", "Dana Levi")
    )
    assert f"The customer: since {today}" in reached
    assert f"reached by outreach “Sorry for the outage” (coupon {code})" in reached
    assert "first ticket about an incident" in reached

    again = _note(sandbox, _link(services, sandbox, "checkout still fails", "sam@example.com", "Sam Smith"))
    assert "not reached by outreach" in again and "first ticket about an incident" in again
