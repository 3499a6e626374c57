"""Vendor payloads read into one shape, ``SourceEvent``: which vendor incident, what stage, what
public text. Only what customers may read is taken (titles, public update texts); responders'
notes are not.

Sources of the shapes (recorded in ../shared/reference/incident-tools/):
- PagerDuty v3: https://developer.pagerduty.com/docs/webhooks-overview (envelope ``event`` with
  ``id``, ``event_type``, ``data``; ``X-Webhook-Id`` repeats on every retry).
- incident.io: the ``x-webhooks`` of its OpenAPI document (``{"event_type": t, t: {...}}``), and
  https://api-docs.incident.io/tag/Webhooks/ (``webhook-id`` is the idempotency key).
- Atlassian Statuspage: https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/
  (``incident`` with ``incident_updates`` newest first; ``component_update`` for components).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from service.domain.errors import InvalidInput
from service.domain.text.locales import customer_locale

MAX_TITLE = 200
MAX_TEXT = 5000


class SourceKind(StrEnum):
    PAGERDUTY = "pagerduty"
    INCIDENT_IO = "incident_io"
    STATUSPAGE = "statuspage"
    GENERIC = "generic"


class PayloadRefused(InvalidInput):
    """The body cannot be read as this source's payload; the message says what to fix."""


@dataclass(frozen=True)
class SourceEvent:
    delivery_key: str  # unique per delivery within the source (the vendor's id for it)
    event_type: str
    handled: bool = True  # False: stored as ignored (a ping, a note, a maintenance, ...)
    external_id: str = ""
    title: str = ""
    stage: str | None = None  # investigating | identified | monitoring | resolved; None: unchanged
    text: str | None = None  # the vendor's public words for this update
    locale: str | None = None  # set by senders that say which language they wrote in
    scopes: tuple[str, ...] = ()  # service, component, page or severity the event concerns
    sent_at: datetime | None = None  # the generic sender's signed time (bounds replays)
    happened_at: datetime | None = None  # the vendor's time of the change: older ones arrive late
    reopens: bool = False  # the vendor reopened a resolved incident


