"""Install what IncidentDesk needs in a Zendesk account: a signed webhook of either kind.

``trigger``: a webhook connected to triggers, which send our own body (``BODY_TEMPLATE``) for new
tickets and for updates by anyone but IncidentDesk's own user (Zendesk's "current user is not"
condition, so other agents' and integrations' API updates still reach us). ``event``: a webhook
subscribed to the Zendesk ticket events the service handles; Zendesk cannot filter those by
actor, so the service itself sets aside the events of its own writes (``detail.actor_id``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from zenpy import Zenpy
from zenpy.lib.api_objects import Trigger, Webhook

from integrations.zendesk.payloads import HANDLED_TICKET_EVENTS

WEBHOOK_NAME = "IncidentDesk"
WEBHOOK_KINDS = ("trigger", "event")
TRIGGER_CONNECTED = "conditional_ticket_events"
EVENT_SUBSCRIPTIONS = sorted(f"zen:event-type:{name}" for name in HANDLED_TICKET_EVENTS)
NEW_TICKETS = "IncidentDesk: new tickets"
UPDATED_TICKETS = "IncidentDesk: updated tickets (not by IncidentDesk)"
# The title earlier versions installed (updates not through the API at all); replaced in place.
LEGACY_UPDATED_TICKETS = "IncidentDesk: updated tickets (not through the API)"
BODY_TEMPLATE = json.dumps(
    {
        "ticket_id": "{{ticket.id}}",
        "event": "ticket.changed",
        "updated_at": "{{ticket.updated_at_with_timestamp}}",
    }
)


def trigger_conditions(own_user_id: int) -> dict[str, dict]:
    """New tickets from anywhere; updates by anyone but ``own_user_id`` (IncidentDesk)."""
    return {
        NEW_TICKETS: {"all": [{"field": "update_type", "operator": "is", "value": "Create"}], "any": []},
        UPDATED_TICKETS: {
            "all": [
                {"field": "update_type", "operator": "is", "value": "Change"},
                {"field": "current_user", "operator": "is_not", "value": str(own_user_id)},
            ],
            "any": [],
        },
    }


@dataclass(frozen=True)
class Installation:
    webhook_id: str
    signing_secret: str
    trigger_ids: tuple[int, ...]  # none for an event webhook


def _find_webhook(client: Zenpy, endpoint: str, subscriptions: list[str]):
    """Ours for ``endpoint`` and of this kind (Zendesk cannot change a webhook's kind)."""
    for webhook in client.webhooks.list():
        is_trigger_connected = TRIGGER_CONNECTED in (webhook.subscriptions or [])
        if webhook.endpoint == endpoint and is_trigger_connected == (subscriptions == [TRIGGER_CONNECTED]):
            return webhook
    return None


def install(client: Zenpy, endpoint: str, kind: str = "trigger") -> Installation:
    """Idempotent: reuses the webhook of this kind for ``endpoint`` and the triggers by title."""
    if kind not in WEBHOOK_KINDS:
        raise ValueError(f"webhook kind must be one of {', '.join(WEBHOOK_KINDS)}, got {kind!r}")
    subscriptions = [TRIGGER_CONNECTED] if kind == "trigger" else EVENT_SUBSCRIPTIONS
    webhook = _find_webhook(client, endpoint, subscriptions)
    if webhook is None:
        webhook = client.webhooks.create(
            Webhook(
                name=WEBHOOK_NAME,
                endpoint=endpoint,
                http_method="POST",
                request_format="json",
                status="active",
                subscriptions=subscriptions,
            )
        )
    secret = client.webhooks.show_secret(webhook.id)
    secret_value = secret["secret"] if isinstance(secret, dict) else secret.secret
    trigger_ids = _install_triggers(client, webhook.id) if kind == "trigger" else ()
    return Installation(webhook_id=str(webhook.id), signing_secret=secret_value, trigger_ids=trigger_ids)


def _install_triggers(client: Zenpy, webhook_id: str) -> tuple[int, ...]:
    existing = {t.title: t for t in client.triggers()}
    conditions = trigger_conditions(int(client.users.me().id))
    actions = [{"field": "notification_webhook", "value": [webhook_id, BODY_TEMPLATE]}]
    legacy = existing.get(LEGACY_UPDATED_TICKETS)
    if legacy is not None and UPDATED_TICKETS not in existing:
        legacy.title, legacy.conditions = UPDATED_TICKETS, conditions[UPDATED_TICKETS]
        existing[UPDATED_TICKETS] = client.triggers.update(legacy)
    trigger_ids = []
    for title, wanted in conditions.items():
        trigger = existing.get(title)
        if trigger is None:
            trigger = client.triggers.create(Trigger(title=title, conditions=wanted, actions=actions))
        trigger_ids.append(int(trigger.id))
    return tuple(trigger_ids)
