import json

import pytest

from integrations.zendesk.payloads import PayloadError, parse_event


def test_trigger_body_gives_ticket_and_invocation_key():
    event = parse_event(b'{"ticket_id": "42", "event": "ticket.changed"}', "01HANA2B5D")
    assert (event.ticket_id, event.event_type, event.delivery_key) == (
        42,
        "ticket.changed",
        "trigger:01HANA2B5D",
    )
    assert event.handled


def test_event_subscription_body_uses_event_id():
    body = json.dumps({"type": "zen:event-type:ticket.created", "id": "b369", "detail": {"id": "7"}}).encode()
    event = parse_event(body, None)
    assert (event.ticket_id, event.event_type, event.delivery_key) == (7, "ticket.created", "event:b369")


def test_unknown_event_is_parsed_but_not_handled():
    body = json.dumps({"type": "zen:event-type:user.deleted", "id": "x", "detail": {"id": "1"}}).encode()
    event = parse_event(body, "inv")
    assert not event.handled and event.ticket_id is None


def test_same_body_without_invocation_id_gets_the_same_key():
    body = b'{"ticket_id": 5, "updated_at": "2026-11-22T10:00:00Z"}'
    assert parse_event(body, None).delivery_key == parse_event(body, None).delivery_key
    assert (
        parse_event(body, None).delivery_key
        != parse_event(body.replace(b"10:00", b"10:01"), None).delivery_key
    )


@pytest.mark.parametrize(
    "body, message",
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"ticket_id": "abc"}', "must be a number"),
        (b'{"ticket_id": -3}', "positive"),
        (b'{"type": "zen:event-type:ticket.created", "detail": {}}', "detail.id"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_malformed_bodies_say_what_is_wrong(body, message):
    with pytest.raises(PayloadError, match=message):
        parse_event(body, None)
