"""Render a webhook body template: ``{{ticket.id}}``-style placeholders, JSON-escaped."""

from __future__ import annotations

import json
import re

from .dynamic_content import resolver
from .state import SandboxState

_PLACEHOLDER = re.compile(r"{{\s*([\w.]+)\s*}}")
_VIA_NAMES = {
    "api": "Web Service",
    "email": "Email",
    "web": "Web Form",
    "chat": "Chat",
    "voice": "Phone call (incoming)",
    "rule": "Trigger",
    "web_widget": "Web Widget",
    "messaging": "Messaging",
}


def _user_fields(user: dict | None, prefix: str) -> dict:
    user = user or {}
    name = user.get("name") or ""
    first, _, last = name.partition(" ")
    return {
        f"{prefix}.id": user.get("id", ""),
        f"{prefix}.name": name,
        f"{prefix}.first_name": first,
        f"{prefix}.last_name": last,
        f"{prefix}.email": user.get("email") or "",
        f"{prefix}.language": user.get("locale", ""),
        f"{prefix}.locale": user.get("locale", ""),
        f"{prefix}.external_id": user.get("external_id") or "",
        f"{prefix}.tags": " ".join(user.get("tags", [])),
    }


def ticket_values(state: SandboxState, ticket: dict, actor_id: int | None) -> dict:
    """Every placeholder the sandbox knows for this ticket, as ``name -> value``."""
    comments = state.comments.get(ticket["id"], [])
    public = [c for c in comments if c["public"]]
    org = state.organizations.get(ticket.get("organization_id")) or {}
    group = state.groups.get(ticket.get("group_id")) or {}
    host = state.base_url.split("://", 1)[-1]
    values = {
        "ticket.id": ticket["id"],
        "ticket.title": ticket["subject"],
        "ticket.description": ticket["description"],
        "ticket.status": ticket["status"].capitalize(),
        "ticket.ticket_type": (ticket["type"] or "").capitalize(),
        "ticket.priority": (ticket["priority"] or "").capitalize(),
        "ticket.tags": " ".join(ticket["tags"]),
        "ticket.via": _VIA_NAMES.get(ticket["via"]["channel"], ticket["via"]["channel"]),
        "ticket.external_id": ticket.get("external_id") or "",
        "ticket.url": f"{host}/agent/tickets/{ticket['id']}",
        "ticket.link": f"{state.base_url}/agent/tickets/{ticket['id']}",
        "ticket.created_at_with_timestamp": ticket["created_at"],
        "ticket.updated_at_with_timestamp": ticket["updated_at"],
        "ticket.organization.id": org.get("id", ""),
        "ticket.organization.name": org.get("name", ""),
        "ticket.group.name": group.get("name", ""),
        "ticket.latest_comment": comments[-1]["body"] if comments else "",
        "ticket.latest_public_comment": public[-1]["body"] if public else "",
        "ticket.account": "IncidentDesk Sandbox",
    }
    values["ticket.latest_comment.value"] = values["ticket.latest_comment"]
    values.update(_user_fields(state.users.get(ticket["requester_id"]), "ticket.requester"))
    values.update(_user_fields(state.users.get(ticket.get("assignee_id")), "ticket.assignee"))
    values.update(_user_fields(state.users.get(actor_id), "current_user"))
    for field_id, value in ticket["_custom"].items():
        values[f"ticket.ticket_field_{field_id}"] = "" if value is None else value
    return values


def render(template: str, values: dict, dynamic_content=None, json_escape: bool = True) -> str:
    """Substitute placeholders; unknown ones render empty, as Liquid does. With
    ``json_escape`` each value is escaped to sit inside a JSON string."""

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith("dc.") and dynamic_content is not None:
            # Placeholders inside the content's text are rendered as well (one level deep).
            value = render(str(dynamic_content(name[3:]) or ""), values, None, json_escape=False)
        else:
            value = values.get(name, "")
        text = str(value)
        return json.dumps(text, ensure_ascii=False)[1:-1] if json_escape else text

    return _PLACEHOLDER.sub(substitute, template)


def render_text(state: SandboxState, ticket: dict, actor_id: int | None, text: str) -> str:
    """Placeholders in a comment or macro text, rendered for ``ticket`` (no escaping)."""
    if "{{" not in text:
        return text
    values = ticket_values(state, ticket, actor_id)
    return render(text, values, resolver(state, state.users.get(ticket["requester_id"])), json_escape=False)
