"""Turn a Zendesk webhook body into the one event shape the service understands.

Two kinds arrive: trigger-connected webhooks with the body we install (``ticket_id`` and
``event``), and event-subscribed webhooks with Zendesk's fixed schema
(``type: zen:event-type:ticket.created``, ``detail.id``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

TICKET_EVENT_PREFIX = "zen:event-type:ticket."
HANDLED_EVENTS = frozenset({"ticket.created", "ticket.updated", "ticket.changed"})


class PayloadError(ValueError):
    """The body is not something Zendesk would send; the message says what is wrong."""


@dataclass(frozen=True)
class WebhookEvent:
    event_type: str  # "ticket.created", "ticket.updated", or what Zendesk named it
    ticket_id: int | None  # None for events we do not handle
    delivery_key: str  # unique per delivery: the same on Zendesk's retries

    @property
    def handled(self) -> bool:
        return self.ticket_id is not None and self.event_type in HANDLED_EVENTS


def _ticket_id(raw: object) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise PayloadError(f"ticket id must be a number, got {raw!r}") from None
    if value <= 0:
        raise PayloadError(f"ticket id must be positive, got {value}")
    return value


def parse_event(body: bytes, invocation_id: str | None) -> WebhookEvent:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"body is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object")
    body_hash = hashlib.sha256(body).hexdigest()

    event_type = data.get("type")
    if isinstance(event_type, str) and event_type.startswith("zen:event-type:"):
        short = event_type.removeprefix("zen:event-type:")
        ticket_id = None
        if event_type.startswith(TICKET_EVENT_PREFIX):
            detail = data.get("detail")
            if not isinstance(detail, dict) or "id" not in detail:
                raise PayloadError("ticket event without detail.id")
            ticket_id = _ticket_id(detail["id"])
        key = str(data.get("id") or invocation_id or body_hash)
        return WebhookEvent(event_type=short, ticket_id=ticket_id, delivery_key=f"event:{key}")

    if "ticket_id" in data:
        ticket_id = _ticket_id(data["ticket_id"])
        name = str(data.get("event") or "ticket.updated")
        key = invocation_id or body_hash
        return WebhookEvent(event_type=name, ticket_id=ticket_id, delivery_key=f"trigger:{key}")

    key = invocation_id or body_hash
    return WebhookEvent(event_type=str(event_type or "unknown"), ticket_id=None, delivery_key=f"other:{key}")
