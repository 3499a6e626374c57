"""Hostile JSON bodies against every REST route that reads one: a 4xx that says what to fix,
never a 500, on SQLite and on PostgreSQL (which refuses lone surrogates and NUL in text)."""

import pytest
from flask import request
from sqlalchemy import func, select
from werkzeug.exceptions import BadRequest

from service.outreach.models import Campaign
from tests.factories import declare_checkout_incident
from tests.web.conftest import API_TOKEN

AUTH = {"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/json"}
DEEP = "[" * 1000 + "]" * 1000
DEEP_VALUE = '{"name": "x", "messages": ' + "{" * 1000 + "}" * 1000 + "}"
ROUTES = [
    ("post", "/api/v1/incidents"),
    ("post", "/api/v1/incidents/{id}/status"),
    ("post", "/api/v1/incidents/{id}/resolve"),
    ("put", "/api/v1/incidents/{id}/shadow"),
    ("put", "/api/v1/incidents/{id}/rules"),
    ("post", "/api/v1/incidents/{id}/rules/preview"),
    ("put", "/api/v1/merge-settings"),
    ("put", "/api/v1/incidents/{id}/merge-settings"),
    ("post", "/api/v1/incidents/{id}/campaigns"),
]
MESSAGES = {"en": {"subject": "About {{incident_title}}", "body": "Hi {{first_name}}"}}


@pytest.fixture
def incident_id(app):
    return declare_checkout_incident(app.extensions["incidentdesk"])[0]


def _send(client, method, path, incident_id, body: str):
    return getattr(client, method)(path.format(id=incident_id), data=body.encode(), headers=AUTH)


@pytest.mark.parametrize("method, path", ROUTES)
@pytest.mark.parametrize(
    "body, message",
    [
        (DEEP, "levels deep"),
        (DEEP_VALUE, "levels deep"),
        ('{"title": ' + "9" * 5000 + "}", "not valid JSON"),
        ("", "empty"),
    ],
    ids=["deep-array", "deep-value", "5000-digit-number", "empty"],
)
def test_unreadable_bodies_are_a_400_on_every_route(app, incident_id, method, path, body, message):
    answer = _send(app.test_client(), method, path, incident_id, body)
    assert answer.status_code == 400, answer.get_data(as_text=True)[:300]
    assert message in answer.get_json()["error"]


@pytest.mark.parametrize("method, path", ROUTES)
@pytest.mark.parametrize(
    "body, where",
    [
        ('{"title": "a\\ud800b", "name": "a\\ud800b"}', ("title",)),
        ('{"texts": {"en": "nul \\u0000 here"}}', ("texts", "en")),
        ('{"phrases": ["ok", "a\\udc00"]}', ("phrases", "1")),
    ],
    ids=["surrogate-value", "nul", "surrogate-in-list"],
)
def test_text_no_database_can_store_is_a_422_naming_the_field(app, incident_id, method, path, body, where):
    answer = _send(app.test_client(), method, path, incident_id, body)
    assert answer.status_code == 422, answer.get_data(as_text=True)[:300]
    fields = answer.get_json()["fields"]
    # The field is named: with what to fix in its text, or (a route that takes no such field)
    # as unknown; either way the body is refused before it reaches the database.
    message = str(fields[where[0]])
    assert any(word in message for word in ("surrogate", "NUL", "Unknown field")), fields


