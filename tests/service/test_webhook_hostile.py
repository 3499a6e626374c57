"""Hostile but correctly signed webhook bodies: every one is a 4xx that says what to fix, never a
500, on SQLite and on PostgreSQL (whose columns and text type are the stricter ones)."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from integrations.zendesk.signature import sign
from service.models import InboxDelivery, RejectedDelivery
from tests.service.test_webhook_endpoint import SECRET, app_and_services, signed_headers  # noqa: F401

DEEP = ("[" * 1000 + "]" * 1000).encode()
DEEP_IN_OBJECT = ('{"ticket_id": 1, "x": ' + "[" * 5000 + "]" * 5000 + "}").encode()
LONE_SURROGATE = "\\ud800"  # as JSON writes it: the parser turns it into one unpaired surrogate


def _raw(text: str) -> bytes:
    return text.encode()


HOSTILE = {
    "deeply nested array": (DEEP, 400, "levels deep"),
    "deeply nested value": (DEEP_IN_OBJECT, 400, "levels deep"),
    "ticket_id above 64 bits": (
        _raw('{"ticket_id": 9223372036854775808}'),
        422,
        "at most 9223372036854775807",
    ),
    "ticket_id as a huge string": (_raw('{"ticket_id": "' + "9" * 40 + '"}'), 422, "at most"),
    "ticket_id of 5000 digits": (_raw('{"ticket_id": ' + "9" * 5000 + "}"), 400, "4300 digits"),
    "ticket_id as an object": (_raw('{"ticket_id": {"a": 1}}'), 422, "must be a number"),
    "ticket_id true": (_raw('{"ticket_id": true}'), 422, "must be a number"),
    "detail.id above 64 bits": (
        _raw('{"type": "zen:event-type:ticket.created", "detail": {"id": "18446744073709551616"}}'),
        422,
        "at most",
    ),
    "lone surrogate in event": (
        _raw('{"ticket_id": 5, "event": "ticket.' + LONE_SURROGATE + '"}'),
        422,
        "surrogate",
    ),
    "NUL in event": (_raw('{"ticket_id": 5, "event": "ticket.\\u0000x"}'), 422, "NUL"),
    "event of 121 characters": (_raw(json.dumps({"ticket_id": 5, "event": "e" * 121})), 422, "at most 120"),
    "event as a list": (_raw('{"ticket_id": 5, "event": ["a"]}'), 422, "must be a string"),
    "lone surrogate in id": (
        _raw(
            '{"type": "zen:event-type:ticket.created", "id": "a' + LONE_SURROGATE + '", "detail": {"id": 5}}'
        ),
        422,
        "surrogate",
    ),
    "id of 193 characters": (
        _raw(json.dumps({"type": "zen:event-type:ticket.created", "id": "i" * 193, "detail": {"id": 5}})),
        422,
        "at most 192",
    ),
    "type of 200 characters": (
        _raw(json.dumps({"type": "zen:event-type:" + "t" * 200, "id": "x"})),
        422,
        "at most 120",
    ),
    "lone surrogate in an unhandled type": (_raw('{"type": "x' + LONE_SURROGATE + '"}'), 422, "surrogate"),
    "not UTF-8": (b'{"ticket_id": "\xff"}', 400, "UTF-8"),
}


def _post(app, body: bytes, **header_overrides):
    headers = {**signed_headers(body), **header_overrides}
    return app.test_client().post("/webhooks/zendesk", data=body, headers=headers)


def _count(services, model):
    with services.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_signed_bodies_get_a_4xx_that_says_what_to_fix(app_and_services, case):  # noqa: F811
    app, services = app_and_services
    body, status, message = HOSTILE[case]
    answer = _post(app, body)
    assert answer.status_code == status, answer.get_data(as_text=True)[:300]
    assert message in answer.json["error"]
    assert _count(services, InboxDelivery) == 0
    assert _count(services, RejectedDelivery) == 1  # kept for inspection, as other refusals are


def test_an_invocation_id_longer_than_the_column_is_refused(app_and_services):  # noqa: F811
    app, services = app_and_services
    body = b'{"ticket_id": 5}'
    answer = _post(app, body, **{"X-Zendesk-Webhook-Invocation-Id": "v" * 193})
    assert answer.status_code == 422 and "invocation id" in answer.json["error"]
    longest = _post(app, body, **{"X-Zendesk-Webhook-Invocation-Id": "v" * 192})
    assert longest.status_code == 200 and _count(services, InboxDelivery) == 1


def test_the_longest_values_that_fit_are_stored(app_and_services):  # noqa: F811
    app, services = app_and_services
    body = json.dumps({"ticket_id": 2**63 - 1, "event": "e" * 120}).encode()
    assert _post(app, body).status_code == 200
    event = json.dumps({"type": "zen:event-type:ticket.created", "id": "i" * 192, "detail": {"id": 7}})
    assert _post(app, event.encode()).status_code == 200
    with services.db.transaction() as session:
        rows = session.execute(select(InboxDelivery.ticket_id, InboxDelivery.event_type)).all()
    assert sorted(rows) == [(7, "ticket.created"), (2**63 - 1, "e" * 120)]


@pytest.mark.parametrize("stamp", ["1" * 30, "9" * 12, "99999-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00"])
def test_absurd_signature_timestamps_are_a_401(app_and_services, stamp):  # noqa: F811
    app, services = app_and_services
    body = b'{"ticket_id": 5}'
    headers = {
        "X-Zendesk-Webhook-Signature": sign(SECRET, stamp, body),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "Content-Type": "application/json",
    }
    answer = app.test_client().post("/webhooks/zendesk", data=body, headers=headers)
    assert answer.status_code == 401 and "timestamp" in answer.json["error"].lower()
    assert _count(services, InboxDelivery) == 0


def test_half_a_megabyte_of_brackets_is_refused_quickly(app_and_services):  # noqa: F811
    app, _ = app_and_services
    body = ("[" * 200_000).encode()
    started = datetime.now(UTC)
    answer = _post(app, body)
    assert answer.status_code == 400 and "levels deep" in answer.json["error"]
    assert (datetime.now(UTC) - started).total_seconds() < 5
