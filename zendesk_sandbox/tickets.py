"""Ticket records: create, update, comments and audits, with Zendesk's rules.

Route modules and the bulk job worker both go through ``create_ticket`` and
``update_ticket`` so that every change, single or bulk, fires triggers the same way.
Call them with ``state.lock`` held.
"""

from __future__ import annotations

from . import comments, ticket_rules, triggers
from .common import ApiError, invalid, normalise_tags, not_found
from .locales import account_locale, locale_for_id, normalise_locale
from .state import SandboxState

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
TYPES = (None, "question", "incident", "problem", "task")
PRIORITIES = (None, "low", "normal", "high", "urgent")


def render(state: SandboxState, ticket: dict, base_url: str) -> dict:
    body = {k: v for k, v in ticket.items() if not k.startswith("_")}
    values = ticket["_custom"]
    fields = [{"id": fid, "value": values.get(fid)} for fid in sorted(state.ticket_fields)]
    body["custom_fields"] = fields
    body["fields"] = [dict(f) for f in fields]
    body["custom_status_id"] = state.custom_status_ids.get(ticket["status"])
    body["has_incidents"] = any(t.get("problem_id") == ticket["id"] for t in state.tickets.values())
    return {"url": f"{base_url}/api/v2/tickets/{ticket['id']}.json", **body}


def get(state: SandboxState, ticket_id: int) -> dict:
    ticket = state.tickets.get(ticket_id)
    if ticket is None:
        raise not_found()
    return ticket


def resolve_requester(state: SandboxState, data: dict, actor_id: int) -> int:
    if data.get("requester_id") is not None:
        if data["requester_id"] not in state.users:
            raise invalid("requester", "Requester: is invalid")
        return data["requester_id"]
    spec = data.get("requester")
    if isinstance(spec, dict) and (spec.get("email") or spec.get("name")):
        existing = state.user_by_email(spec.get("email"))
        if existing:
            return existing["id"]
        locale = spec.get("locale") or (locale_for_id(spec["locale_id"]) if spec.get("locale_id") else None)
        name = spec.get("name") or (spec.get("email") or "").split("@")[0]
        return state.add_user(
            name=name, email=spec.get("email"), locale=normalise_locale(locale, account_locale(state))
        )
    return actor_id


def _validate_fields(state: SandboxState, data: dict, current: dict | None) -> None:
    if "status" in data and data["status"] not in STATUSES:
        raise invalid("status", f"Status: {data['status']} is not a valid status")
    if "type" in data and data["type"] not in TYPES:
        raise invalid("type", f"Type: {data['type']} is not a valid type")
    if "priority" in data and data["priority"] not in PRIORITIES:
        raise invalid("priority", f"Priority: {data['priority']} is not a valid priority")
    assignee_id = data.get("assignee_id")
    if assignee_id is not None and (state.users.get(assignee_id) or {}).get("role") not in ("agent", "admin"):
        raise invalid("assignee", "Assignee: is invalid")
    if data.get("group_id") is not None and data["group_id"] not in state.groups:
        raise invalid("group", "Group: is invalid")
    problem_id = data.get("problem_id")
    if problem_id is not None:
        problem = state.tickets.get(problem_id)
        if problem is None or problem["type"] != "problem" or (current and problem_id == current["id"]):
            raise invalid("problem_id", "Problem: is invalid")


def _set_custom_fields(state: SandboxState, ticket: dict, items) -> list[dict]:
    """Store custom field values; a drop-down or multi-select value is also a tag."""
    events = []
    for item in items or []:
        if isinstance(item, dict) and "id" in item:
            previous = ticket["_custom"].get(item["id"])
            ticket["_custom"][item["id"]] = item.get("value")
            field = state.ticket_fields.get(item["id"]) or {}
            if field.get("type") in ("tagger", "multiselect"):
                option_tags = {o["value"] for o in field.get("custom_field_options", [])}
                chosen = item.get("value") or []
                chosen = chosen if isinstance(chosen, list) else [chosen]
                ticket["tags"] = [t for t in ticket["tags"] if t not in option_tags] + [
                    t for t in chosen if t in option_tags and t not in ticket["tags"]
                ]
            if previous != item.get("value"):
                events.append(comments.change_event(state, str(item["id"]), item.get("value"), previous))
    return events


def create_ticket(state: SandboxState, data: dict, actor_id: int, channel: str = "api") -> tuple[dict, dict]:
    comment_spec = comments.comment_from(data)
    if comment_spec is None and data.get("description"):
        comment_spec = {"body": data["description"]}
    if comment_spec is None:
        raise invalid("description", "Description: cannot be blank", "BlankValue")
    _validate_fields(state, data, None)
    via = data.get("via")
    channel = (via.get("channel") if isinstance(via, dict) else None) or channel
    requester_id = resolve_requester(state, data, actor_id)
    submitter_id = data.get("submitter_id") or comment_spec.get("author_id") or actor_id
    requester = state.users[requester_id]
    now = state.now()
    ticket_type = data.get("type")
    ticket = {
        "id": state.next_ticket_id(),
        "external_id": data.get("external_id"),
        "via": comments.via_block(channel),
        "created_at": now,
        "updated_at": now,
        "type": ticket_type,
        "subject": data.get("subject") or "",
        "raw_subject": data.get("subject") or "",
        "description": "",
        "priority": data.get("priority"),
        "status": data.get("status") or "new",
        "recipient": data.get("recipient"),
        "requester_id": requester_id,
        "submitter_id": submitter_id,
        "assignee_id": data.get("assignee_id"),
        "organization_id": data.get("organization_id") or requester.get("organization_id"),
        "group_id": data.get("group_id"),
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "forum_topic_id": None,
        "problem_id": data.get("problem_id") if ticket_type == "incident" else None,
        "has_incidents": False,
        "is_public": comment_spec.get("public") is not False,
        "due_at": data.get("due_at"),
        "tags": normalise_tags(data.get("tags")),
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "custom_status_id": None,
        "followup_ids": [],
        "ticket_form_id": data.get("ticket_form_id") or state.ticket_form_id,
        "brand_id": data.get("brand_id") or state.brand_id,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": channel in ("chat", "messaging"),
        "_custom": {},
        "_updates": [],
    }
    state.tickets[ticket["id"]] = ticket
    _set_custom_fields(state, ticket, data.get("custom_fields"))
    audit = comments.new_audit(state, ticket, submitter_id, channel, now)
    comment = comments.add_comment(state, ticket, comment_spec, submitter_id, audit["id"], channel, now)
    ticket["description"] = comment["plain_body"]
    audit["events"].append(comments.comment_event(comment))
    for name in ("subject", "requester_id", "priority", "type", "status", "tags"):
        audit["events"].append(
            {
                "id": state.next_id(),
                "type": "Create",
                "field_name": name,
                "value": comments.event_value(ticket[name]),
            }
        )
    triggers.run(
        state,
        ticket,
        {
            "update_type": "Create",
            "previous": {},
            "comment": comment,
            "channel": channel,
            "actor_id": actor_id,
        },
        audit,
    )
    return ticket, audit


