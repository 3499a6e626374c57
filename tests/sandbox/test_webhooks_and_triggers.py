"""Webhooks API shapes, triggers firing signed deliveries, retries, duplicates, shuffling."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from zenpy.lib.api_objects import Comment, Ticket, User

from .conftest import wait_for

TEMPLATE = json.dumps(
    {
        "ticket_id": "{{ticket.id}}",
        "title": "{{ticket.title}}",
        "status": "{{ticket.status}}",
        "tags": "{{ticket.tags}}",
        "updated": "{{ticket.updated_at_with_timestamp}}",
        "email": "{{ticket.requester.email}}",
    }
)


def _webhook(api, sandbox, endpoint, **extra):
    spec = {
        "name": "IncidentDesk",
        "endpoint": endpoint,
        "http_method": "POST",
        "request_format": "json",
        "status": "active",
        "subscriptions": ["conditional_ticket_events"],
        **extra,
    }
    resp = api.post(f"{sandbox.url}/api/v2/webhooks", json={"webhook": spec})
    assert resp.status_code == 201
    return resp.json()["webhook"]


def _trigger(api, sandbox, webhook_id, conditions=None, template=TEMPLATE, extra_actions=()):
    spec = {
        "title": "Notify IncidentDesk",
        "conditions": conditions
        or {"all": [{"field": "update_type", "operator": "is", "value": "Create"}], "any": []},
        "actions": [{"field": "notification_webhook", "value": [webhook_id, template]}, *extra_actions],
    }
    resp = api.post(f"{sandbox.url}/api/v2/triggers.json", json={"trigger": spec})
    assert resp.status_code == 201, resp.text
    return resp.json()["trigger"]


def _secret(api, sandbox, webhook_id):
    resp = api.get(f"{sandbox.url}/api/v2/webhooks/{webhook_id}/signing_secret")
    assert resp.status_code == 200
    return resp.json()["signing_secret"]


def test_webhook_crud_and_signing_secret_shapes(api, sandbox):
    hook = _webhook(
        api,
        sandbox,
        "https://example.com/hook",
        authentication={
            "type": "basic_auth",
            "add_position": "header",
            "data": {"username": "u", "password": "p"},
        },
    )
    assert len(hook["id"]) == 26 and hook["status"] == "active"
    assert hook["authentication"] == {
        "type": "basic_auth",
        "data": {"username": "u"},
        "add_position": "header",
    }
    listed = api.get(f"{sandbox.url}/api/v2/webhooks").json()
    assert listed["meta"] == {"has_more": False} and [w["id"] for w in listed["webhooks"]] == [hook["id"]]
    assert (
        api.patch(
            f"{sandbox.url}/api/v2/webhooks/{hook['id']}", json={"webhook": {"name": "Renamed"}}
        ).status_code
        == 204
    )
    shown = api.get(f"{sandbox.url}/api/v2/webhooks/{hook['id']}").json()["webhook"]
    assert shown["name"] == "Renamed" and "updated_at" in shown
    secret = _secret(api, sandbox, hook["id"])
    assert secret["algorithm"] == "SHA256" and len(secret["secret"]) == 44
    reset = api.post(f"{sandbox.url}/api/v2/webhooks/{hook['id']}/signing_secret")
    assert reset.status_code == 201 and reset.json()["signing_secret"]["secret"] != secret["secret"]
    assert api.delete(f"{sandbox.url}/api/v2/webhooks/{hook['id']}").status_code == 204
    missing = api.get(f"{sandbox.url}/api/v2/webhooks/{hook['id']}")
    assert missing.status_code == 404 and "errors" in missing.json()


def test_trigger_fires_signed_delivery_with_zendesk_headers(api, sandbox, zd, receiver):
    hook = _webhook(api, sandbox, receiver.url)
    _trigger(api, sandbox, hook["id"])
    secret = _secret(api, sandbox, hook["id"])["secret"]
    ticket = zd.tickets.create(
        Ticket(
            subject='He said "checkout" fails\n',
            comment=Comment(body="x"),
            requester=User(name="Ivan", email="ivan@example.bg", locale="bg"),
            tags=["a", "b"],
        )
    ).ticket
    got = wait_for(lambda: receiver.requests)[0]
    headers, body = got["headers"], got["body"]
    assert headers["User-Agent"] == "Zendesk Webhook"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["X-Zendesk-Webhook-Id"] == hook["id"]
    assert headers["X-Zendesk-Account-Id"].isdigit()
    assert len(headers["X-Zendesk-Webhook-Invocation-Id"]) == 26
    timestamp = headers["X-Zendesk-Webhook-Signature-Timestamp"]
    expected = base64.b64encode(
        hmac.new(secret.encode(), (timestamp + body).encode(), hashlib.sha256).digest()
    ).decode()
    assert headers["X-Zendesk-Webhook-Signature"] == expected
    payload = json.loads(body)
    assert payload == {
        "ticket_id": str(ticket.id),
        "title": 'He said "checkout" fails\n',
        "status": "New",
        "tags": "a b",
        "updated": sandbox.state.tickets[ticket.id]["updated_at"],
        "email": "ivan@example.bg",
    }


def test_trigger_conditions_filter_and_actions_tag(api, sandbox, zd, receiver):
    hook = _webhook(api, sandbox, receiver.url)
    conditions = {
        "all": [
            {"field": "update_type", "operator": "is", "value": "Change"},
            {"field": "current_tags", "operator": "not_includes", "value": "seen"},
        ],
        "any": [{"field": "status", "operator": "less_than", "value": "solved"}],
    }
    _trigger(
        api,
        sandbox,
        hook["id"],
        conditions,
        '{"id": {{ticket.id}}}',
        [{"field": "current_tags", "value": "seen"}],
    )
    ticket = zd.tickets.create(Ticket(subject="s", comment=Comment(body="b"))).ticket
    ticket.priority = "high"
    audit = zd.tickets.update(ticket)
    assert "seen" in audit.ticket.tags
    ticket.priority = "low"
    zd.tickets.update(ticket)  # tagged "seen" now: does not fire again
    wait_for(lambda: receiver.requests)
    with sandbox.state.lock:
        assert len(sandbox.state.invocations) == 1
    assert json.loads(receiver.requests[0]["body"]) == {"id": ticket.id}


def test_bulk_updates_fire_triggers(api, sandbox, zd, receiver):
    hook = _webhook(api, sandbox, receiver.url)
    _trigger(
        api,
        sandbox,
        hook["id"],
        {"all": [{"field": "update_type", "operator": "is", "value": "Change"}]},
        '{"id": {{ticket.id}}}',
    )
    ids = [zd.tickets.create(Ticket(subject="s", description="d")).ticket.id for _ in range(3)]
    api.put(
        f"{sandbox.url}/api/v2/tickets/update_many?ids={','.join(map(str, ids))}",
        json={"ticket": {"additional_tags": ["x"]}},
    )
    wait_for(lambda: len(receiver.requests) == 3)
    assert sorted(json.loads(r["body"])["id"] for r in receiver.requests) == ids


def test_409_is_retried_three_times_with_the_same_invocation_id(api, sandbox, zd, receiver):
    receiver.statuses = [409, 409, 409, 409, 409]
    hook = _webhook(api, sandbox, receiver.url)
    _trigger(api, sandbox, hook["id"])
    zd.tickets.create(Ticket(subject="s", description="d"))
    wait_for(
        lambda: (
            len(sandbox.state.deliveries) == 4
            and next(iter(sandbox.state.invocations.values()))["status"] == "failed"
        )
    )
    ids = {r["headers"]["X-Zendesk-Webhook-Invocation-Id"] for r in receiver.requests}
    assert len(receiver.requests) == 4 and len(ids) == 1
    log = api.get(f"{sandbox.url}/_sandbox/webhook_deliveries").json()["deliveries"]
    assert [d["status"] for d in log] == [409] * 4 and [d["attempt"] for d in log] == [1, 2, 3, 4]


@pytest.mark.parametrize("status", [500, 502, 504])
def test_500_and_other_server_errors_are_not_retried(api, sandbox, zd, receiver, status):
    receiver.statuses = [status]
    hook = _webhook(api, sandbox, receiver.url)
    _trigger(api, sandbox, hook["id"])
    zd.tickets.create(Ticket(subject="s", description="d"))
    wait_for(lambda: next(iter(sandbox.state.invocations.values()))["status"] == "failed")
    assert len(receiver.requests) == 1


def test_429_and_503_are_retried_only_with_a_short_retry_after(api, sandbox, zd, receiver):
    receiver.statuses = [
        (503, {"Retry-After": "1"}, 0),
        (429, {"Retry-After": "0"}, 0),
        (503, {"Retry-After": "120"}, 0),
    ]
    api.post(f"{sandbox.url}/_sandbox/webhook_options", json={"max_retry_after_seconds": 0.05})
    hook = _webhook(api, sandbox, receiver.url)
    _trigger(api, sandbox, hook["id"])
    zd.tickets.create(Ticket(subject="s", description="d"))
    wait_for(lambda: next(iter(sandbox.state.invocations.values()))["status"] == "failed")
    assert [d["status"] for d in sandbox.state.deliveries] == [503, 429, 503]


def test_429_and_503_retries_are_capped_at_three(api, sandbox, zd, receiver):
    receiver.statuses = [(503, {"Retry-After": "0"}, 0), (429, {"Retry-After": "0"}, 0)] * 3
    hook = _webhook(api, sandbox, receiver.url)
    _trigger(api, sandbox, hook["id"])
    zd.tickets.create(Ticket(subject="s", description="d"))
    wait_for(lambda: next(iter(sandbox.state.invocations.values()))["status"] == "failed")
    log = sandbox.state.deliveries
    assert [d["status"] for d in log] == [503, 429, 503, 429] and [d["attempt"] for d in log] == [1, 2, 3, 4]
    assert len(receiver.requests) == 4


def test_timeouts_are_retried_up_to_five_times(api, sandbox, zd, receiver):
    receiver.statuses = [(200, {}, 0.3)] * 6
    api.post(f"{sandbox.url}/_sandbox/webhook_options", json={"timeout_seconds": 0.05})
    hook = _webhook(api, sandbox, receiver.url)
    _trigger(api, sandbox, hook["id"])
    zd.tickets.create(Ticket(subject="s", description="d"))
    wait_for(lambda: next(iter(sandbox.state.invocations.values()))["status"] == "failed")
    log = sandbox.state.deliveries
    assert len(log) == 6 and all(d["status"] is None and d["error"] == "timeout" for d in log)


def test_duplicate_option_sends_an_invocation_twice(api, sandbox, zd, receiver):
    api.post(f"{sandbox.url}/_sandbox/webhook_options", json={"duplicate": True})
    hook = _webhook(api, sandbox, receiver.url)
    _trigger(api, sandbox, hook["id"])
    zd.tickets.create(Ticket(subject="s", description="d"))
    wait_for(lambda: len(receiver.requests) == 2)
    ids = {r["headers"]["X-Zendesk-Webhook-Invocation-Id"] for r in receiver.requests}
    assert len(ids) == 1


def test_shuffle_option_can_reorder_deliveries(api, sandbox, zd, receiver):
    api.post(f"{sandbox.url}/_sandbox/webhook_options", json={"shuffle": True, "shuffle_window_ms": 300})
    hook = _webhook(api, sandbox, receiver.url)
    _trigger(api, sandbox, hook["id"], template='{"id": {{ticket.id}}}')
    job = zd.tickets.create([Ticket(subject=str(i), description="d") for i in range(12)])
    wait_for(lambda: len(receiver.requests) == 12)
    order = [json.loads(r["body"])["id"] for r in receiver.requests]
    assert sorted(order) == list(range(1, 13)) and order != sorted(order)
    assert job.id


def test_install_flow_through_zenpy(sandbox, zd, receiver):
    """What IncidentDesk's setup does: webhook, its secret, a trigger; then a ticket."""
    from zenpy.lib.api_objects import Trigger, Webhook

    hook = zd.webhooks.create(
        Webhook(
            name="IncidentDesk",
            endpoint=receiver.url,
            http_method="POST",
            request_format="json",
            status="active",
            subscriptions=["conditional_ticket_events"],
        )
    )
    assert [w.id for w in zd.webhooks.list()] == [hook.id]
    secret = zd.webhooks.show_secret(hook.id).secret
    zd.triggers.create(
        Trigger(
            title="IncidentDesk",
            conditions={"all": [{"field": "update_type", "operator": "is", "value": "Create"}], "any": []},
            actions=[{"field": "notification_webhook", "value": [hook.id, '{"id": "{{ticket.id}}"}']}],
        )
    )
    ticket = zd.tickets.create(Ticket(subject="s", description="d")).ticket
    got = wait_for(lambda: receiver.requests)[0]
    timestamp = got["headers"]["X-Zendesk-Webhook-Signature-Timestamp"]
    expected = base64.b64encode(
        hmac.new(secret.encode(), (timestamp + got["body"]).encode(), hashlib.sha256).digest()
    ).decode()
    assert got["headers"]["X-Zendesk-Webhook-Signature"] == expected
    assert json.loads(got["body"]) == {"id": str(ticket.id)}
    assert zd.webhooks.reset_secret(hook.id).secret != secret
    zd.webhooks.delete(hook)
    assert list(zd.webhooks.list()) == []


def test_circuit_breaker_is_on_by_default_and_stops_sending_to_a_failing_endpoint(api, sandbox, zd, receiver):
    receiver.statuses = [500] * 4
    api.post(
        f"{sandbox.url}/_sandbox/webhook_options",
        json={"circuit_min_attempts": 4, "circuit_open_seconds": 0.3},
    )
    hook = _webhook(api, sandbox, receiver.url)
    _trigger(api, sandbox, hook["id"], template='{"id": {{ticket.id}}}')
    for n in range(4):
        zd.tickets.create(Ticket(subject=str(n), description="d"))
        wait_for(lambda n=n: len(receiver.requests) == n + 1)
    broken = zd.tickets.create(Ticket(subject="while open", description="d")).ticket
    states = lambda: {i["ticket_id"]: i["status"] for i in sandbox.state.invocations.values()}  # noqa: E731
    wait_for(lambda: states().get(broken.id) == "circuit broken")
    assert len(receiver.requests) == 4
    time.sleep(0.3)  # the circuit stays open this long
    later = zd.tickets.create(Ticket(subject="after", description="d")).ticket
    wait_for(lambda: states().get(later.id) == "success")
