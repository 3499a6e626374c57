"""Trigger evaluation: after each ticket create or update, matching active triggers fire.

Like Zendesk, triggers are checked in ``position`` order; when one fires its actions change
the ticket and the cycle starts again, each trigger firing at most once per update.
Webhook notifications are rendered from the final ticket and queued for asynchronous
delivery, and so are the change's events for event-subscribed webhooks (``events``).
Call ``run`` with ``state.lock`` held.
"""

from __future__ import annotations

import json

from . import events, placeholders
from .comments import change_event
from .common import normalise_tags
from .dynamic_content import resolver
from .state import SandboxState, ulid

VIA_IDS = {
    "web": 0,
    "email": 4,
    "api": 5,
    "web_widget": 17,
    "twitter": 23,
    "chat": 29,
    "voice": 34,
    "mobile_sdk": 46,
    "messaging": 73,
    "rule": 8,
}
_STATUS_ORDER = {"new": 0, "open": 1, "pending": 2, "hold": 3, "solved": 4, "closed": 5}
_FIELD_MAP = {"ticket_type_id": "type", "priority_id": "priority", "status_id": "status"}


def _words(value) -> list[str]:
    return str(value or "").lower().split()


def _via_matches(channel: str, value) -> bool:
    """``value`` is a Zendesk via id (``4``, ``"4"``) or, in the sandbox, a channel name."""
    if isinstance(value, str) and not value.isdigit():
        return value == channel
    try:
        return VIA_IDS.get(channel) == int(value)
    except (TypeError, ValueError):
        return False


def _compare(current, op: str, value, previous=None, was_set=False) -> bool:
    if op == "is":
        return current == value
    if op == "is_not":
        return current != value
    if op == "changed":
        return was_set and current != previous
    if op == "not_changed":
        return not was_set or current == previous
    if op == "value":  # "changed to"
        return was_set and current != previous and current == value
    if op == "value_previous":  # "changed from"
        return was_set and current != previous and previous == value
    if op == "not_value":
        return not (was_set and current != previous and current == value)
    if op == "not_value_previous":
        return not (was_set and current != previous and previous == value)
    if op in ("less_than", "greater_than") and current in _STATUS_ORDER and value in _STATUS_ORDER:
        diff = _STATUS_ORDER[current] - _STATUS_ORDER[value]
        return diff < 0 if op == "less_than" else diff > 0
    return False


def condition_holds(cond: dict, ticket: dict, change: dict, state: SandboxState) -> bool:
    field = _FIELD_MAP.get(cond.get("field"), cond.get("field"))
    op = cond.get("operator", "is")
    value = cond.get("value")
    comment = change.get("comment")
    if field == "update_type":
        return (change["update_type"] == value) == (op == "is")
    if field in ("current_tags", "tags"):
        wanted = set(_words(value))
        present = bool(wanted & set(ticket["tags"]))
        return present if op == "includes" else not present
    if field in ("via_id", "current_via_id", "via"):
        channel = ticket["via"]["channel"] if field == "via_id" else change["channel"]
        hit = _via_matches(channel, value)
        return hit if op == "is" else not hit
    if field == "comment_is_public":
        if value in ("not_relevant", None):
            return True
        public = bool(comment and comment["public"])
        return public == (value in (True, "true"))
    if field == "comment_includes_word":
        text = (comment or {}).get("body", "").lower()
        if op in ("is", "is_not"):
            hit = str(value).lower() in text
        else:
            hit = bool(set(_words(value)) & set(text.split()))
        return hit if op in ("includes", "is") else not hit
    if field == "current_user":  # the user making the update: a user id (is / is_not)
        hit = str(change.get("actor_id")) == str(value)
        return hit if op == "is" else not hit
    if field == "role":
        role = state.users.get(change.get("actor_id"), {}).get("role", "end-user")
        role = "end_user" if role == "end-user" else "agent"
        return (role == value) == (op == "is")
    if value in ("", None) and op in ("is", "is_not") and field in ("type", "priority"):
        value = None
    previous = change["previous"]
    current = ticket.get(field)
    if isinstance(current, int) and isinstance(value, str) and value.isdigit():
        value = int(value)
    return _compare(current, op, value, previous.get(field), field in previous)


