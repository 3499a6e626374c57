"""Event-subscribed webhooks: Zendesk's ticket events in its envelope, what is refused, and the
trigger condition "current user is not"."""

import base64
import hashlib
import hmac
import json

import pytest
import requests

from tests.helpers import REFERENCE, needs_reference
from zendesk_sandbox import DEMO_API_TOKEN

from .conftest import wait_for

EVENTS = REFERENCE / "zendesk" / "events"
ALL_HANDLED = [
    "zen:event-type:ticket.created",
    "zen:event-type:ticket.comment_added",
    "zen:event-type:ticket.status_changed",
    "zen:event-type:ticket.tags_changed",
    "zen:event-type:ticket.problem_link_changed",
]


def _create_webhook(api, sandbox, **spec):
    body = {"name": "Events", "endpoint": "http://127.0.0.1:9/hook", "status": "active", **spec}
    return api.post(f"{sandbox.url}/api/v2/webhooks", json={"webhook": body})


def _event_webhook(api, sandbox, endpoint, subscriptions=ALL_HANDLED):
    answer = _create_webhook(api, sandbox, endpoint=endpoint, subscriptions=subscriptions)
    assert answer.status_code == 201, answer.text
    return answer.json()["webhook"]


def _ticket(api, sandbox, body="checkout fails", **extra):
    spec = {"subject": "Help", "comment": {"body": body}, **extra}
    answer = api.post(f"{sandbox.url}/api/v2/tickets.json", json={"ticket": spec})
    assert answer.status_code == 201, answer.text
    return answer.json()["ticket"]


def _events(receiver, count):
    wait_for(lambda: len(receiver.requests) >= count)
    return sorted(
        (json.loads(r["body"]) for r in receiver.requests),
        key=lambda e: e["event"]["meta"]["sequence"]["position"],
    )


def _other_agent(sandbox, email="bot@other-integration.test"):
    """Another agent (an integration's user) with its own API session."""
    with sandbox.state.lock:
        user_id = sandbox.state.add_user(name="Other integration", email=email, role="agent")
    session = requests.Session()
    session.trust_env = False
    session.auth = (f"{email}/token", DEMO_API_TOKEN)
    return user_id, session


@needs_reference(EVENTS)
def test_a_new_ticket_sends_ticket_created_in_zendesks_envelope_signed(api, sandbox, receiver):
    hook = _event_webhook(api, sandbox, receiver.url)
    secret = api.get(f"{sandbox.url}/api/v2/webhooks/{hook['id']}/signing_secret").json()["signing_secret"]
    ticket = _ticket(api, sandbox, tags=["web"], priority="high")

    (event,) = _events(receiver, 1)
    reference = json.loads((EVENTS / "ticket.created.COMPOSED.json").read_text())
    assert set(event) == set(reference)
    assert set(event["detail"]) == set(reference["detail"])
    assert event["type"] == "zen:event-type:ticket.created"
    assert event["subject"] == f"zen:ticket:{ticket['id']}"
    assert event["zendesk_event_version"] == "2022-11-06"
    assert event["detail"]["id"] == str(ticket["id"])
    assert event["detail"]["actor_id"] == str(sandbox.state.admin_id)
    assert (event["detail"]["status"], event["detail"]["priority"]) == ("NEW", "HIGH")
    assert event["detail"]["tags"] == ["web"]
    assert event["event"] == {
        "meta": {"sequence": {"id": event["event"]["meta"]["sequence"]["id"], "position": 1}}
    }

    headers, body = receiver.requests[0]["headers"], receiver.requests[0]["body"]
    assert receiver.requests[0]["method"] == "POST"
    assert headers["X-Zendesk-Webhook-Id"] == hook["id"]
    signed = headers["X-Zendesk-Webhook-Signature-Timestamp"] + body
    digest = hmac.new(secret["secret"].encode(), signed.encode(), hashlib.sha256).digest()
    assert headers["X-Zendesk-Webhook-Signature"] == base64.b64encode(digest).decode()


