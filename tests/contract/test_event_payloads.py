"""The product reads Zendesk's ticket events as the reference records them and as the sandbox
sends them, and both kinds of setup-zendesk installation agree with the sandbox's rules."""

import json

import pytest
from zenpy.lib.api_objects import Trigger

from integrations.zendesk.payloads import HANDLED_TICKET_EVENTS, PayloadFieldError, parse_event
from integrations.zendesk.setup import EVENT_SUBSCRIPTIONS, install
from service.settings import Settings, SettingsError
from tests.helpers import REFERENCE, needs_reference

EVENTS = REFERENCE / "zendesk" / "events"
COMPOSED = sorted(EVENTS.glob("ticket.*.COMPOSED.json")) if EVENTS.exists() else []


@needs_reference(EVENTS)
@pytest.mark.parametrize("path", COMPOSED, ids=lambda p: p.name.split(".COMPOSED")[0])
def test_every_reference_ticket_event_is_read(path):
    body = path.read_bytes()
    data = json.loads(body)
    event = parse_event(body, invocation_id="inv-1")
    short = data["type"].removeprefix("zen:event-type:")
    assert event.event_type == short
    assert event.ticket_id == int(data["detail"]["id"])
    assert event.actor_id == int(data["detail"]["actor_id"])
    assert event.delivery_key == f"event:{data['id']}"  # the event's id, not the invocation's
    assert event.handled == (short in HANDLED_TICKET_EVENTS)


def test_the_system_as_actor_is_no_one_and_a_bad_actor_id_is_refused():
    def body(actor):
        return json.dumps(
            {
                "type": "zen:event-type:ticket.status_changed",
                "id": "e1",
                "detail": {"id": "5", "actor_id": actor},
            }
        ).encode()

    assert parse_event(body("-1"), None).actor_id is None
    assert parse_event(body(None), None).actor_id is None
    with pytest.raises(PayloadFieldError, match="detail.actor_id must be a user id"):
        parse_event(body("robot"), None)


def test_install_of_either_kind_is_idempotent_and_the_own_user_is_known(sandbox, helpdesk):
    endpoint = "http://127.0.0.1:9/webhooks/zendesk"
    events = install(helpdesk.client, endpoint, kind="event")
    assert install(helpdesk.client, endpoint, kind="event") == events
    triggers = install(helpdesk.client, endpoint, kind="trigger")
    assert install(helpdesk.client, endpoint, kind="trigger") == triggers
    assert events.trigger_ids == () and len(triggers.trigger_ids) == 2
    with sandbox.state.lock:
        webhooks = sandbox.state.webhooks
        assert webhooks[events.webhook_id]["subscriptions"] == EVENT_SUBSCRIPTIONS
        assert webhooks[triggers.webhook_id]["subscriptions"] == ["conditional_ticket_events"]
        updates = sandbox.state.triggers[triggers.trigger_ids[1]]["conditions"]["all"]
        own = sandbox.state.admin_id
    assert {"field": "current_user", "operator": "is_not", "value": str(own)} in updates
    assert helpdesk.own_user_id() == own
    with pytest.raises(ValueError, match="webhook kind must be one of trigger, event"):
        install(helpdesk.client, endpoint, kind="webhook")


def test_an_installation_of_the_old_update_trigger_is_replaced_in_place(sandbox, helpdesk):
    endpoint = "http://127.0.0.1:9/webhooks/zendesk"
    first = install(helpdesk.client, endpoint)
    old = helpdesk.client.triggers(id=first.trigger_ids[1])
    old.title = "IncidentDesk: updated tickets (not through the API)"
    old.conditions = {"all": [{"field": "current_via_id", "operator": "is_not", "value": 5}], "any": []}
    helpdesk.client.triggers.update(Trigger(id=old.id, title=old.title, conditions=old.conditions))

    again = install(helpdesk.client, endpoint)
    assert again.trigger_ids == first.trigger_ids
    with sandbox.state.lock:
        replaced = sandbox.state.triggers[first.trigger_ids[1]]
        assert replaced["title"] == "IncidentDesk: updated tickets (not by IncidentDesk)"
        assert {"field": "current_via_id", "operator": "is_not", "value": 5} not in replaced["conditions"][
            "all"
        ]


def test_the_webhook_kind_setting_names_one_of_the_kinds():
    base = {"INCIDENTDESK_SECRET_KEY": "k" * 40}
    assert Settings.from_env(base).zendesk_webhook_kind == "trigger"
    assert Settings.from_env({**base, "ZENDESK_WEBHOOK_KIND": " Event "}).zendesk_webhook_kind == "event"
    with pytest.raises(
        SettingsError, match="ZENDESK_WEBHOOK_KIND must be one of trigger, event; got 'events'"
    ):
        Settings.from_env({**base, "ZENDESK_WEBHOOK_KIND": "events"})