def read_json(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PayloadRefused("The body is not JSON in UTF-8; send the vendor's JSON unchanged.") from None
    if not isinstance(parsed, dict):
        raise PayloadRefused("The body is not a JSON object.")
    return parsed


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadRefused(f"'{where}' must be an object.")
    return value


def _maybe_object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object, where: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise PayloadRefused(f"'{where}' must be a non-empty string.")
    if "\x00" in value:
        raise PayloadRefused(f"'{where}' contains a NUL character.")
    return value.strip()[:limit]


def _moment(value: object) -> datetime | None:
    """An ISO 8601 time as vendors write it, or None (a time only orders updates; it is never
    a reason to refuse one)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ignored(key: str, event_type: str) -> SourceEvent:
    return SourceEvent(delivery_key=key, event_type=event_type, handled=False)


PAGERDUTY_STAGES = {
    "incident.triggered": "investigating",
    "incident.reopened": "investigating",
    "incident.acknowledged": "identified",
    "incident.resolved": "resolved",
}


def read_pagerduty(body: bytes, webhook_id: str | None) -> SourceEvent:
    event = _object(read_json(body).get("event"), "event")
    event_id = _text(event.get("id"), "event.id", limit=200)
    event_type = _text(event.get("event_type"), "event.event_type", limit=120)
    key = (webhook_id or "").strip()[:200] or event_id
    data = event.get("data")
    if event_type in PAGERDUTY_STAGES:
        data = _object(data, "event.data")
        service = _maybe_object(data.get("service"))
        return SourceEvent(
            delivery_key=key,
            event_type=event_type,
            external_id=_text(data.get("id"), "event.data.id", limit=200),
            title=_text(data.get("title"), "event.data.title", limit=MAX_TITLE),
            stage=PAGERDUTY_STAGES[event_type],
            scopes=tuple(str(service[k]) for k in ("id",) if service.get(k)),
            happened_at=_moment(event.get("occurred_at")),
            reopens=event_type == "incident.reopened",
        )
    if event_type == "incident.status_update_published":  # the public status update's message
        data = _object(data, "event.data")
        incident = _object(data.get("incident"), "event.data.incident")
        return SourceEvent(
            delivery_key=key,
            event_type=event_type,
            external_id=_text(incident.get("id"), "event.data.incident.id", limit=200),
            title=_text(
                incident.get("summary"), "event.data.incident.summary", required=False, limit=MAX_TITLE
            ),
            text=_text(data.get("message"), "event.data.message"),
            happened_at=_moment(event.get("occurred_at")),
        )
    # Notes (incident.annotated) are for responders, not customers; the rest changes nothing here.
    return _ignored(key, event_type)


INCIDENT_IO_STAGES = {
    # IncidentStatusV2.category (incident.io's OpenAPI document); its name is the organisation's own.
    "triage": "investigating",
    "live": "identified",
    "paused": None,
    "learning": "resolved",
    "closed": "resolved",
    "declined": "resolved",
    "canceled": "resolved",
    "merged": "resolved",
}


def _incident_io_stage(status: object) -> str | None:
    category = status.get("category") if isinstance(status, dict) else None
    return INCIDENT_IO_STAGES.get(category) if isinstance(category, str) else None


def read_incident_io(body: bytes, webhook_id: str) -> SourceEvent:
    envelope = read_json(body)
    event_type = _text(envelope.get("event_type"), "event_type", limit=120)
    if not event_type.startswith("public_incident.incident_"):  # private ones carry only an id
        return _ignored(webhook_id, event_type)
    payload = _object(envelope.get(event_type), event_type)
    if event_type == "public_incident.incident_status_updated_v2":
        incident = _object(payload.get("incident"), f"{event_type}.incident")
        stage = _incident_io_stage(payload.get("new_status"))
        text = _text(payload.get("message"), f"{event_type}.message", required=False) or None
    else:
        incident = payload
        stage = _incident_io_stage(incident.get("incident_status"))
        created = event_type == "public_incident.incident_created_v2"
        text = (
            (_text(incident.get("summary"), f"{event_type}.summary", required=False) or None)
            if created
            else None
        )
    if incident.get("mode", "standard") != "standard":  # test and tutorial incidents
        return _ignored(webhook_id, event_type)
    severity = _maybe_object(incident.get("severity"))
    return SourceEvent(
        delivery_key=webhook_id,
        event_type=event_type,
        external_id=_text(incident.get("id"), f"{event_type}.id", limit=200),
        title=_text(incident.get("name"), f"{event_type}.name", limit=MAX_TITLE),
        stage=stage,
        text=text,
        scopes=tuple(str(severity["name"]) for _ in (1,) if severity.get("name")),
        happened_at=_moment(incident.get("updated_at")),
    )


STATUSPAGE_STAGES = {
    "investigating": "investigating",
    "identified": "identified",
    "monitoring": "monitoring",
    "resolved": "resolved",
    "postmortem": "resolved",  # seen in third-party parsers; treated as the end
}


def read_statuspage(body: bytes) -> SourceEvent:
    envelope = read_json(body)
    if "incident" not in envelope:  # component_update: a component's colour, not an incident
        component = envelope.get("component_update")
        key = f"component:{component.get('id')}" if isinstance(component, dict) else "component"
        return _ignored(key, "component_update")
    incident = _object(envelope["incident"], "incident")
    incident_id = _text(incident.get("id"), "incident.id", limit=100)
    updated_at = _text(incident.get("updated_at"), "incident.updated_at", limit=60)
    key = f"{incident_id}:{updated_at}"
    status = _text(incident.get("status"), "incident.status", limit=40)
    if status not in STATUSPAGE_STAGES:  # scheduled maintenance: scheduled, in_progress, verifying, completed
        return _ignored(key, f"incident.{status}")
    updates = incident.get("incident_updates") or []
    if not isinstance(updates, list) or not all(isinstance(u, dict) for u in updates):
        raise PayloadRefused("'incident.incident_updates' must be a list of objects.")
    newest: dict[str, Any] = max(
        updates, key=lambda u: str(u.get("display_at") or u.get("created_at") or ""), default={}
    )
    page = _maybe_object(envelope.get("page"))
    raw_components = incident.get("components")
    components: list[Any] = raw_components if isinstance(raw_components, list) else []
    scopes = [str(page["id"])] if page.get("id") else []
    scopes += [str(c["id"]) for c in components if isinstance(c, dict) and c.get("id")]
    return SourceEvent(
        delivery_key=key,
        event_type=f"incident.{status}",
        external_id=incident_id,
        title=_text(incident.get("name"), "incident.name", limit=MAX_TITLE),
        stage=STATUSPAGE_STAGES[status],
        text=_text(newest.get("body"), "incident.incident_updates[0].body", required=False) or None,
        scopes=tuple(scopes),
        happened_at=_moment(updated_at),
    )


GENERIC_STATES = ("investigating", "identified", "monitoring", "resolved")
GENERIC_EXAMPLE = (
    '{"id": "db-outage-7", "title": "Checkout is down", "state": "investigating", '
    '"text": "We are looking into failed payments.", "locale": "en", "sent_at": 1767225600}'
)


def _sent_at(value: object) -> datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise PayloadRefused("'sent_at' must be the Unix time in seconds (or ISO 8601) when you signed it.")
    try:
        if isinstance(value, str):
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):
        raise PayloadRefused("'sent_at' is not a time; send Unix seconds, e.g. 1767225600.") from None


def read_generic(body: bytes) -> SourceEvent:
    """The generic source's payload (README "Incident sources"): one object per update."""
    payload = read_json(body)
    unknown = sorted(set(payload) - {"id", "title", "state", "text", "locale", "sent_at", "component"})
    if unknown:
        raise PayloadRefused(f"Unknown fields {', '.join(unknown)}; send e.g. {GENERIC_EXAMPLE}")
    state = payload.get("state")
    if state not in GENERIC_STATES:
        raise PayloadRefused(f"'state' must be one of {', '.join(GENERIC_STATES)}.")
    given = _text(payload.get("locale"), "locale", required=False, limit=10)
    locale = customer_locale(given) if given else None
    if given and locale is None:
        raise PayloadRefused(
            "'locale' must be a language Zendesk speaks, e.g. en, he, pt-br (the language of 'text')."
        )
    component = _text(payload.get("component"), "component", required=False, limit=200)
    return SourceEvent(
        # The same signed body is the same delivery: a sender's retry is recognised.
        delivery_key=hashlib.sha256(body).hexdigest(),
        event_type=f"incident.{state}",
        external_id=_text(payload.get("id"), "id", limit=200),
        title=_text(payload.get("title"), "title", limit=MAX_TITLE),
        stage=str(state),
        text=_text(payload.get("text"), "text", required=False) or None,
        locale=locale,
        scopes=(component,) if component else (),
        sent_at=_sent_at(payload.get("sent_at")),
        happened_at=_sent_at(payload.get("sent_at")),
    )


def read_event(kind: str, body: bytes, headers: Mapping[str, str]) -> SourceEvent:
    """The event of a delivery already verified for a source of ``kind``; ``headers`` with
    lower-case names."""
    if kind == SourceKind.PAGERDUTY:
        return read_pagerduty(body, headers.get("x-webhook-id"))
    if kind == SourceKind.INCIDENT_IO:
        return read_incident_io(body, headers.get("webhook-id") or headers.get("svix-id") or "")
    if kind == SourceKind.STATUSPAGE:
        return read_statuspage(body)
    return read_generic(body)