_PLAIN_FIELDS = (
    "subject",
    "status",
    "type",
    "priority",
    "problem_id",
    "external_id",
    "assignee_id",
    "group_id",
    "organization_id",
    "requester_id",
    "due_at",
    "ticket_form_id",
    "brand_id",
)


def update_ticket(
    state: SandboxState,
    ticket_id: int,
    data: dict,
    actor_id: int,
    channel: str = "api",
    *,
    merge: bool = False,
) -> tuple[dict, dict]:
    """Apply ``data`` to the ticket, or refuse it whole as Zendesk does (``ticket_rules``).
    ``merge``: the merge job closing a source, which Zendesk does whatever the source lacks."""
    ticket = get(state, ticket_id)
    ticket_rules.check_closed(ticket, data)
    if data.get("safe_update") and data.get("updated_stamp") not in (None, ticket["updated_at"]):
        raise ApiError(
            409,
            {
                "error": "UpdateConflict",
                "description": "Safe Update prevented "
                "the update due to outdated ticket data. Please fetch the latest "
                "ticket data and try again.",
            },
        )
    _validate_fields(state, data, ticket)
    if data.get("requester_id") is not None and data["requester_id"] not in state.users:
        raise invalid("requester", "Requester: is invalid")
    ticket_rules.check_status_and_priority(ticket, data)
    if not merge:
        data = ticket_rules.prepare_solve(state, ticket, data, actor_id)
    previous = {k: ticket[k] for k in ("status", "type", "priority", "problem_id", "subject")}
    previous["tags"] = list(ticket["tags"])
    now = state.now()
    audit = comments.new_audit(state, ticket, actor_id, channel, now)
    events = audit["events"]
    for name in _PLAIN_FIELDS:
        if name in data and data[name] != ticket[name]:
            events.append(comments.change_event(state, name, data[name], ticket[name]))
            ticket[name] = data[name]
    if "subject" in data:
        ticket["raw_subject"] = ticket["subject"]
    if ticket["type"] != "incident":
        ticket["problem_id"] = None
    tags = normalise_tags(data["tags"]) if "tags" in data else list(ticket["tags"])
    tags += [t for t in normalise_tags(data.get("additional_tags")) if t not in tags]
    removed = set(normalise_tags(data.get("remove_tags")))
    tags = [t for t in tags if t not in removed]
    if tags != ticket["tags"]:
        events.append(comments.change_event(state, "tags", tags, ticket["tags"]))
        ticket["tags"] = tags
    events.extend(_set_custom_fields(state, ticket, data.get("custom_fields")))
    comment = None
    comment_spec = comments.comment_from(data)
    if comment_spec is not None:
        comment = comments.add_comment(state, ticket, comment_spec, actor_id, audit["id"], channel, now)
        events.insert(0, comments.comment_event(comment))
    for macro_id in data.get("macro_ids") or []:  # recorded in the audit, nothing applied
        macro = state.macros.get(macro_id)
        if macro is not None:
            events.append(
                {
                    "id": state.next_id(),
                    "type": "AgentMacroReference",
                    "macro_id": str(macro_id),
                    "macro_title": macro["title"],
                    "macro_deleted": False,
                }
            )
    if "status" not in data and ticket["status"] == "new" and ticket.get("assignee_id"):
        ticket["status"] = "open"
        events.append(comments.change_event(state, "status", "open", "new"))
    ticket["updated_at"] = now
    triggers.run(
        state,
        ticket,
        {
            "update_type": "Change",
            "previous": previous,
            "comment": comment,
            "channel": channel,
            "actor_id": actor_id,
        },
        audit,
    )
    if previous["status"] != "solved" and ticket["status"] == "solved" and ticket["type"] == "problem":
        _solve_incidents(state, ticket, comment_spec, actor_id, channel)
    return ticket, audit


def _solve_incidents(state, problem: dict, comment_spec: dict | None, actor_id: int, channel: str) -> None:
    """Solving a problem ticket solves its open incidents with the same comment."""
    for incident in list(state.tickets.values()):
        if incident.get("problem_id") == problem["id"] and incident["status"] not in ("solved", "closed"):
            change = {"status": "solved"}
            if comment_spec is not None:
                change["comment"] = dict(comment_spec)
            try:
                update_ticket(state, incident["id"], change, actor_id, channel)
            except ApiError:  # e.g. no assignee while the account does not assign on solve
                continue
