"""REST API v1: bearer-token auth, JSON in and out, errors that say what to fix."""

from __future__ import annotations

import pytest
import requests

from service.models import Incident
from tests.factories import AUTH, INCIDENT, add_links
from tests.web.conftest import API_TOKEN, build_app, sandbox_ticket


def create(client, body=None, **kwargs):
    return client.post("/api/v1/incidents", json=INCIDENT if body is None else body, headers=AUTH, **kwargs)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": API_TOKEN},
        {"Authorization": f"Basic {API_TOKEN}"},
        {"Authorization": "Bearer "},
    ],
)
def test_requests_without_the_right_token_are_refused(client, headers):
    for path in ("/api/v1/incidents", "/api/v1/incidents/1", "/api/v1/incidents/1/tickets"):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in response.json["error"]
    assert client.post("/api/v1/incidents", json=INCIDENT, headers=headers).status_code == 401


def test_no_configured_token_refuses_everything(database_url, helpdesk):
    app = build_app(database_url, helpdesk, api_token="")
    try:
        client = app.test_client()
        assert client.get("/api/v1/incidents", headers={"Authorization": "Bearer "}).status_code == 401
        assert client.get("/api/v1/incidents", headers=AUTH).status_code == 401
    finally:
        app.extensions["incidentdesk"].db.dispose()


def test_create_show_and_list(client, db):
    response = create(client)
    assert response.status_code == 201, response.json
    created = response.json
    assert response.headers["Location"] == f"/api/v1/incidents/{created['id']}"
    assert created["tag"] == "incident_checkout_is_down"
    assert created["phrases"] == INCIDENT["phrases"]
    assert created["status"]["texts"] == INCIDENT["status_texts"]
    assert created["status"]["stage"] == "investigating" and created["status"]["version"] == 1
    assert created["linked_ticket_count"] == 0
    assert created["shadow_mode"] is False and created["state"] == "active"
    assert created["created_at"].endswith("+00:00")

    add_links(db, created["id"])
    shown = client.get(f"/api/v1/incidents/{created['id']}", headers=AUTH).json
    assert shown["linked_ticket_count"] == 5 and shown["title"] == "Checkout is down"
    listed = client.get("/api/v1/incidents", headers=AUTH).json["incidents"]
    assert [i["id"] for i in listed] == [created["id"]]

    tickets = client.get(f"/api/v1/incidents/{created['id']}/tickets", headers=AUTH).json["tickets"]
    assert len(tickets) == 5
    first = next(t for t in tickets if t["ticket_id"] == 1000)
    assert first["subject"] == "התשלום באתר לא עובד" and first["locale"] == "he"
    assert first["evidence"]["phrases"] == ["checkout fails"]
    assert first["linked_at"] == "2026-11-22T09:05:00+00:00"


def test_created_incident_is_recorded_with_the_api_as_actor(client, db):
    incident_id = create(client, {**INCIDENT, "shadow_mode": True}).json["id"]
    with db.transaction() as session:
        incident = session.get(Incident, incident_id)
        assert incident.shadow_mode is True and incident.problem_ticket_id is None


def test_declared_incident_opens_a_problem_ticket_in_the_helpdesk(client, sandbox):
    problem_id = create(client).json["problem_ticket_id"]
    problem = sandbox_ticket(sandbox, problem_id)
    assert problem["type"] == "problem" and "incident_checkout_is_down" in problem["tags"]


def test_unknown_incident_is_404(client):
    for path in ("/api/v1/incidents/424242", "/api/v1/incidents/424242/tickets"):
        response = client.get(path, headers=AUTH)
        assert response.status_code == 404
        assert response.json == {"error": "There is no incident 424242."}
    assert client.get("/api/v1/nothing-here", headers=AUTH).status_code == 404
    assert "error" in client.get("/api/v1/nothing-here", headers=AUTH).json


def test_missing_and_mistyped_fields_are_422_with_field_messages(client):
    response = create(client, {"phrases": "checkout fails", "status_texts": {"en": 5}, "colour": "red"})
    assert response.status_code == 422
    fields = response.json["fields"]
    assert "Give the incident a title" in fields["title"][0]
    assert fields["phrases"] == ["Not a valid list."]
    assert "status_texts" in fields
    assert fields["colour"] == ["Unknown field."]


def test_content_rules_are_422_with_messages_saying_what_to_fix(client):
    response = create(
        client,
        {
            **INCIDENT,
            "phrases": ["  ", "!!"],
            "status_texts": {"tlh": "Klingon is no Zendesk language."},
            "severity": "apocalyptic",
        },
    )
    assert response.status_code == 422
    fields = response.json["fields"]
    assert any("no letters or digits" in m for m in fields["phrases"])
    assert "Unknown language 'tlh'" in fields["status_texts"][0]
    assert "Severity must be one of minor, major, critical." in fields["severity"]


def test_malformed_bodies_are_400(client):
    broken = client.post(
        "/api/v1/incidents", data='{"title": "x",', headers={**AUTH, "Content-Type": "application/json"}
    )
    assert broken.status_code == 400 and "not valid JSON" in broken.json["error"]
    form = client.post("/api/v1/incidents", data={"title": "x"}, headers=AUTH)
    assert form.status_code == 400 and "Content-Type: application/json" in form.json["error"]
    array = create(client, ["title"])
    assert array.status_code == 400 and "JSON object" in array.json["error"]


def test_too_large_body_is_413(client):
    huge = {**INCIDENT, "phrases": ["x" * 1024] * 7000}  # over the 6 MB request limit
    response = create(client, huge)
    assert response.status_code == 413
    assert "too large" in response.json["error"]


def test_wrong_method_is_405_json(client):
    response = client.delete("/api/v1/incidents", headers=AUTH)
    assert response.status_code == 405
    assert "error" in response.json and "GET" in response.headers["Allow"]


def test_helpdesk_failure_is_reported_and_saves_nothing(client, sandbox):
    requests.post(
        f"{sandbox.url}/_sandbox/faults", json={"error_burst": {"status": 500, "count": 5}}, timeout=5
    )
    response = create(client)
    assert response.status_code in (502, 503)
    assert "nothing was saved" in response.json["error"]
    assert client.get("/api/v1/incidents", headers=AUTH).json["incidents"] == []


@pytest.mark.parametrize("bad", ["check\u0000out fails", "\ud800checkout fails"])
def test_text_a_database_cannot_store_is_422(client, bad):
    response = create(client, {**INCIDENT, "title": bad, "phrases": [bad], "status_texts": {"en": bad}})
    assert response.status_code == 422
    fields = response.json["fields"]
    assert {"title", "phrases", "status_texts"} <= set(fields)


def test_ids_beyond_the_database_range_are_404(client):
    assert client.get("/api/v1/incidents/99999999999999999999", headers=AUTH).status_code == 404
