"""The agent reading a linked ticket's internal note sees the customer at a glance: since when
they are a customer, their organisation, how often they wrote about an incident, and that the
notice already reached them with a coupon (so nobody offers a second one)."""

from __future__ import annotations

from datetime import UTC, datetime

import requests
from sqlalchemy import select

from service.outreach.models import Recipient
from tests.factories import (
    declare_checkout_incident,
    new_campaign,
    outreach_services,
    process_deliveries,
    run_until_done,
    sandbox_create,
)
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN

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


def _solve(sandbox, ticket_id: int) -> None:
    response = requests.put(
        f"{sandbox.url}/api/v2/tickets/{ticket_id}.json",
        json={"ticket": {"status": "solved", "comment": {"body": "Done.", "public": True}}},
        timeout=5,
        auth=(f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN),
    )
    assert response.status_code == 200, response.text


def _calls(sandbox) -> dict[str, int]:
    return requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()["calls"]


def test_the_note_counts_the_customers_tickets_of_the_last_90_days_in_one_search(
    database_url, sandbox, helpdesk
):
    services = outreach_services(database_url, sandbox, helpdesk)
    declare_checkout_incident(services)
    erin = {"name": "Erin Cohen", "email": "erin@example.com"}
    earlier = [sandbox_create(sandbox, "Invoice", f"question {n}", requester=erin) for n in range(3)]
    _solve(sandbox, earlier[0])
    old = sandbox_create(sandbox, "Password", "reset please", requester=erin)
    with sandbox.state.lock:  # written long before the window
        sandbox.state.tickets[old]["created_at"] = "2020-01-01T00:00:00Z"
    others = [
        sandbox_create(
            sandbox,
            "Checkout",
            f"checkout fails {n}",
            requester={"name": f"C{n}", "email": f"c{n}@example.com"},
        )
        for n in range(4)
    ]
    erins = sandbox_create(sandbox, "Checkout", "checkout fails for me too", requester=erin)
    requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5)

    process_deliveries(services, [erins, *others])

    assert "3 tickets in the last 90 days, 2 open" in _note(sandbox, erins)
    assert "no other tickets in the last 90 days" in _note(sandbox, others[0])
    # Five tickets, five requesters: one search for all of them.
    assert _calls(sandbox)["GET /api/v2/search"] == 1
