"""What a change leaves on a ticket: comments (body, HTML, placeholders) and audits
with their events, in Zendesk's shapes."""

from __future__ import annotations

import html
import re

from flask import has_request_context, request

from . import placeholders
from .state import SandboxState


def event_value(value):
    """Audit event values are strings, as Zendesk writes them (ids too; tags space-separated)."""
    if value is None:
        return None
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def change_event(state: SandboxState, field: str, value, previous) -> dict:
    return {
        "id": state.next_id(),
        "type": "Change",
        "field_name": field,
        "value": event_value(value),
        "previous_value": event_value(previous),
    }


def via_block(channel: str) -> dict:
    return {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}}


def html_body(text: str) -> str:
    paragraphs = [p for p in text.split("\n\n") if p.strip()] or [""]
    inner = "".join('<p dir="auto">' + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
    return f'<div class="zd-comment" dir="auto">{inner}</div>'


def _plain_from_html(markup: str) -> str:
    text = re.sub(r"<br\s*/?>", "\n", markup)
    text = re.sub(r"</p>\s*<p[^>]*>", "\n\n", text)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def comment_from(data: dict) -> dict | None:
    comment = data.get("comment")
    if isinstance(comment, str):
        comment = {"body": comment}
    if not isinstance(comment, dict):
        return None
    if not (comment.get("body") or comment.get("html_body")):
        return None
    return comment


def add_comment(
    state: SandboxState, ticket: dict, spec: dict, author_id: int, audit_id: int, channel: str, now: str
) -> dict:
    if spec.get("html_body"):
        markup = placeholders.render_text(state, ticket, author_id, spec["html_body"])
        plain = _plain_from_html(markup)
    else:
        plain = placeholders.render_text(state, ticket, author_id, str(spec["body"]))
        markup = html_body(plain)
    comment = {
        "id": state.next_id(),
        "type": "Comment",
        "author_id": spec.get("author_id") or author_id,
        "body": plain,
        "html_body": markup,
        "plain_body": plain,
        "public": spec.get("public") is not False,
        "attachments": [],
        "audit_id": audit_id,
        "via": via_block(channel),
        "created_at": now,
        "metadata": {"system": {}, "custom": {}},
    }
    state.comments.setdefault(ticket["id"], []).append(comment)
    return comment


def _client_metadata() -> dict:
    """Zendesk records the caller's client and address on each audit."""
    if not has_request_context():
        return {}
    return {
        "client": request.headers.get("User-Agent", ""),
        "ip_address": request.remote_addr,
        "location": "Sandbox",
        "latitude": 0.0,
        "longitude": 0.0,
    }


def new_audit(state: SandboxState, ticket: dict, author_id: int, channel: str, now: str) -> dict:
    audit = {
        "id": state.next_id(),
        "ticket_id": ticket["id"],
        "created_at": now,
        "author_id": author_id,
        "metadata": {"system": _client_metadata(), "custom": {}},
        "events": [],
        "via": via_block(channel),
    }
    state.audits.setdefault(ticket["id"], []).append(audit)
    return audit


def comment_event(comment: dict) -> dict:
    return {
        k: comment[k]
        for k in (
            "id",
            "type",
            "author_id",
            "body",
            "html_body",
            "plain_body",
            "public",
            "attachments",
            "audit_id",
        )
    }
