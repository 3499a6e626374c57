"""POST /webhooks/zendesk: verified, stored once, acknowledged; refusals are clear and logged."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from integrations.zendesk.signature import sign
from service.app import create_app
from service.models import InboxDelivery, RejectedDelivery
from service.wiring import build_services
from tests.conftest import make_settings

SECRET = "test-webhook-secret"


@pytest.fixture
def app_and_services(database_url):
    services = build_services(make_settings(database_url))
    yield create_app(services=services), services
    services.db.dispose()


def signed_headers(body: bytes, *, secret=SECRET, when=None, invocation="inv-1"):
    stamp = (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "X-Zendesk-Webhook-Signature": sign(secret, stamp, body),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Invocation-Id": invocation,
        "Content-Type": "application/json",
    }


def count(services, model, **where):
    with services.db.transaction() as session:
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return session.scalar(stmt)


def test_valid_delivery_is_stored_once_even_when_sent_three_times(app_and_services):
    app, services = app_and_services
    body = json.dumps({"ticket_id": "12", "event": "ticket.changed"}).encode()
    client = app.test_client()
    answers = [client.post("/webhooks/zendesk", data=body, headers=signed_headers(body)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json["duplicate"] for a in answers] == [False, True, True]
    assert count(services, InboxDelivery) == 1
    assert count(services, InboxDelivery, state="pending", ticket_id=12) == 1


@pytest.mark.parametrize("case", ["wrong_secret", "stale", "missing_headers", "tampered"])
def test_bad_signatures_get_401_and_are_kept_for_inspection(app_and_services, case):
    app, services = app_and_services
    body = b'{"ticket_id": "12"}'
    headers = {
        "wrong_secret": signed_headers(body, secret="nope"),
        "stale": signed_headers(body, when=datetime.now(UTC) - timedelta(hours=1)),
        "missing_headers": {"Content-Type": "application/json"},
        "tampered": signed_headers(b'{"ticket_id": "13"}'),
    }[case]
    answer = app.test_client().post("/webhooks/zendesk", data=body, headers=headers)
    assert answer.status_code == 401
    assert "signature refused" in answer.json["error"]
    assert count(services, InboxDelivery) == 0
    assert count(services, RejectedDelivery, status_code=401) == 1


def test_malformed_json_gets_400_and_is_kept(app_and_services):
    app, services = app_and_services
    body = b'{"ticket_id": '
    answer = app.test_client().post("/webhooks/zendesk", data=body, headers=signed_headers(body))
    assert answer.status_code == 400
    assert "not valid JSON" in answer.json["error"]
    with services.db.transaction() as session:
        kept = session.scalars(select(RejectedDelivery)).one()
    assert kept.body == body.decode() and kept.headers["X-Zendesk-Webhook-Invocation-Id"] == "inv-1"
    assert "X-Zendesk-Webhook-Signature" not in kept.headers


def test_unknown_event_type_is_acknowledged_and_ignored(app_and_services):
    app, services = app_and_services
    body = json.dumps({"type": "zen:event-type:user.deleted", "id": "e1", "detail": {"id": "9"}}).encode()
    answer = app.test_client().post("/webhooks/zendesk", data=body, headers=signed_headers(body))
    assert answer.status_code == 200 and answer.json["ignored"] is True
    assert count(services, InboxDelivery, state="ignored") == 1
    assert count(services, InboxDelivery, state="pending") == 0


def test_oversized_body_gets_413(app_and_services):
    app, services = app_and_services
    body = b'{"ticket_id": "1", "pad": "' + b"x" * (services.settings.max_webhook_bytes + 10) + b'"}'
    answer = app.test_client().post("/webhooks/zendesk", data=body, headers=signed_headers(body))
    assert answer.status_code == 413


def test_health_and_readiness(app_and_services):
    app, _ = app_and_services
    client = app.test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "ready"
    assert ready.json["inbox"] == {"pending": 0, "leased": 0}


def test_an_unsigned_request_keeps_only_a_sample_of_its_body(app_and_services):
    app, services = app_and_services
    body = b'{"ticket_id": "1", "pad": "' + b"x" * 8000 + b'"}'
    answer = app.test_client().post(
        "/webhooks/zendesk", data=body, headers=signed_headers(body, secret="nope")
    )
    assert answer.status_code == 401
    with services.db.transaction() as session:
        kept = session.scalars(select(RejectedDelivery)).one()
    assert len(kept.body) == 1024 and body.decode().startswith(kept.body)


def test_a_database_that_does_not_answer_gets_503_with_retry_after_and_zendesk_retries(database_url):
    """Nothing listens on port 1: every write fails as in an outage. Zendesk retries a 503 whose
    Retry-After is under a minute, so the delivery is delayed, never lost."""
    down = build_services(make_settings("postgresql+psycopg://postgres@127.0.0.1:1/test"))
    client = create_app(services=down).test_client()
    body = json.dumps({"ticket_id": "12", "event": "ticket.changed"}).encode()
    for headers in (signed_headers(body), signed_headers(body, secret="nope")):  # stored, and refused
        answer = client.post("/webhooks/zendesk", data=body, headers=headers)
        assert answer.status_code == 503, answer.data
        assert 0 < int(answer.headers["Retry-After"]) < 60
        assert "Retry in" in answer.json["error"]
    api = client.get("/api/v1/incidents", headers={"Authorization": "Bearer test-api-token"})
    assert api.status_code == 503 and 0 < int(api.headers["Retry-After"]) < 60
    assert "Try again in" in api.json["error"]
    down.db.dispose()
    # The database is back: the same delivery, retried by Zendesk, is stored.
    services = build_services(make_settings(database_url))
    client = create_app(services=services).test_client()
    assert client.post("/webhooks/zendesk", data=body, headers=signed_headers(body)).status_code == 200
    assert count(services, InboxDelivery) == 1
    services.db.dispose()
