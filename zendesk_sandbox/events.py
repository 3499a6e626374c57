"""Event-subscribed webhooks: Zendesk's ticket events, built from what one create or update did.

A webhook either subscribes to Zendesk events (``subscriptions`` lists event types such as
``zen:event-type:ticket.created``) or is connected to triggers (``conditional_ticket_events``),
never both. After each ticket change (``triggers.run`` calls ``emit`` with the change's audit,
trigger actions included) every active event webhook subscribed to one of the change's event
types gets one invocation per event, delivered by ``delivery.Deliverer`` like any other.

The envelope, the ``detail`` properties and the event names follow
``../shared/reference/zendesk/events/`` (see the sandbox README for addresses and what could
not be confirmed: the per-event ``event`` shapes, upper-case enum values and string ids come
from third-party captures). Call ``emit`` with ``state.lock`` held.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from .state import ACCOUNT_ID, SandboxState, parse_iso, ulid

Record = dict[str, Any]  # a sandbox record in Zendesk's JSON shape

PREFIX = "zen:event-type:"
TRIGGER_CONNECTED = "conditional_ticket_events"
EVENT_VERSION = "2022-11-06"
# Ticket events named by Zendesk's webhook and Integration Services pages (reference file
# ticket-event-types.json); the sandbox sends the ones marked in _CHANGE_EVENTS and "created".
TICKET_EVENTS = frozenset(
    {
        "agent_assignment_changed",
        "attachment_linked_to_comment",
        "attachment_redacted_from_comment",
        "brand_changed",
        "comment_added",
        "comment_made_private",
        "comment_redacted",
        "created",
        "custom_field_changed",
        "custom_status_changed",
        "description_changed",
        "email_ccs_changed",
        "external_id_changed",
        "followers_changed",
        "form_changed",
        "group_assignment_changed",
        "marked_as_spam",
        "merged",
        "organization_changed",
        "permanently_deleted",
        "priority_changed",
        "problem_link_changed",
        "requester_changed",
        "soft_deleted",
        "status_changed",
        "subject_changed",
        "submitter_changed",
        "tags_changed",
        "task_due_at_changed",
        "type_changed",
        "undeleted",
    }
)
# The other domains on the webhook event types page; their actions are not enumerated here.
OTHER_DOMAINS = frozenset(
    {"article", "community_post", "organization", "user", "agent_availability", "omnichannel_config"}
)
# Trial accounts: at most 10 webhooks and 60 invocations a minute (Zendesk's Webhooks API).
TRIAL_PLAN = "trial"
TRIAL_MAX_WEBHOOKS = 10
TRIAL_INVOCATIONS_PER_MINUTE = 60
_ACTION = re.compile(r"^[a-z][a-z_]{0,80}$")
# The audit's change of a ticket field -> the event it is, and whether its values are enums
# (written upper case) or ids (written as strings).
_CHANGE_EVENTS = {
    "status": ("status_changed", True),
    "priority": ("priority_changed", True),
    "type": ("type_changed", True),
    "subject": ("subject_changed", False),
    "problem_id": ("problem_link_changed", False),
    "assignee_id": ("agent_assignment_changed", False),
    "group_id": ("group_assignment_changed", False),
    "requester_id": ("requester_changed", False),
    "organization_id": ("organization_changed", False),
    "brand_id": ("brand_changed", False),
    "ticket_form_id": ("form_changed", False),
    "external_id": ("external_id_changed", False),
}


def unknown_event_types(subscriptions: list[Any]) -> list[Any]:
    """The subscriptions that name no Zendesk event type (``conditional_ticket_events`` aside)."""
    unknown = []
    for name in subscriptions:
        if name == TRIGGER_CONNECTED:
            continue
        domain, _, action = str(name).removeprefix(PREFIX).partition(".")
        known = (
            isinstance(name, str)
            and name.startswith(PREFIX)
            and (
                action in TICKET_EVENTS
                if domain == "ticket"
                else domain in OTHER_DOMAINS and bool(_ACTION.match(action))
            )
        )
        if not known:
            unknown.append(name)
    return unknown


def is_event_webhook(webhook: Record) -> bool:
    return TRIGGER_CONNECTED not in (webhook.get("subscriptions") or [])


def _id(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _enum(value: Any) -> str | None:
    return None if value in (None, "") else str(value).upper()


def detail(ticket: Record, actor_id: int | None) -> Record:
    """The ticket as event payloads carry it: ids as strings, enum values upper case."""
    return {
        "actor_id": _id(actor_id),
        "assignee_id": _id(ticket.get("assignee_id")),
        "brand_id": _id(ticket.get("brand_id")),
        "created_at": ticket["created_at"],
        "custom_status": _id(ticket.get("custom_status_id")),
        "description": ticket.get("description") or "",
        "external_id": _id(ticket.get("external_id")),
        "form_id": _id(ticket.get("ticket_form_id")),
        "group_id": _id(ticket.get("group_id")),
        "id": str(ticket["id"]),
        "is_public": bool(ticket.get("is_public")),
        "organization_id": _id(ticket.get("organization_id")),
        "priority": _enum(ticket.get("priority")),
        "requester_id": _id(ticket.get("requester_id")),
        "status": _enum(ticket.get("status")),
        "subject": ticket.get("subject") or "",
        "submitter_id": _id(ticket.get("submitter_id")),
        "tags": list(ticket.get("tags") or []),
        "type": _enum(ticket.get("type")),
        "updated_at": ticket["updated_at"],
        "via": {"channel": (ticket.get("via") or {}).get("channel")},
    }


def _comment(state: SandboxState, event: Record) -> Record:
    author = state.users.get(event.get("author_id"), {})
    return {
        "comment": {
            "author": {
                "id": _id(event.get("author_id")),
                "is_staff": author.get("role") in ("agent", "admin"),
                "name": author.get("name"),
            },
            "body": event.get("body"),
            "html_body": event.get("html_body"),
            "id": _id(event.get("id")),
            "is_public": bool(event.get("public")),
        }
    }


def _changes(state: SandboxState, audit: Record, created: bool) -> Iterator[tuple[str, Record]]:
    """(event name, event-specific keys) for what the audit records, in its order."""
    if created:
        yield "created", {}
    for event in audit["events"]:
        if event.get("type") == "Comment" and not created:
            yield "comment_added", _comment(state, event)
        if event.get("type") != "Change":
            continue
        field = event.get("field_name")
        if field == "tags":
            before = set((event.get("previous_value") or "").split())
            after = (event.get("value") or "").split()
            yield (
                "tags_changed",
                {
                    "tags_added": [t for t in after if t not in before],
                    "tags_removed": sorted(before - set(after)),
                },
            )
        elif field in _CHANGE_EVENTS:
            name, is_enum = _CHANGE_EVENTS[field]
            shown = _enum if is_enum else _id
            yield name, {"current": shown(event.get("value")), "previous": shown(event.get("previous_value"))}


def emit(state: SandboxState, ticket: Record, change: Record, audit: Record) -> None:
    """Queue the change's events for every active webhook subscribed to them."""
    webhooks = [w for w in state.webhooks.values() if w["status"] == "active" and is_event_webhook(w)]
    if not webhooks:
        return
    sequence = uuid.uuid4().hex[:16]
    created = change["update_type"] == "Create"
    body = detail(ticket, change.get("actor_id"))
    for position, (name, keys) in enumerate(_changes(state, audit, created), start=1):
        event_type = f"{PREFIX}ticket.{name}"
        envelope = {
            "account_id": ACCOUNT_ID,
            "detail": body,
            "event": {**keys, "meta": {"sequence": {"id": sequence, "position": position}}},
            "id": str(uuid.uuid4()),
            "subject": f"zen:ticket:{ticket['id']}",
            "time": state.now(),
            "type": event_type,
            "zendesk_event_version": EVENT_VERSION,
        }
        for webhook in webhooks:
            if event_type in webhook["subscriptions"]:
                _queue(state, webhook, ticket, envelope)


