"""The shape of a backfill as the API answers it (built by ``incidents.backfill.as_json``)."""

from __future__ import annotations

from marshmallow import Schema, fields

from service.domain.backfill import BackfillState


class BackfillSampleSchema(Schema):
    ticket_id = fields.Integer(required=True)
    subject = fields.String(required=True)
    why = fields.String(required=True, metadata={"description": "Which rules matched, and how."})


class BackfillSkippedSchema(Schema):
    handled = fields.Integer(metadata={"description": "Linked or unlinked before: not answered again."})
    solved = fields.Integer(metadata={"description": "Solved or closed: left alone."})


class BackfillSchema(Schema):
    id = fields.Integer(required=True)
    incident_id = fields.Integer(required=True)
    state = fields.String(required=True, metadata={"enum": [str(s) for s in BackfillState]})
    window_start = fields.String(required=True, metadata={"description": "Tickets created from (ISO 8601)."})
    window_end = fields.String(required=True, metadata={"description": "... until (the dry run's request)."})
    requested_by = fields.String(required=True)
    confirmed_by = fields.String(required=True, allow_none=True)
    candidates = fields.Integer(required=True, metadata={"description": "Tickets created in the window."})
    matched = fields.Integer(required=True, metadata={"description": "Of those, the rules match."})
    skipped = fields.Nested(BackfillSkippedSchema, required=True)
    to_answer = fields.Integer(required=True, metadata={"description": "Matched tickets that apply answers."})
    sample = fields.List(fields.Nested(BackfillSampleSchema), required=True)
    stored = fields.Integer(required=True, metadata={"description": "Inbox rows newly stored on apply."})
    processed = fields.Integer(
        required=True, metadata={"description": "Of to_answer, the pipeline finished."}
    )
    answered = fields.Integer(required=True, metadata={"description": "Linked to the incident at the end."})
    percent = fields.Integer(required=True)
    error = fields.String(required=True, allow_none=True)