def test_one_update_sends_one_event_per_change_sharing_a_sequence(api, sandbox, receiver):
    problem = _ticket(api, sandbox, type="problem")
    ticket = _ticket(api, sandbox, tags=["web"])
    _event_webhook(api, sandbox, receiver.url)
    update = {
        "comment": {"body": "We are on it", "public": True},
        "status": "open",
        "type": "incident",
        "problem_id": problem["id"],
        "additional_tags": ["incident_checkout"],
        "remove_tags": ["web"],
    }
    answer = api.put(f"{sandbox.url}/api/v2/tickets/{ticket['id']}.json", json={"ticket": update})
    assert answer.status_code == 200, answer.text

    events = _events(receiver, 4)
    assert [e["type"].rsplit(".", 1)[1] for e in events] == [
        "comment_added",
        "status_changed",
        "problem_link_changed",
        "tags_changed",
    ]  # type_changed happened too, but this webhook does not subscribe to it
    assert len({e["event"]["meta"]["sequence"]["id"] for e in events}) == 1
    assert len({e["id"] for e in events}) == 4
    comment, status, link, tags = (e["event"] for e in events)
    assert comment["comment"]["body"] == "We are on it"
    assert comment["comment"]["is_public"] is True
    assert comment["comment"]["author"]["is_staff"] is True
    assert (status["current"], status["previous"]) == ("OPEN", "NEW")
    assert (link["current"], link["previous"]) == (str(problem["id"]), None)
    assert (tags["tags_added"], tags["tags_removed"]) == (["incident_checkout"], ["web"])
    assert all(e["detail"]["type"] == "INCIDENT" for e in events)


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ({"subscriptions": ["zen:event-type:ticket.updated"]}, "Unknown event type"),
        ({"subscriptions": ["zen:event-type:spaceship.launched"]}, "Unknown event type"),
        ({"subscriptions": ["ticket.created"]}, "Unknown event type"),
        ({"subscriptions": ALL_HANDLED, "http_method": "PUT"}, "must use http_method POST"),
        ({"subscriptions": ALL_HANDLED, "request_format": "xml"}, "request_format json"),
        ({"subscriptions": ["conditional_ticket_events", *ALL_HANDLED]}, "cannot be combined"),
        ({"subscriptions": ["conditional_ticket_events"], "http_method": "FETCH"}, "http_method must be"),
        ({"subscriptions": "zen:event-type:ticket.created"}, "must be a list"),
    ],
)
def test_what_zendesk_refuses_in_a_webhook(api, sandbox, spec, says):
    answer = _create_webhook(api, sandbox, **spec)
    assert answer.status_code == 400, answer.text
    (error,) = answer.json()["errors"]
    assert error["code"] == "InvalidInput"
    assert says in error["detail"]
    assert sandbox.state.webhooks == {}


def test_a_trigger_cannot_target_an_event_webhook_nor_a_webhook_change_its_kind(api, sandbox):
    hook = _event_webhook(api, sandbox, "http://127.0.0.1:9/hook")
    trigger = {
        "title": "Notify",
        "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}]},
        "actions": [{"field": "notification_webhook", "value": [hook["id"], "{}"]}],
    }
    answer = api.post(f"{sandbox.url}/api/v2/triggers.json", json={"trigger": trigger})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "RecordInvalid"
    (detail,) = answer.json()["details"]["actions"]
    assert "subscribed to Zendesk events" in detail["description"]
    assert sandbox.state.triggers == {}

    answer = api.patch(
        f"{sandbox.url}/api/v2/webhooks/{hook['id']}",
        json={"webhook": {"subscriptions": ["conditional_ticket_events"]}},
    )
    assert answer.status_code == 400, answer.text
    assert "connection method cannot be changed" in answer.json()["errors"][0]["detail"]
    assert sandbox.state.webhooks[hook["id"]]["subscriptions"] == ALL_HANDLED


