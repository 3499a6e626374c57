"""Customer-controlled text never runs as a helpdesk placeholder. Zendesk renders Liquid in every
comment it is sent; a requester who names themselves after a placeholder must get their name
back, not the ticket's internal note or the integration account's address."""

import pytest

from tests.factories import (
    declare_checkout_incident,
    first_comment,
    link_state,
    new_campaign,
    run_until_done,
    sandbox_outreach_tickets,
)
from tests.helpers import start_service, wait_for
from zendesk_sandbox import DEMO_AGENT_EMAIL

ZWSP = "\u200b"


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk)
    yield service
    service.stop()


def _public(running, ticket_id: int) -> list[str]:
    return [c["body"] for c in running.comments(ticket_id)[1:] if c["public"]]


@pytest.mark.parametrize("hostile", ["{{ticket.latest_comment}}", "{{current_user.email}}", "{% raw %}x"])
def test_a_requester_named_like_a_placeholder_gets_their_name_and_nothing_else(running, hostile):
    declare_checkout_incident(running.services)
    ticket_id = running.create_ticket("checkout fails", name=f"{hostile} Smith", email="odd@example.com")
    wait_for(lambda: (link_state(running, ticket_id) or ("",))[0] == "linked")
    wait_for(lambda: len(running.comments(ticket_id)) >= 3)  # the internal note, then the answer
    [reply] = _public(running, ticket_id)
    assert reply.replace(ZWSP, "").startswith(f"Hi {hostile.split()[0]}, checkout is down")
    assert "IncidentDesk linked this ticket" not in reply  # the internal note did not leak
    assert DEMO_AGENT_EMAIL not in reply


def test_an_outreach_csv_name_like_a_placeholder_is_sent_as_written(database_url, sandbox, helpdesk):
    running = start_service(database_url, sandbox, helpdesk)
    try:
        services = running.services
        csv_text = "email,name\nodd@example.com,{{current_user.email}}\n"
        incident_id, campaign_id = new_campaign(services, csv_text=csv_text, coupon_mode="none")
        run_until_done(services, campaign_id)
        [ticket] = sandbox_outreach_tickets(sandbox, incident_id)
        body = first_comment(sandbox, ticket["id"])["body"]
        assert DEMO_AGENT_EMAIL not in body
        assert body.replace(ZWSP, "").startswith("Hi {{current_user.email}}, sorry.")
    finally:
        running.stop()
