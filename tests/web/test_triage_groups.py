"""A signal routes to a helpdesk group only if the helpdesk has it: the admin page and the API
refuse an unknown group id with a field error, in the admin's language."""

from __future__ import annotations

import requests

from tests.factories import AUTH
from tests.web.conftest import post_form
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN

UNKNOWN_GROUP = 999_999_999


def sandbox_group(sandbox, name: str) -> int:
    """A group made in the sandbox over HTTP, as an admin makes one in Zendesk."""
    answer = requests.post(
        f"{sandbox.url}/api/v2/groups.json",
        json={"group": {"name": name}},
        auth=(f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN),
        timeout=5,
    )
    answer.raise_for_status()
    return int(answer.json()["group"]["id"])


def test_the_triage_page_refuses_a_group_the_helpdesk_does_not_have(logged_in, sandbox):
    post_form(logged_in, "/language", {"lang": "he"})
    form = {"threat_phrases": "lawyer", "repeat_contacts": "3"}
    refused = post_form(logged_in, "/admin/triage", {**form, "group_id": str(UNKNOWN_GROUP)})
    assert refused.status_code == 422
    assert f"אין במערכת הפניות קבוצה {UNKNOWN_GROUP}" in refused.data.decode()

    escalations = sandbox_group(sandbox, "Escalations")
    assert post_form(logged_in, "/admin/triage", {**form, "group_id": str(escalations)}).status_code == 302
    assert f'value="{escalations}"' in logged_in.get("/admin/triage?saved=1").data.decode()


def test_the_api_names_the_unknown_group_and_keeps_the_settings(client, sandbox):
    refused = client.put("/api/v1/triage-settings", json={"group_id": UNKNOWN_GROUP}, headers=AUTH)
    assert refused.status_code == 422
    assert str(UNKNOWN_GROUP) in refused.get_json()["fields"]["group_id"]
    assert client.get("/api/v1/triage-settings", headers=AUTH).get_json()["group_id"] is None

    escalations = sandbox_group(sandbox, "Escalations")
    saved = client.put("/api/v1/triage-settings", json={"group_id": escalations}, headers=AUTH)
    assert saved.status_code == 200 and saved.get_json()["group_id"] == escalations
