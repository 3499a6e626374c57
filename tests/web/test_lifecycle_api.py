"""REST API v1 for the incident lifecycle: status timeline, resolve/reopen, rules, preview, shadow mode."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select
from zenpy.lib.api_objects import TicketField

from service.models import Incident, IncidentRule, StatusUpdate
from tests.factories import AUTH, INCIDENT, recent_checkout_tickets

UPDATE = {
    "stage": "identified",
    "broadcast": True,
    "texts": {"en": "We found the cause.", "he": "מצאנו את הגורם לתקלה."},
}
FINAL = {"texts": {"en": "Checkout is back; we added an automatic check.", "bg": "Плащането работи отново."}}


def good_rules(field_id: int = 360012345) -> dict:
    return {
        "rules": [
            {"kind": "phrase", "value": ["checkout fails", "не мога да платя"]},
            {"kind": "exclude_phrase", "value": "test order"},
            {"kind": "channel", "value": "email web"},
            {"kind": "custom_field", "value": {"field_id": field_id, "values": ["size 42"]}},
        ]
    }


GOOD_RULES = good_rules()  # its field id exists nowhere: fine where the request is refused earlier


@pytest.fixture
def size_field(helpdesk) -> int:
    """A custom field that exists in the sandbox, for rules that name one."""
    return helpdesk.client.ticket_fields.create(TicketField(type="text", title="Shoe size")).id


@pytest.fixture
def incident_id(client) -> int:
    response = client.post("/api/v1/incidents", json=INCIDENT, headers=AUTH)
    assert response.status_code == 201
    return response.json["id"]


def call(client, method: str, path: str, body=None):
    return getattr(client, method)(path, json=body, headers=AUTH)


ENDPOINTS = [
    ("get", "status", None),
    ("post", "status", UPDATE),
    ("post", "resolve", FINAL),
    ("post", "reopen", None),
    ("put", "rules", GOOD_RULES),
    ("post", "rules/preview", GOOD_RULES),
    ("put", "shadow", {"shadow_mode": True}),
    ("put", "solve-assignment", {"solve_group_id": None}),
]


@pytest.mark.parametrize("method, path, body", ENDPOINTS)
def test_every_lifecycle_endpoint_needs_the_token(client, incident_id, db, method, path, body):
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = getattr(client, method)(
            f"/api/v1/incidents/{incident_id}/{path}", json=body, headers=headers
        )
        assert response.status_code == 401 and "Authorization: Bearer" in response.json["error"]
    with db.transaction() as session:
        incident = session.get(Incident, incident_id)
        assert (incident.state, incident.shadow_mode, len(incident.status_updates)) == ("active", False, 1)


@pytest.mark.parametrize("method, path, body", ENDPOINTS)
def test_unknown_incident_is_404(client, method, path, body):
    response = call(client, method, f"/api/v1/incidents/424242/{path}", body)
    assert response.status_code == 404 and response.json == {"error": "There is no incident 424242."}


def test_status_update_then_timeline(client, incident_id):
    response = call(client, "post", f"/api/v1/incidents/{incident_id}/status", UPDATE)
    assert response.status_code == 201, response.json
    assert response.json["version"] == 2 and response.json["stage"] == "identified"
    assert response.json["broadcast"] == {
        "version": 2,
        "state": "queued",
        "total": 0,
        "done": 0,
        "percent": 0,
    }

    timeline = call(client, "get", f"/api/v1/incidents/{incident_id}/status").json
    assert timeline["state"] == "active" and timeline["shadow_mode"] is False
    assert [(s["version"], s["stage"]) for s in timeline["timeline"]] == [
        (2, "identified"),
        (1, "investigating"),
    ]
    assert timeline["timeline"][0]["texts"] == UPDATE["texts"]
    assert timeline["timeline"][0]["created_by"] == "api"
    assert timeline["timeline"][0]["created_at"].endswith("+00:00")
    assert timeline["timeline"][1]["broadcast"]["state"] == "none"


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"stage": "identified", "texts": {"en": "  "}}, "status_texts", "at least one language"),
        ({"stage": "fixed", "texts": {"en": "x"}}, "stage", "Stage must be one of"),
        ({"stage": "resolved", "texts": {"en": "x"}}, "stage", "Use “Resolve”"),
        ({"stage": "identified"}, "texts", "Send 'texts'"),
        ({"stage": "identified", "texts": {"en": "x"}, "urgent": True}, "urgent", "Unknown field."),
        ({"stage": "identified", "texts": "We are on it"}, "texts", "Not a valid mapping type."),
        ({"stage": "identified", "texts": {"tlh": "Klingon"}}, "status_texts", "Unknown language 'tlh'"),
    ],
)
def test_bad_status_updates_are_422_saying_what_to_fix(client, incident_id, db, body, field, message):
    response = call(client, "post", f"/api/v1/incidents/{incident_id}/status", body)
    assert response.status_code == 422
    assert message in " ".join(response.json["fields"][field])
    with db.transaction() as session:
        assert session.query(StatusUpdate).count() == 1


def test_malformed_bodies_are_400(client, incident_id):
    path = f"/api/v1/incidents/{incident_id}/status"
    broken = client.post(path, data='{"stage": ', headers={**AUTH, "Content-Type": "application/json"})
    assert broken.status_code == 400 and "not valid JSON" in broken.json["error"]
    form = client.post(path, data={"stage": "identified"}, headers=AUTH)
    assert form.status_code == 400 and "Content-Type: application/json" in form.json["error"]
    assert call(client, "put", f"/api/v1/incidents/{incident_id}/rules", ["phrase"]).status_code == 400


def test_resolve_reopen_and_state_conflicts(client, incident_id, db):
    resolved = call(client, "post", f"/api/v1/incidents/{incident_id}/resolve", {**FINAL, "survey": False})
    assert resolved.status_code == 201 and resolved.json["stage"] == "resolved"
    assert resolved.json["texts"] == FINAL["texts"]  # no survey placeholder when none was asked for
    assert resolved.json["broadcast"]["state"] == "queued"

    again = call(client, "post", f"/api/v1/incidents/{incident_id}/resolve", FINAL)
    assert again.status_code == 409 and again.json["error"] == "The incident is already resolved."
    update = call(client, "post", f"/api/v1/incidents/{incident_id}/status", UPDATE)
    assert update.status_code == 409 and "reopen it" in update.json["error"]

    reopened = call(client, "post", f"/api/v1/incidents/{incident_id}/reopen")
    assert reopened.status_code == 200 and reopened.json["state"] == "active"
    assert call(client, "post", f"/api/v1/incidents/{incident_id}/reopen").status_code == 409
    with db.transaction() as session:
        assert session.get(Incident, incident_id).resolved_at is None


def test_resolve_asks_for_no_survey_unless_told_to_and_needs_a_text(client, incident_id, db):
    assert call(client, "post", f"/api/v1/incidents/{incident_id}/resolve", {"texts": {}}).status_code == 422
    resolved = call(client, "post", f"/api/v1/incidents/{incident_id}/resolve", FINAL).json
    assert not any("satisfaction" in text for text in resolved["texts"].values())
    with db.transaction() as session:
        assert session.get(Incident, incident_id).resolution_survey is False


def test_resolve_with_a_survey_appends_zendesks_rating_section(client, incident_id, db):
    body = {**FINAL, "survey": True}
    resolved = call(client, "post", f"/api/v1/incidents/{incident_id}/resolve", body).json
    assert resolved["texts"]["bg"].endswith("{{satisfaction.rating_section}}")
    with db.transaction() as session:
        assert session.get(Incident, incident_id).resolution_survey is True


def test_rules_are_replaced_and_returned(client, incident_id, db, size_field):
    response = call(client, "put", f"/api/v1/incidents/{incident_id}/rules", good_rules(size_field))
    assert response.status_code == 200, response.json
    assert response.json["rules"] == [
        {"kind": "phrase", "value": ["checkout fails", "не мога да платя"]},
        {"kind": "exclude_phrase", "value": ["test order"]},
        {"kind": "channel", "value": "email web"},
        {"kind": "custom_field", "value": {"field_id": size_field, "values": ["size 42"]}},
    ]
    with db.transaction() as session:
        kinds = session.scalars(select(IncidentRule.kind).where(IncidentRule.incident_id == incident_id))
        assert sorted(kinds) == ["channel", "custom_field", "exclude_phrase", "phrase", "phrase"]
    shown = call(client, "get", f"/api/v1/incidents/{incident_id}").json
    assert shown["phrases"] == ["checkout fails", "не мога да платя"]


@pytest.mark.parametrize(
    "rules, message",
    [
        (
            [
                {"kind": "phrase", "value": "checkout"},
                {"kind": "custom_field", "value": {"field_id": 424242, "values": ["x"]}},
            ],
            "Unknown custom field 424242",
        ),
        ([{"kind": "phrase", "value": []}], "Add at least one phrase, one per line"),
        (
            [{"kind": "phrase", "value": "checkout"}, {"kind": "colour", "value": "red"}],
            "Unknown rule kind 'colour'",
        ),
        ([{"kind": "regex", "value": "order (\\d+"}], "The regular expression is invalid"),
        (
            [{"kind": "created_within", "value": {"start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z"}}],
            "in the past",
        ),
        ([{"kind": "exclude_phrase", "value": ["test order"]}], "exclusions alone match nothing"),
    ],
)
@pytest.mark.parametrize("path", ["rules", "rules/preview"])
def test_bad_rules_are_422_saying_what_to_fix(client, incident_id, db, rules, message, path):
    method = "put" if path == "rules" else "post"
    response = call(client, method, f"/api/v1/incidents/{incident_id}/{path}", {"rules": rules})
    assert response.status_code == 422
    assert message in " ".join(response.json["fields"]["rules"])
    with db.transaction() as session:
        assert session.get(Incident, incident_id).phrases == INCIDENT["phrases"]


@pytest.mark.parametrize(
    "body, messages",
    [
        (
            {"rules": [{"kind": "phrase", "value": "x", "field": "subject"}]},
            {"0": {"field": ["Unknown field."]}},
        ),
        (
            {"rules": [{"kind": "phrase"}]},
            {"0": {"value": ["Give each rule a 'value', e.g. [\"checkout fails\"] for phrases."]}},
        ),
        ({}, ['Send \'rules\': a list of {"kind": ..., "value": ...}.']),
        ({"rules": "checkout fails"}, ["Not a valid list."]),
        (
            {"rules": [{"kind": "phrase", "value": ["check\u0000out"]}]},
            {"0": {"value": ["Remove the NUL character (\\u0000) from this text."]}},
        ),
        (
            {"rules": [{"kind": "custom_field", "value": {"field_id": 1, "values": ["\ud800"]}}]},
            {
                "0": {
                    "value": [
                        "This text has an unpaired surrogate escape (\\ud800-\\udfff); send valid UTF-8."
                    ]
                }
            },
        ),
    ],
)
def test_misshapen_rules_are_422_by_field(client, incident_id, body, messages):
    response = call(client, "put", f"/api/v1/incidents/{incident_id}/rules", body)
    assert response.status_code == 422
    assert response.json["fields"]["rules"] == messages


def test_preview_lists_matches_and_near_misses_and_saves_nothing(client, incident_id, db, sandbox):
    tickets = recent_checkout_tickets(sandbox)
    response = call(
        client,
        "post",
        f"/api/v1/incidents/{incident_id}/rules/preview",
        {
            "rules": [
                {"kind": "phrase", "value": "checkout fails"},
                {"kind": "exclude_phrase", "value": "test order"},
            ]
        },
    )
    assert response.status_code == 200, response.json
    result = response.json
    assert result["match_count"] == 1 and result["near_miss_count"] == 2
    assert result["tickets_checked"] == 4  # the incident's own problem ticket is left out
    assert result["matches"][0]["ticket_id"] == tickets["match"]
    assert "mentions “checkout fails”" in result["matches"][0]["why"]
    near = {n["ticket_id"]: n for n in result["near_misses"]}
    assert near[tickets["excluded"]]["failing_kinds"] == ["exclude_phrase"]
    assert "only part of one" in near[tickets["partial"]]["why"]
    with db.transaction() as session:
        assert session.get(Incident, incident_id).phrases == INCIDENT["phrases"]


def test_preview_reports_a_helpdesk_failure(client, incident_id, sandbox):
    requests.post(
        f"{sandbox.url}/_sandbox/faults", json={"error_burst": {"status": 500, "count": 20}}, timeout=5
    )
    response = call(client, "post", f"/api/v1/incidents/{incident_id}/rules/preview", GOOD_RULES)
    assert response.status_code in (502, 503)
    assert "try the preview again" in response.json["error"]


def test_shadow_mode_is_switched_on_and_off(client, incident_id, db):
    on = call(client, "put", f"/api/v1/incidents/{incident_id}/shadow", {"shadow_mode": True})
    assert on.status_code == 200 and on.json == {"incident_id": incident_id, "shadow_mode": True}
    with db.transaction() as session:
        assert session.get(Incident, incident_id).shadow_mode is True
    assert (
        call(client, "put", f"/api/v1/incidents/{incident_id}/shadow", {"shadow_mode": False}).json[
            "shadow_mode"
        ]
        is False
    )
    missing = call(client, "put", f"/api/v1/incidents/{incident_id}/shadow", {})
    assert missing.status_code == 422 and "shadow_mode" in missing.json["fields"]
    garbled = call(client, "put", f"/api/v1/incidents/{incident_id}/shadow", {"shadow_mode": "maybe"})
    assert garbled.status_code == 422


def test_declare_through_the_api_with_products_regions_and_start(client):
    body = {
        **INCIDENT,
        "affected_products": ["Checkout"],
        "affected_regions": ["EU", "Israel"],
        "started_at": "2026-11-22T09:30:00+02:00",
    }
    created = client.post("/api/v1/incidents", json=body, headers=AUTH)
    assert created.status_code == 201, created.json
    assert created.json["affected_regions"] == ["EU", "Israel"]
    assert created.json["started_at"] == "2026-11-22T07:30:00+00:00"
    future = client.post(
        "/api/v1/incidents",
        json={**body, "title": "Later", "started_at": "2999-01-01T00:00:00Z"},
        headers=AUTH,
    )
    assert future.status_code == 422 and "in the future" in future.json["fields"]["started_at"][0]


def test_a_declaration_without_status_texts_is_422_not_500(client):
    """marshmallow formats its messages: a literal brace in one must be doubled, or it raises."""
    response = client.post(
        "/api/v1/incidents", json={"title": "Checkout", "phrases": ["checkout fails"]}, headers=AUTH
    )
    assert response.status_code == 422
    assert response.json["fields"]["status_texts"] == [
        'Send \'status_texts\': the customer-facing status per language, e.g. {"en": "..."}.'
    ]


def test_solve_assignment_takes_an_agent_and_refuses_what_is_not_one(client, helpdesk, incident_id):
    path = f"/api/v1/incidents/{incident_id}/solve-assignment"
    agent = helpdesk.client.users.me().id
    customer = helpdesk.create_user("Dana Levi", "dana@example.com").id
    ok = call(client, "put", path, {"solve_group_id": 360000000001, "solve_assignee_id": agent})
    assert ok.status_code == 200
    assert ok.json == {"incident_id": incident_id, "solve_group_id": 360000000001, "solve_assignee_id": agent}
    shown = call(client, "get", f"/api/v1/incidents/{incident_id}").json
    assert (shown["solve_group_id"], shown["solve_assignee_id"]) == (360000000001, agent)

    not_agent = call(client, "put", path, {"solve_assignee_id": customer})
    assert not_agent.status_code == 422 and f"no agent {customer}" in str(not_agent.json)
    for bad in ("abc", -1, 1.5, True, "9" * 5000, [1], {"id": 1}):
        refused = call(client, "put", path, {"solve_group_id": bad})
        assert refused.status_code == 422, bad
        assert "whole number" in str(refused.json)
    unknown = call(client, "put", path, {"group": 1})
    assert 400 <= unknown.status_code < 500
    cleared = call(client, "put", path, {"solve_group_id": None, "solve_assignee_id": None})
    assert cleared.json["solve_group_id"] is None and cleared.json["solve_assignee_id"] is None
    assert call(client, "put", "/api/v1/incidents/999999/solve-assignment", {}).status_code == 404