def _queue(state: SandboxState, webhook: Record, ticket: Record, envelope: Record) -> None:
    invocation = {
        "id": ulid(),
        "webhook_id": webhook["id"],
        "trigger_id": None,
        "event_type": envelope["type"],
        "event_id": envelope["id"],
        "ticket_id": ticket["id"],
        "body": json.dumps(envelope),
        "created_at": state.now(),
        "status": "queued",
        "attempts": 0,
    }
    enqueue(state, invocation)


def enqueue(state: SandboxState, invocation: Record) -> None:
    """Record an invocation and hand it to the deliverer; on a trial account one over the
    minute's limit ends unsent (what Zendesk does with it is not documented)."""
    state.invocations[invocation["id"]] = invocation
    if state.plan == TRIAL_PLAN and _invocations_last_minute(state) > TRIAL_INVOCATIONS_PER_MINUTE:
        invocation["status"] = "failed"
        invocation["error"] = f"trial account: over {TRIAL_INVOCATIONS_PER_MINUTE} invocations a minute"
        invocation["latest_completed_at"] = state.now()
        return
    state.delivery_queue.put(invocation["id"])


def _invocations_last_minute(state: SandboxState) -> int:
    since = time.time() - 60
    return sum(1 for i in state.invocations.values() if parse_iso(i["created_at"]) > since)
