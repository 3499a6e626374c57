"""The incident's status macro as agents meet it in Zendesk: its text names the customer with
Zendesk's own placeholder, and every automatic status reply is recorded as that macro."""

import pytest

from service.incidents.store import get_incident
from tests.factories import declare_checkout_incident, link_state
from tests.helpers import start_service, wait_for


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk)
    yield service
    service.stop()


def _incident_macro(running, incident_id: int) -> tuple[int, int]:
    with running.services.db.transaction() as session:
        incident = get_incident(session, incident_id)
        return incident.macro_id, incident.dynamic_content_id


def test_an_agent_applying_the_macro_by_hand_sends_the_customers_name(running, sandbox):
    incident_id, _, _ = declare_checkout_incident(running.services)
    macro_id, content_id = _incident_macro(running, incident_id)
    item = running.api.get(f"{sandbox.url}/api/v2/dynamic_content/items/{content_id}.json", timeout=5).json()
    texts = [v["content"] for v in item["item"]["variants"]]
    assert all("{{ticket.requester.first_name}}" in t and "{{first_name}}" not in t for t in texts)

    # A ticket no rule matches, answered by an agent with the macro.
    ticket_id = running.create_ticket(
        "where is my invoice?", name="נועה כהן", email="noa@example.com", locale="he"
    )
    applied = running.api.get(
        f"{sandbox.url}/api/v2/tickets/{ticket_id}/macros/{macro_id}/apply.json", timeout=5
    ).json()["result"]
    body = applied["ticket"]["comment"]["body"]
    assert body.startswith("שלום נועה, מערכת התשלום מושבתת")
    assert "{{" not in body


def test_every_automatic_reply_is_recorded_as_the_incidents_macro(running, sandbox):
    incident_id, _, _ = declare_checkout_incident(running.services)
    macro_id, _ = _incident_macro(running, incident_id)
    ticket_id = running.create_ticket("checkout fails", name="Dana Levi")
    wait_for(lambda: (link_state(running, ticket_id) or ("",))[0] == "linked")
    audits = running.api.get(f"{sandbox.url}/api/v2/tickets/{ticket_id}/audits.json", timeout=5).json()[
        "audits"
    ]
    references = [e for a in audits for e in a["events"] if e["type"] == "AgentMacroReference"]
    assert [int(e["macro_id"]) for e in references] == [macro_id]
    # The reference sits in the same update as the public status reply.
    [with_reference] = [a for a in audits if any(e["type"] == "AgentMacroReference" for e in a["events"])]
    assert any(
        e["type"] == "Comment" and e["public"] and e["body"].startswith("Hi Dana")
        for e in with_reference["events"]
    )
