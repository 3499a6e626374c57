"""Install what IncidentDesk needs in a Zendesk account: a signed webhook and the trigger feeding it."""
from __future__ import annotations

import json
from dataclasses import dataclass

from zenpy import Zenpy
from zenpy.lib.api_objects import Trigger, Webhook

WEBHOOK_NAME = "IncidentDesk"
TRIGGER_TITLE = "IncidentDesk: send new and updated tickets"
BODY_TEMPLATE = json.dumps({
    "ticket_id": "{{ticket.id}}",
    "event": "ticket.changed",
    "updated_at": "{{ticket.updated_at_with_timestamp}}",
})


@dataclass(frozen=True)
class Installation:
    webhook_id: str
    signing_secret: str
    trigger_id: int


def _find_webhook(client: Zenpy, endpoint: str):
    for webhook in client.webhooks.list():
        if webhook.endpoint == endpoint:
            return webhook
    return None


def install(client: Zenpy, endpoint: str) -> Installation:
    """Idempotent: reuses the webhook for ``endpoint`` and the trigger by title when present."""
    webhook = _find_webhook(client, endpoint)
    if webhook is None:
        webhook = client.webhooks.create(Webhook(
            name=WEBHOOK_NAME, endpoint=endpoint, http_method="POST", request_format="json",
            status="active", subscriptions=["conditional_ticket_events"]))
    secret = client.webhooks.show_secret(webhook.id)
    secret_value = secret["secret"] if isinstance(secret, dict) else secret.secret

    trigger = next((t for t in client.triggers() if t.title == TRIGGER_TITLE), None)
    if trigger is None:
        trigger = client.triggers.create(Trigger(
            title=TRIGGER_TITLE,
            conditions={"all": [], "any": [
                {"field": "update_type", "operator": "is", "value": "Create"},
                {"field": "update_type", "operator": "is", "value": "Change"},
            ]},
            actions=[{"field": "notification_webhook", "value": [webhook.id, BODY_TEMPLATE]}],
        ))
    return Installation(webhook_id=str(webhook.id), signing_secret=secret_value, trigger_id=int(trigger.id))
