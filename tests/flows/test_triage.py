"""The serious cases first, as agents find them in Zendesk: a customer threatening legal action
(in Hebrew) is linked, answered, raised to urgent, tagged and sent to the incident's escalation
group, and the internal note says why; an ordinary complaint is answered and left as it was."""

from __future__ import annotations

import requests

from service.triage import store as triage
from service.wiring import build_services
from tests.conftest import make_settings
from tests.factories import declare_checkout_incident, process_deliveries, sandbox_create
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN


def _customer(sandbox, name: str, email: str, fields: dict) -> int:
    answer = requests.post(
        f"{sandbox.url}/api/v2/users.json",
        json={"user": {"name": name, "email": email, "user_fields": fields}},
        auth=(f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN),
        timeout=5,
    )
    answer.raise_for_status()
    return int(answer.json()["user"]["id"])


def _group(sandbox, name: str) -> int:
    answer = requests.post(
        f"{sandbox.url}/api/v2/groups.json",
        json={"group": {"name": name}},
        auth=(f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN),
        timeout=5,
    )
    answer.raise_for_status()
    return int(answer.json()["group"]["id"])


def _comments(sandbox, ticket_id: int) -> list[dict]:
    with sandbox.state.lock:
        return [dict(c) for c in sandbox.state.comments[ticket_id][1:]]


def test_a_legal_threat_is_raised_to_urgent_tagged_routed_and_explained(database_url, sandbox, helpdesk):
    services = build_services(make_settings(database_url), helpdesk=helpdesk)
    incident_id, tag, _ = declare_checkout_incident(services)
    escalations = _group(sandbox, "Escalations")
    with services.db.transaction() as session:
        triage.change(
            session,
            incident_id,
            {"group_id": escalations, "value_field": "lifetime_value", "value_at_least": 10000},
            actor="test",
            default_vip_tags=("vip",),
            helpdesk=helpdesk,
        )
    threat = sandbox_create(
        sandbox,
        "התשלום באתר לא עובד",
        "התשלום באתר לא עובד כבר שעתיים. אם לא תחזירו את הכסף אני פונה לעורך דין",
        requester={"name": "Dana Levi", "email": "dana@example.com", "locale": "he"},
    )
    _customer(sandbox, "Rina Gold", "rina@example.com", {"lifetime_value": 25000})
    rich = sandbox_create(
        sandbox,
        "Checkout",
        "checkout fails for my company's order",
        requester={"name": "Rina Gold", "email": "rina@example.com"},
    )
    ordinary = sandbox_create(
        sandbox,
        "Checkout",
        "checkout fails when I pay",
        requester={"name": "Sam", "email": "sam@example.com"},
    )
    process_deliveries(
        services,
        (
            threat,
            rich,
            ordinary,
        ),
    )
    serious = helpdesk.get_tickets([threat])[0]
    assert (
        serious.priority == "urgent"
        and "incidentdesk_legal_or_safety" in serious.tags
        and tag in serious.tags
    )
    with sandbox.state.lock:
        assert sandbox.state.tickets[threat]["group_id"] == escalations
        assert sandbox.state.tickets[ordinary]["group_id"] != escalations
    replies = [c for c in _comments(sandbox, threat) if c.get("public")]
    notes = [c for c in _comments(sandbox, threat) if not c.get("public")]
    assert len(replies) == 1 and replies[0]["body"].startswith("שלום")
    assert len(notes) == 1 and "Legal or safety threat: the customer wrote “" in notes[0]["body"]
    assert "Priority raised to urgent." in notes[0]["body"]
    worth = helpdesk.get_tickets([rich])[0]
    assert worth.priority == "high" and "incidentdesk_valuable_customer" in worth.tags
    rich_note = [c for c in _comments(sandbox, rich) if not c.get("public")][0]["body"]
    assert "Valuable customer: lifetime_value is 25000 (from 10000)." in rich_note
    calm = helpdesk.get_tickets([ordinary])[0]
    assert calm.priority != "urgent" and "incidentdesk_legal_or_safety" not in calm.tags and tag in calm.tags
    assert len([c for c in _comments(sandbox, ordinary) if c.get("public")]) == 1
    services.db.dispose()
