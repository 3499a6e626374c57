"""Turn a Zendesk webhook body into the one event shape the service understands.

Two kinds arrive: trigger-connected webhooks with the body we install (``ticket_id`` and
``event``), and event-subscribed webhooks with Zendesk's fixed schema
(``type: zen:event-type:ticket.created``, ``detail.id``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

TICKET_EVENT_PREFIX = "zen:event-type:ticket."
# The ticket events the pipeline acts on: a new ticket, a customer's reply or an agent's edit,
# and an agent undoing a link (the tag or the problem link removed). Each only names the
# ticket: the pipeline reads it fresh, so whichever kind of webhook (or the reconciler) brings a
# change first, it is handled once.
HANDLED_TICKET_EVENTS = frozenset(
    {
        "ticket.created",
        "ticket.comment_added",
        "ticket.status_changed",
        "ticket.tags_changed",
        "ticket.problem_link_changed",
    }
)
# ... and the names in the bodies our triggers send.
HANDLED_EVENTS = HANDLED_TICKET_EVENTS | {"ticket.updated", "ticket.changed"}
# What the inbox's columns hold: ticket ids are 64-bit, event names 120 characters, and delivery
# keys 200 (the longest prefix, "trigger:", leaves 192 for Zendesk's id).
MAX_TICKET_ID = 2**63 - 1
MAX_EVENT_CHARS = 120
MAX_KEY_CHARS = 192
# Far deeper than anything Zendesk sends; deeper is refused before the parser recurses into it.
MAX_DEPTH = 32
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[][{}]")


class PayloadError(ValueError):
    """The body is not something Zendesk would send; the message says what is wrong."""


class PayloadFieldError(PayloadError):
    """The body reads as JSON, but one of its values cannot be used (answered with 422)."""


@dataclass(frozen=True)
class WebhookEvent:
    event_type: str  # "ticket.created", "ticket.updated", or what Zendesk named it
    ticket_id: int | None  # None for events we do not handle
    delivery_key: str  # unique per delivery: the same on Zendesk's retries
    actor_id: int | None = None  # who made the change, where the event says (event webhooks)

    @property
    def handled(self) -> bool:
        return self.ticket_id is not None and self.event_type in HANDLED_EVENTS


def _ticket_id(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise PayloadFieldError(f"ticket id must be a number, got {_shown(raw)}")
    try:
        value = int(str(raw).strip())
    except ValueError:  # includes numbers of more than 4,300 digits
        raise PayloadFieldError(f"ticket id must be a number, got {_shown(raw)}") from None
    if value <= 0:
        raise PayloadFieldError(f"ticket id must be positive, got {_shown(value)}")
    if value > MAX_TICKET_ID:
        raise PayloadFieldError(f"ticket id must be at most {MAX_TICKET_ID} (64 bits), got {_shown(value)}")
    return value


def _actor_id(raw: object) -> int | None:
    """``detail.actor_id``: a user id; absent, empty or Zendesk's system (``-1``) is no one."""
    if raw is None or raw == "" or str(raw).strip() == "-1":
        return None
    try:
        return _ticket_id(raw)
    except PayloadFieldError:
        raise PayloadFieldError(f"detail.actor_id must be a user id, got {_shown(raw)}") from None


def _shown(value: object, limit: int = 60) -> str:
    """A value quoted for a message: short, and printable whatever it holds."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _text(raw: object, what: str, limit: int) -> str:
    """A name or id the inbox stores: a string (or number) of at most ``limit`` characters of
    real text (no lone UTF-16 surrogates, no NUL, which no database column can hold)."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise PayloadFieldError(f"{what} must be a string, got {_shown(raw)}")
    text = str(raw)
    if len(text) > limit:
        raise PayloadFieldError(f"{what} must be at most {limit} characters, got {len(text)}")
    if "\x00" in text:
        raise PayloadFieldError(f"{what} contains a NUL character: {_shown(text)}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise PayloadFieldError(
            f"{what} contains a lone UTF-16 surrogate, which is not a character: {_shown(text)}"
        ) from None
    return text


def nesting_depth(text: str, stop_at: int | None = None) -> int:
    """How deeply arrays and objects nest, brackets inside strings ignored; no recursion."""
    depth = deepest = 0
    for bracket in _BRACKETS.finditer(_STRINGS.sub("", text)):
        depth = depth + 1 if bracket.group() in "[{" else depth - 1
        deepest = max(deepest, depth)
        if stop_at is not None and deepest >= stop_at:  # deep enough to refuse: stop counting
            break
    return deepest


def _load(body: bytes) -> object:
    try:
        text = body.decode(json.detect_encoding(body))  # UTF-8, or UTF-16/32 by their BOM, as json.loads
    except UnicodeDecodeError as exc:
        raise PayloadError(f"body is not valid JSON: not UTF-8 text ({exc})") from None
    too_deep = f"body nests arrays and objects more than {MAX_DEPTH} levels deep"
    if (
        text.count("[") + text.count("{") > MAX_DEPTH
        and nesting_depth(text, stop_at=MAX_DEPTH + 1) > MAX_DEPTH
    ):
        raise PayloadError(too_deep)
    try:
        return json.loads(text)
    except RecursionError:
        raise PayloadError(too_deep) from None
    except ValueError as exc:  # JSONDecodeError, or a number of more than 4,300 digits
        raise PayloadError(f"body is not valid JSON ({exc})") from None


def parse_event(body: bytes, invocation_id: str | None) -> WebhookEvent:
    """The event in ``body``; ``PayloadError`` when the body cannot be read,
    ``PayloadFieldError`` when a value in it (or the invocation id) cannot be used."""
    data = _load(body)
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object")
    if invocation_id is not None:
        invocation_id = _text(invocation_id, "the invocation id header", MAX_KEY_CHARS) or None
    body_hash = hashlib.sha256(body).hexdigest()

    event_type = data.get("type")
    if isinstance(event_type, str) and event_type.startswith("zen:event-type:"):
        short = _text(event_type.removeprefix("zen:event-type:"), "type", MAX_EVENT_CHARS)
        ticket_id = actor_id = None
        if event_type.startswith(TICKET_EVENT_PREFIX):
            detail = data.get("detail")
            if not isinstance(detail, dict) or "id" not in detail:
                raise PayloadError("ticket event without detail.id")
            ticket_id = _ticket_id(detail["id"])
            actor_id = _actor_id(detail.get("actor_id"))
        # The event's own id: unique per event and the same on Zendesk's retries.
        key = _text(data.get("id") or invocation_id or body_hash, "id", MAX_KEY_CHARS)
        return WebhookEvent(
            event_type=short, ticket_id=ticket_id, delivery_key=f"event:{key}", actor_id=actor_id
        )

    if "ticket_id" in data:
        ticket_id = _ticket_id(data["ticket_id"])
        name = _text(data.get("event") or "ticket.updated", "event", MAX_EVENT_CHARS)
        key = invocation_id or body_hash
        return WebhookEvent(event_type=name, ticket_id=ticket_id, delivery_key=f"trigger:{key}")

    key = invocation_id or body_hash
    name = _text(event_type or "unknown", "type", MAX_EVENT_CHARS)
    return WebhookEvent(event_type=name, ticket_id=None, delivery_key=f"other:{key}")