def test_current_user_is_not_skips_only_that_users_updates(api, sandbox, receiver):
    """IncidentDesk's update trigger: other agents' and integrations' API updates are sent."""
    hook = api.post(
        f"{sandbox.url}/api/v2/webhooks",
        json={
            "webhook": {
                "name": "Triggers",
                "endpoint": receiver.url,
                "status": "active",
                "subscriptions": ["conditional_ticket_events"],
            }
        },
    ).json()["webhook"]
    me = str(sandbox.state.admin_id)
    trigger = {
        "title": "Updates not by me",
        "conditions": {
            "all": [
                {"field": "update_type", "operator": "is", "value": "Change"},
                {"field": "current_user", "operator": "is_not", "value": me},
            ]
        },
        "actions": [{"field": "notification_webhook", "value": [hook["id"], '{"id": "{{ticket.id}}"}']}],
    }
    assert api.post(f"{sandbox.url}/api/v2/triggers.json", json={"trigger": trigger}).status_code == 201
    ticket = _ticket(api, sandbox)
    _, other = _other_agent(sandbox)

    mine = api.put(f"{sandbox.url}/api/v2/tickets/{ticket['id']}.json", json={"ticket": {"tags": ["a"]}})
    theirs = other.put(f"{sandbox.url}/api/v2/tickets/{ticket['id']}.json", json={"ticket": {"tags": ["b"]}})
    assert (mine.status_code, theirs.status_code) == (200, 200)

    wait_for(lambda: receiver.requests)
    wait_for(lambda: all(i["status"] != "queued" for i in sandbox.state.invocations.values()))
    assert [json.loads(r["body"]) for r in receiver.requests] == [{"id": str(ticket["id"])}]
    assert len(sandbox.state.invocations) == 1


def test_events_name_the_updating_user_as_actor(api, sandbox, receiver):
    ticket = _ticket(api, sandbox)
    _event_webhook(api, sandbox, receiver.url, subscriptions=["zen:event-type:ticket.tags_changed"])
    other_id, other = _other_agent(sandbox)
    answer = other.put(f"{sandbox.url}/api/v2/tickets/{ticket['id']}.json", json={"ticket": {"tags": ["b"]}})
    assert answer.status_code == 200, answer.text
    (event,) = _events(receiver, 1)
    assert event["detail"]["actor_id"] == str(other_id)
    assert event["event"]["tags_added"] == ["b"]


@pytest.fixture
def trial(sandbox):
    answer = requests.post(f"{sandbox.url}/_sandbox/limits", json={"plan": "trial"}, timeout=5)
    assert answer.status_code == 200 and answer.json()["plan"] == "trial", answer.text
    yield sandbox
    requests.post(f"{sandbox.url}/_sandbox/limits", json={"plan": "enterprise"}, timeout=5)


def test_a_trial_account_has_ten_webhooks_and_sixty_invocations_a_minute(api, trial, receiver):
    for n in range(9):
        assert _create_webhook(api, trial, name=f"hook {n}", subscriptions=ALL_HANDLED).status_code == 201
    _event_webhook(api, trial, receiver.url, subscriptions=["zen:event-type:ticket.created"])
    eleventh = _create_webhook(api, trial, name="one too many", subscriptions=ALL_HANDLED)
    assert eleventh.status_code == 403, eleventh.text
    assert "at most 10 webhooks" in eleventh.json()["errors"][0]["detail"]

    with trial.state.lock:  # the other nine point nowhere: keep only the receiver's
        for webhook in list(trial.state.webhooks.values()):
            if webhook["endpoint"] != receiver.url:
                webhook["status"] = "inactive"
    for n in range(61):
        _ticket(api, trial, body=f"question {n}")
    wait_for(lambda: len(receiver.requests) >= 60, timeout=30)
    with trial.state.lock:
        outcomes = [i.get("error") for i in trial.state.invocations.values()]
    assert outcomes.count(None) == 60
    assert outcomes.count("trial account: over 60 invocations a minute") == 1
    assert len(receiver.requests) == 60
