"""marshmallow schemas for the REST API: what clients may send, and what they get back."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields

from service.domain.moments import utc


class UtcDateTime(fields.DateTime):
    """ISO 8601 with an explicit UTC offset, whatever the database hands back."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else utc(value).isoformat()


class Text(fields.String):
    """A string a database can store: no NUL characters, no unpaired surrogates."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("Remove the NUL character (\\u0000) from this text.")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(
                "This text has an unpaired surrogate escape (\\ud800-\\udfff); send valid UTF-8."
            ) from None
        return text


class IncidentCreateSchema(Schema):
    """Shape and types only; what makes a good incident is checked by clean_draft, with
    messages saying what to fix."""

    class Meta:
        unknown = RAISE

    title = Text(
        required=True, error_messages={"required": "Give the incident a title, e.g. 'Checkout is down'."}
    )
    phrases = fields.List(
        Text(),
        required=True,
        error_messages={
            "required": "Send 'phrases': a list of phrases customers would write, e.g. [\"checkout fails\"]."
        },
    )
    status_texts = fields.Dict(
        keys=Text(),
        values=Text(),
        required=True,
        error_messages={
            "required": 'Send \'status_texts\': the customer-facing status per language, e.g. {{"en": "..."}}.'
        },
    )
    severity = Text(load_default="major")
    default_locale = Text(load_default="en")
    shadow_mode = fields.Boolean(load_default=False)
    affected_products = fields.List(Text(), load_default=list)
    affected_regions = fields.List(Text(), load_default=list)
    started_at = fields.DateTime(
        load_default=None,
        allow_none=True,
        error_messages={"invalid": "Give the start time in ISO 8601, e.g. 2026-11-22T14:00:00Z."},
    )
    # Checked by clean_draft (a positive whole number), so the message can say what to send.
    solve_group_id = fields.Raw(load_default=None, allow_none=True)
    solve_assignee_id = fields.Raw(load_default=None, allow_none=True)
    # An existing Zendesk problem ticket to adopt instead of opening one (checked the same way).
    problem_ticket_id = fields.Raw(load_default=None, allow_none=True)


class StatusSchema(Schema):
    version = fields.Integer()
    stage = fields.String()
    texts = fields.Dict(keys=fields.String(), values=fields.String())
    created_at = UtcDateTime()


class RuleSchema(Schema):
    kind = fields.String()
    value = fields.String()


class IncidentSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    tag = fields.String()
    state = fields.String()
    severity = fields.String()
    default_locale = fields.String()
    shadow_mode = fields.Boolean()
    problem_ticket_id = fields.Integer(allow_none=True)
    solve_group_id = fields.Integer(allow_none=True)
    solve_assignee_id = fields.Integer(allow_none=True)
    phrases = fields.List(fields.String())
    rules = fields.List(fields.Nested(RuleSchema))
    affected_products = fields.List(fields.String())
    affected_regions = fields.List(fields.String())
    started_at = UtcDateTime(allow_none=True)
    resolved_at = UtcDateTime(allow_none=True)
    status = fields.Nested(StatusSchema, attribute="current_status", allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class TicketLinkSchema(Schema):
    ticket_id = fields.Integer()
    subject = fields.String()
    requester_id = fields.Integer(allow_none=True)
    locale = fields.String()
    state = fields.String()
    status_version = fields.Integer(allow_none=True)
    evidence = fields.Dict()
    linked_at = UtcDateTime()
