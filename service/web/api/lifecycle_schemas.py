"""marshmallow schemas for the lifecycle API: status updates, resolution, rules, shadow mode."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields

from service.incidents.lifecycle_reads import broadcast_progress
from service.web.api.schemas import Text, UtcDateTime

TEXTS_REQUIRED = 'Send \'texts\': the customer-facing text per language, e.g. {{"en": "...", "he": "..."}}.'


_TEXT = Text()


class RuleValue(fields.Raw):
    """A rule's value as JSON gives it (text, list or object); every string in it must be storable."""

    def _deserialize(self, value, attr, data, **kwargs):
        _check_storable(value)
        return value


def _check_storable(value: object) -> None:
    if isinstance(value, str):
        _TEXT.deserialize(value)  # raises ValidationError for NUL or an unpaired surrogate
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_storable(key)
            _check_storable(item)
    elif isinstance(value, list):
        for item in value:
            _check_storable(item)


class StatusPostSchema(Schema):
    class Meta:
        unknown = RAISE

    stage = Text(
        required=True, error_messages={"required": "Send 'stage': investigating, identified or monitoring."}
    )
    texts = fields.Dict(
        keys=Text(), values=Text(), required=True, error_messages={"required": TEXTS_REQUIRED}
    )
    broadcast = fields.Boolean(load_default=False)


class ResolveSchema(Schema):
    class Meta:
        unknown = RAISE

    texts = fields.Dict(
        keys=Text(), values=Text(), required=True, error_messages={"required": TEXTS_REQUIRED}
    )
    survey = fields.Boolean(load_default=False)
    what_happened = fields.Dict(
        keys=Text(),
        values=Text(),
        load_default=dict,
        metadata={"description": "For the report, per language."},
    )
    prevention = fields.Dict(
        keys=Text(),
        values=Text(),
        load_default=dict,
        metadata={"description": "What is done so it won't happen again, per language, for the report."},
    )


class SolveAssignmentSchema(Schema):
    class Meta:
        unknown = RAISE

    # Checked by clean_solve_assignment, whose messages say what to send.
    solve_group_id = fields.Raw(load_default=None, allow_none=True)
    solve_assignee_id = fields.Raw(load_default=None, allow_none=True)


class RuleInputSchema(Schema):
    class Meta:
        unknown = RAISE

    kind = Text(required=True, error_messages={"required": "Give each rule a 'kind', e.g. \"phrase\"."})
    value = RuleValue(
        required=True,
        allow_none=False,
        error_messages={"required": "Give each rule a 'value', e.g. [\"checkout fails\"] for phrases."},
    )


class RulesSchema(Schema):
    class Meta:
        unknown = RAISE

    rules = fields.List(
        fields.Nested(RuleInputSchema),
        required=True,
        error_messages={"required": 'Send \'rules\': a list of {{"kind": ..., "value": ...}}.'},
    )


class ShadowSchema(Schema):
    class Meta:
        unknown = RAISE

    shadow_mode = fields.Boolean(
        required=True, error_messages={"required": "Send 'shadow_mode': true or false."}
    )


class PublicSchema(Schema):
    class Meta:
        unknown = RAISE

    public = fields.Boolean(required=True, error_messages={"required": "Send 'public': true or false."})
    slug = fields.String(
        allow_none=True,
        load_default=None,
        metadata={"description": "The page's address under /status/; made from the title when omitted."},
    )


class TimelineEntrySchema(Schema):
    version = fields.Integer()
    stage = fields.String()
    texts = fields.Dict(keys=fields.String(), values=fields.String())
    created_by = fields.String()
    created_at = UtcDateTime()
    broadcast = fields.Function(broadcast_progress)
