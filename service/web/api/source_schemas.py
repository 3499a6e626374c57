"""marshmallow schemas for the sources API: what a client sends to add a source, what it reads."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields

from service.web.api.schemas import Text, UtcDateTime


class SourceCreateSchema(Schema):
    """Shape and types only; ``clean_source`` says what makes a usable source."""

    class Meta:
        unknown = RAISE

    kind = Text(
        required=True,
        error_messages={"required": "Send 'kind': pagerduty, incident_io, statuspage or generic."},
    )
    name = Text(
        required=True, error_messages={"required": "Send 'name', e.g. 'PagerDuty: checkout service'."}
    )
    template_incident_id = fields.Integer(
        required=True,
        strict=True,
        error_messages={"required": "Send 'template_incident_id': the incident to start from."},
    )
    covers = Text(load_default="")
    locale = Text(load_default="en")
    auto_declare = fields.Boolean(load_default=False)
    auto_resolve = fields.Boolean(load_default=True)
    broadcast_updates = fields.Boolean(load_default=True)
    signing_secret = Text(load_default="")
    notes_api_token = Text(load_default="")
    notes_from = Text(load_default="")
    notes_api_url = Text(load_default="")


class SourceSchema(Schema):
    """A source as the API shows it: never its secret, only whether it has one."""

    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    covers = fields.String()
    locale = fields.String()
    auto_declare = fields.Boolean()
    auto_resolve = fields.Boolean()
    broadcast_updates = fields.Boolean()
    template_incident_id = fields.Integer(allow_none=True)
    has_secret = fields.Method("_has_secret")
    impact_notes = fields.Method("_impact_notes")
    created_at = UtcDateTime()

    def _has_secret(self, source: Any) -> bool:
        return bool(source.signing_secret)

    def _impact_notes(self, source: Any) -> dict[str, str] | None:
        """Where impact notes go (never the API key)."""
        return (
            {"api_url": source.notes_api_url, "from": source.notes_from} if source.notes_api_token else None
        )


class ProposalSchema(Schema):
    """A vendor incident waiting for a click: to be declared, or (resolution_pending) resolved."""

    id = fields.Integer()
    source_id = fields.Integer()
    external_id = fields.String()
    state = fields.String()
    title = fields.String()
    stage = fields.String()
    text = fields.String(allow_none=True)
    incident_id = fields.Integer(allow_none=True)
    resolution_pending = fields.Boolean()
    resolution_text = fields.String(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