@pytest.mark.parametrize("method, path", ROUTES)
def test_a_key_no_database_can_store_is_a_422(app, incident_id, method, path):
    answer = _send(app.test_client(), method, path, incident_id, '{"x\\udfff": 1}')
    assert answer.status_code == 422, answer.get_data(as_text=True)[:300]
    assert "surrogate" in answer.get_data(as_text=True) or "Unknown field" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"messages": "hello"}, "messages"),
        ({"messages": ["en"]}, "messages"),
        ({"messages": {"en": "hello"}}, "messages"),
        ({"messages": {"en": {"subject": ["x"], "body": 5}}}, "messages"),
        ({"name": ["a"]}, "name"),
        ({"name": 5}, "name"),
        ({"csv": 5}, "csv"),
        ({"csv": ["email", "a@example.com"]}, "csv"),
        ({"csv": {"email": "a@example.com"}}, "csv"),
        ({"search": "vip"}, "search"),
        ({"search": {"tag": ["vip"]}}, "search"),
        ({"tags": "vip"}, "tags"),
        ({"tags": [{"a": 1}]}, "tags"),
        ({"opt_out_emails": 7}, "opt_out_emails"),
        ({"coupon_mode": ["none"]}, "coupon_mode"),
        ({"coupon_format": 12}, "coupon_format"),
        ({"coupon_pool": ["A", "B"]}, "coupon_pool"),
        ({"default_locale": {"en": 1}}, "default_locale"),
        ({"vip_priority": ["high"]}, "vip_priority"),
        ({"api_share": [1]}, "api_share"),
        ({"api_share": True}, "api_share"),
        ({"plan_requests_per_minute": "NaN"}, "plan_requests_per_minute"),
        ({"group_id": 2**64}, "group_id"),
        ({"group_id": "١٢٣"}, "group_id"),
        ({"sender_id": [1]}, "sender_id"),
    ],
)
def test_campaign_fields_of_the_wrong_shape_are_a_422_naming_them(app, db, incident_id, overrides, field):
    body = {"name": "Sorry", "messages": MESSAGES, "csv": "email\na@example.com\n", **overrides}
    client = app.test_client()
    answer = client.post(f"/api/v1/incidents/{incident_id}/campaigns", json=body, headers=AUTH)
    assert answer.status_code == 422, answer.get_data(as_text=True)[:300]
    assert field in answer.get_json()["fields"], answer.get_json()
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Campaign)) == 0


@pytest.mark.parametrize(
    "body, field",
    [({"csv": 5}, "csv"), ({"search": ["tag"]}, "search"), ({"coupon_pool": 1}, "coupon_pool")],
)
def test_a_drafts_audience_of_the_wrong_shape_is_a_422(app, incident_id, body, field):
    client = app.test_client()
    created = client.post(
        f"/api/v1/incidents/{incident_id}/campaigns",
        json={"name": "Sorry", "messages": MESSAGES, "csv": "email\na@example.com\n"},
        headers=AUTH,
    )
    assert created.status_code == 201, created.get_json()
    path = f"/api/v1/incidents/{incident_id}/campaigns/{created.get_json()['id']}/audience"
    answer = client.put(path, json=body, headers=AUTH)
    assert answer.status_code == 422 and field in answer.get_json()["fields"]


def test_a_campaign_name_with_a_lone_surrogate_is_refused_and_a_real_name_kept(app, incident_id):
    client = app.test_client()
    path = f"/api/v1/incidents/{incident_id}/campaigns"
    body = '{"name": "Sorry \\ud83d", "messages": {"en": {"subject": "s", "body": "b"}}, "csv": "email\\na@example.com"}'
    answer = client.post(path, data=body.encode(), headers=AUTH)
    assert answer.status_code == 422 and "surrogate" in answer.get_json()["fields"]["name"]
    paired = body.replace("\\ud83d", "\\ud83d\\ude00")  # a surrogate pair is a real character: 😀
    created = client.post(path, data=paired.encode(), headers=AUTH)
    assert created.status_code == 201 and created.get_json()["name"] == "Sorry \U0001f600"


def test_get_json_anywhere_in_the_app_refuses_absurd_nesting_as_unreadable(app):
    """Routes that read JSON themselves (the Zendesk app's) get None or a 400, not a RecursionError."""
    for body in (DEEP, DEEP_VALUE, "[" * 100_000):
        with app.test_request_context("/", method="POST", data=body, content_type="application/json"):
            assert request.get_json(silent=True) is None
            with pytest.raises(BadRequest):
                request.get_json()
    with app.test_request_context("/", method="POST", data='{"a": [[1]]}', content_type="application/json"):
        assert request.get_json() == {"a": [[1]]}


def test_unstorable_text_deep_in_a_campaign_is_named_by_its_path(app, incident_id):
    body = (
        '{"name": "ok", "messages": {"en": {"subject": "s", "body": "b\\udc00"}}, "tags": ["a", "\\u0000"]}'
    )
    answer = _send(app.test_client(), "post", "/api/v1/incidents/{id}/campaigns", incident_id, body)
    assert answer.status_code == 422
    fields = answer.get_json()["fields"]
    assert "surrogate" in fields["messages"]["en"]["body"] and "NUL" in fields["tags"]["1"]
