"""Zendesk JSON (as zenpy hands it over) to the port's plain data, and back."""

from __future__ import annotations

import re
from datetime import datetime

from zenpy.lib.api_objects import Comment as ZenpyComment
from zenpy.lib.api_objects import Ticket as ZenpyTicket

from integrations.base import HelpdeskTicket, HelpdeskUser, JobItemResult, JobResult, TicketChange


def _parse_time(value: object) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def as_dict(obj: object) -> dict:
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return obj
    return obj.to_dict(serialize=False) if hasattr(obj, "to_dict") else dict(vars(obj))


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: object) -> str:
    """Customer text as any database can keep it: NUL (which PostgreSQL refuses in text) is
    dropped and a lone surrogate (which no UTF-8 encoder takes) becomes U+FFFD. Zendesk accepts
    both from its API and mail, so they arrive here."""
    text = "" if value is None else str(value)
    if _UNSTORABLE.search(text) is None:
        return text
    return _UNSTORABLE.sub(lambda bad: "" if bad.group(0) == "\x00" else "\ufffd", text)


def ticket_from_zendesk(data: dict) -> HelpdeskTicket:
    via = as_dict(data.get("via"))
    fields = {}
    for item in data.get("custom_fields") or []:
        item = as_dict(item)
        if item.get("id") is not None:
            value = item.get("value")
            fields[int(item["id"])] = storable(value) if isinstance(value, str) else value
    return HelpdeskTicket(
        id=int(data["id"]),
        subject=storable(data.get("subject")),
        description=storable(data.get("description")),
        status=data.get("status") or "new",
        requester_id=data.get("requester_id"),
        tags=tuple(storable(tag) for tag in data.get("tags") or ()),
        type=data.get("type"),
        problem_id=data.get("problem_id"),
        priority=data.get("priority"),
        channel=via.get("channel"),
        organization_id=data.get("organization_id"),
        brand_id=data.get("brand_id"),
        form_id=data.get("ticket_form_id"),
        external_id=data.get("external_id"),
        created_at=_parse_time(data.get("created_at")),
        updated_at=_parse_time(data.get("updated_at")),
        custom_fields=fields,
        is_public=data.get("is_public") is not False,
        assignee_id=data.get("assignee_id"),
        group_id=data.get("group_id"),
    )


def user_from_zendesk(data: dict) -> HelpdeskUser:
    return HelpdeskUser(
        id=int(data["id"]),
        name=storable(data.get("name")),
        email=storable(data["email"]) if data.get("email") else None,
        locale=data.get("locale") or "en",
        tags=tuple(data.get("tags") or ()),
        organization_id=data.get("organization_id"),
        role=data.get("role") or "end-user",
        created_at=_parse_time(data.get("created_at")),
        fields=dict(data.get("user_fields") or {}),
    )


def ticket_payload(change: TicketChange) -> ZenpyTicket:
    fields: dict[str, object] = {"id": change.ticket_id}
    if change.add_tags:
        fields["additional_tags"] = list(change.add_tags)
    if change.remove_tags:
        fields["remove_tags"] = list(change.remove_tags)
    for name in ("type", "problem_id", "priority", "status", "assignee_id", "group_id"):
        value = getattr(change, name)
        if value is not None:
            fields[name] = value
    if change.comment is not None:
        fields["comment"] = ZenpyComment(body=change.comment.body, public=change.comment.public)
    if change.macro_ids:
        fields["macro_ids"] = list(change.macro_ids)
    ticket = ZenpyTicket(**fields)
    if change.clear_problem:
        ticket.problem_id = None  # set after construction, so zenpy sends an explicit null
    return ticket


def job_from_zendesk(job: object) -> JobResult:
    data = as_dict(job)
    results = []
    for index, item in enumerate(data.get("results") or []):
        item = {k: v for k, v in as_dict(item).items() if v is not None}  # zenpy fills gaps with None
        parts = [str(item[k]) for k in ("error", "details", "errors") if item.get(k)]
        error = ": ".join(parts) or None
        success = bool(item.get("success", not error))
        results.append(
            JobItemResult(
                ticket_id=item.get("id"),
                success=success,
                error=str(error) if error and not success else None,
                index=item.get("index", index),
            )
        )
    return JobResult(
        id=str(data["id"]),
        status=str(data.get("status") or "queued"),
        results=tuple(results),
        message=data.get("message"),
    )
