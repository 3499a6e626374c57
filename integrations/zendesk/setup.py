"""Install what IncidentDesk needs in a Zendesk account: a signed webhook and the triggers feeding it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from zenpy import Zenpy
from zenpy.lib.api_objects import Trigger, Webhook

WEBHOOK_NAME = "IncidentDesk"
API_VIA_ID = 5  # Zendesk's via id for "Web service (API)"
# New tickets from anywhere; updates from anywhere but the API, so IncidentDesk's own writes do
# not echo back (customers' replies by e-mail and agents' edits in Zendesk still reach us).
TRIGGERS = {
    "IncidentDesk: new tickets": {
        "all": [{"field": "update_type", "operator": "is", "value": "Create"}],
        "any": [],
    },
    "IncidentDesk: updated tickets (not through the API)": {
        "all": [
            {"field": "update_type", "operator": "is", "value": "Change"},
            {"field": "current_via_id", "operator": "is_not", "value": API_VIA_ID},
        ],
        "any": [],
    },
}
BODY_TEMPLATE = json.dumps(
    {
        "ticket_id": "{{ticket.id}}",
        "event": "ticket.changed",
        "updated_at": "{{ticket.updated_at_with_timestamp}}",
    }
)


@dataclass(frozen=True)
class Installation:
    webhook_id: str
    signing_secret: str
    trigger_ids: tuple[int, ...]


def _find_webhook(client: Zenpy, endpoint: str):
    for webhook in client.webhooks.list():
        if webhook.endpoint == endpoint:
            return webhook
    return None


def install(client: Zenpy, endpoint: str) -> Installation:
    """Idempotent: reuses the webhook for ``endpoint`` and the trigger by title when present."""
    webhook = _find_webhook(client, endpoint)
    if webhook is None:
        webhook = client.webhooks.create(
            Webhook(
                name=WEBHOOK_NAME,
                endpoint=endpoint,
                http_method="POST",
                request_format="json",
                status="active",
                subscriptions=["conditional_ticket_events"],
            )
        )
    secret = client.webhooks.show_secret(webhook.id)
    secret_value = secret["secret"] if isinstance(secret, dict) else secret.secret

    existing = {t.title: t for t in client.triggers()}
    trigger_ids = []
    for title, conditions in TRIGGERS.items():
        trigger = existing.get(title)
        if trigger is None:
            trigger = client.triggers.create(
                Trigger(
                    title=title,
                    conditions=conditions,
                    actions=[{"field": "notification_webhook", "value": [webhook.id, BODY_TEMPLATE]}],
                )
            )
        trigger_ids.append(int(trigger.id))
    return Installation(
        webhook_id=str(webhook.id), signing_secret=secret_value, trigger_ids=tuple(trigger_ids)
    )