def matches(trigger: dict, ticket: dict, change: dict, state: SandboxState) -> bool:
    conditions = trigger.get("conditions") or {}
    all_ok = all(condition_holds(c, ticket, change, state) for c in conditions.get("all") or [])
    any_list = conditions.get("any") or []
    any_ok = not any_list or any(condition_holds(c, ticket, change, state) for c in any_list)
    return all_ok and any_ok


def _apply_action(
    state: SandboxState, ticket: dict, action: dict, notifications: list, trigger: dict
) -> dict | None:
    """Apply one action; returns an audit event for ticket changes."""
    field, value = action.get("field"), action.get("value")
    before = list(ticket["tags"])
    if field == "notification_webhook":
        notifications.append((trigger, value))
        return None
    if field == "set_tags":
        ticket["tags"] = normalise_tags(value)
    elif field == "current_tags":
        ticket["tags"] += [t for t in normalise_tags(value) if t not in ticket["tags"]]
    elif field == "remove_tags":
        drop = set(normalise_tags(value))
        ticket["tags"] = [t for t in ticket["tags"] if t not in drop]
    elif field in ("status", "type", "priority", "group_id", "assignee_id"):
        previous = ticket.get(field)
        ticket[field] = value or None
        if previous == ticket[field]:
            return None
        return {**change_event(state, field, ticket[field], previous), "via": _rule_via(trigger)}
    else:
        return None
    if before == ticket["tags"]:
        return None
    return {**change_event(state, "tags", ticket["tags"], before), "via": _rule_via(trigger)}


def _rule_via(trigger: dict) -> dict:
    return {
        "channel": "rule",
        "source": {
            "to": {},
            "from": {"id": trigger["id"], "title": trigger["title"], "deleted": False},
            "rel": "trigger",
        },
    }


def run(state: SandboxState, ticket: dict, change: dict, audit: dict) -> list[int]:
    """Fire matching triggers for one ticket change; returns the ids of those that fired."""
    fired: list[int] = []
    notifications: list = []
    active = sorted(
        (t for t in state.triggers.values() if t["active"]), key=lambda t: (t["position"], t["id"])
    )
    restart = True
    while restart:
        restart = False
        for trigger in active:
            if trigger["id"] in fired or not matches(trigger, ticket, change, state):
                continue
            fired.append(trigger["id"])
            for action in trigger.get("actions") or []:
                event = _apply_action(state, ticket, action, notifications, trigger)
                if event is not None:
                    audit["events"].append(event)
            restart = True
            break
    if notifications:
        values = placeholders.ticket_values(state, ticket, change.get("actor_id"))
        for trigger, value in notifications:
            _queue_invocation(state, trigger, ticket, value, values)
    events.emit(state, ticket, change, audit)
    return fired


def _queue_invocation(state: SandboxState, trigger: dict, ticket: dict, value, values) -> None:
    if isinstance(value, list) and value:
        webhook_id, template = value[0], value[1] if len(value) > 1 else ""
    else:
        webhook_id, template = value, ""
    webhook = state.webhooks.get(str(webhook_id))
    if webhook is None or webhook["status"] != "active" or events.is_event_webhook(webhook):
        return
    if isinstance(template, (dict, list)):
        template = json.dumps(template)
    body = placeholders.render(
        template or "", values, resolver(state, state.users.get(ticket["requester_id"]))
    )
    invocation = {
        "id": ulid(),
        "webhook_id": webhook["id"],
        "trigger_id": trigger["id"],
        "ticket_id": ticket["id"],
        "body": body,
        "created_at": state.now(),
        "status": "queued",
        "attempts": 0,
    }
    events.enqueue(state, invocation)
