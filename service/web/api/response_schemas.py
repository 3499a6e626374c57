"""The shapes of the API's answers that are built by hand rather than dumped by a schema, and of
the bodies that are read by hand (campaigns, merge settings), as marshmallow schemas, so that the
OpenAPI document (``service.web.api.openapi``) describes every route from schemas. marshmallow
refuses unknown keys by default, so the document says ``additionalProperties: false`` for each, and
a test validates live answers of every route against it: these cannot drift unseen."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from service.web.api.lifecycle_schemas import TimelineEntrySchema
from service.web.api.schemas import IncidentSchema, TicketLinkSchema
from service.web.api.source_schemas import ProposalSchema, SourceSchema


def _required(field_class: type[fields.Field[Any]], *args: Any, **kwargs: Any) -> Any:
    return field_class(*args, required=True, **kwargs)


class ErrorSchema(Schema):
    error = _required(fields.String, metadata={"description": "What went wrong and what to do."})
    field_errors = fields.Dict(
        data_key="fields", metadata={"description": "Each field to fix, with what to fix."}
    )


class ListedIncidentSchema(IncidentSchema):
    linked_ticket_count = _required(fields.Integer)


class IncidentListSchema(Schema):
    incidents = _required(fields.List, fields.Nested(ListedIncidentSchema))


class TicketListSchema(Schema):
    incident_id = _required(fields.Integer)
    tickets = _required(fields.List, fields.Nested(TicketLinkSchema))


class UnsolvedTicketSchema(Schema):
    ticket_id = fields.Integer()
    reason = fields.String()


class BroadcastSchema(Schema):
    version = _required(fields.Integer)
    state = _required(
        fields.String, metadata={"description": "none, queued, running, done, cancelled or failed"}
    )
    total = _required(fields.Integer)
    done = _required(fields.Integer)
    percent = _required(fields.Integer)
    unsolved = fields.List(
        fields.Dict(),
        metadata={"description": "For a resolution: the tickets Zendesk would not solve, and why."},
    )


class TimelineItemSchema(TimelineEntrySchema):
    # The same value the entry computes, described: its progress, and a resolution's unsolved tickets.
    broadcast = fields.Nested(BroadcastSchema)  # type: ignore[assignment]


class TimelineSchema(Schema):
    incident_id = _required(fields.Integer)
    state = _required(fields.String)
    shadow_mode = _required(fields.Boolean)
    timeline = _required(fields.List, fields.Nested(TimelineItemSchema))


class ShadowResultSchema(Schema):
    incident_id = _required(fields.Integer)
    shadow_mode = _required(fields.Boolean)


class PublicResultSchema(Schema):
    incident_id = _required(fields.Integer)
    public = _required(fields.Boolean)
    slug = _required(fields.String, metadata={"description": "The page is at /status/<slug>."})
    url = _required(
        fields.String, metadata={"description": "The page's address, as {{status_page_url}} fills it in."}
    )


class SolveAssignmentResultSchema(Schema):
    incident_id = _required(fields.Integer)
    solve_group_id = _required(fields.Integer, allow_none=True)
    solve_assignee_id = _required(fields.Integer, allow_none=True)


class RulesResultSchema(Schema):
    incident_id = _required(fields.Integer)
    rules = _required(fields.List, fields.Dict(), metadata={"description": "Each rule as {kind, value}."})


class PreviewTicketSchema(Schema):
    ticket_id = _required(fields.Integer)
    subject = _required(fields.String)
    why = _required(fields.String)
    failing_kinds = _required(fields.List, fields.String())


class PreviewSchema(Schema):
    tickets_checked = _required(fields.Integer)
    match_count = _required(fields.Integer)
    near_miss_count = _required(fields.Integer)
    matches = _required(fields.List, fields.Nested(PreviewTicketSchema))
    near_misses = _required(fields.List, fields.Nested(PreviewTicketSchema))


class MergeSettingsSchema(Schema):
    saved = fields.Boolean(metadata={"description": "Whether these are saved, or the defaults."})
    enabled = fields.Boolean()
    window_minutes = fields.Integer()
    similarity_threshold = fields.Float()
    suggestion_floor = fields.Float(
        metadata={"description": "From this similarity up to the threshold, agents are asked to merge."}
    )
    suggest_same_organization = fields.Boolean(
        metadata={"description": "Whether colleagues of one organisation writing alike are suggested."}
    )
    public_comments = fields.Boolean()
    skip_tag = fields.String()
    merge_after_agent_reply = fields.Boolean()
    cross_requester_org_ids = fields.List(fields.Integer())
    intermediary_tags = fields.List(fields.String())
    intermediary_org_ids = fields.List(fields.Integer())
    order_field_id = fields.Integer(allow_none=True)
    comments = fields.Dict(metadata={"description": "Merge comments per kind, then per language."})


class MergeSchema(Schema):
    source_ticket_id = _required(fields.Integer)
    target_ticket_id = _required(fields.Integer)
    incident_id = _required(fields.Integer, allow_none=True)
    reason = _required(fields.String)
    evidence = _required(fields.Dict)
    state = _required(fields.String)
    job_id = _required(fields.String, allow_none=True)
    public_comments = _required(fields.Boolean)
    locale = _required(fields.String, allow_none=True)
    created_at = _required(fields.DateTime)
    merged_at = _required(fields.DateTime, allow_none=True)


class MergeRefusalSchema(Schema):
    ticket_id = _required(fields.Integer)
    other_ticket_id = _required(fields.Integer, allow_none=True)
    kind = _required(fields.String)
    reason = _required(fields.String)
    evidence = _required(fields.Dict)
    created_at = _required(fields.DateTime)


class MergeListingSchema(Schema):
    incident_id = _required(fields.Integer)
    merges = _required(fields.List, fields.Nested(MergeSchema))
    refusals = _required(fields.List, fields.Nested(MergeRefusalSchema))
    groups = _required(fields.List, fields.Nested(MergeRefusalSchema))


class MessageSchema(Schema):
    subject = fields.String(required=True)
    body = fields.String(required=True)


class SearchSchema(Schema):
    tag = fields.String()
    organization = fields.String()
    field_key = fields.String()
    field_value = fields.String()


class AudienceInputSchema(Schema):
    csv = fields.String(
        metadata={"description": "A CSV with an email column (name, locale and others optional)."}
    )
    search = fields.Nested(
        SearchSchema, metadata={"description": "Helpdesk users to reach, by one word each."}
    )
    coupon_pool = fields.String(metadata={"description": "Coupon codes, one a line."})
    everyone_affected = fields.Boolean(
        metadata={
            "description": "Follow-up and goodwill only: add who wrote in and whom the notices reached."
        }
    )


class CampaignInputSchema(AudienceInputSchema):
    name = fields.String(required=True)
    purpose = fields.String(metadata={"description": "notice (the default), follow_up or goodwill"})
    messages = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(MessageSchema),
        required=True,
        metadata={"description": "Subject and body per language; placeholders like {{first_name}}."},
    )
    default_locale = fields.String()
    tags = fields.List(fields.String())
    group_id = fields.Integer(allow_none=True)
    sender_id = fields.Integer(allow_none=True)
    vip_priority = fields.String(allow_none=True, metadata={"description": "high or urgent"})
    coupon_mode = fields.String(metadata={"description": "none, pool or generated"})
    coupon_format = fields.String(
        metadata={"description": "X is a random letter or digit, e.g. SORRY-XXXX-XXXX"}
    )
    opt_out_emails = fields.List(fields.String())
    plan_requests_per_minute = fields.Integer()
    api_share = fields.Float()


class ProgressSchema(Schema):
    campaign_id = _required(fields.Integer)
    state = _required(fields.String)
    total = _required(fields.Integer)
    sent = _required(fields.Integer)
    queued = _required(fields.Integer)
    failed = _required(fields.Integer)
    skipped = _required(fields.Integer)
    jobs_in_flight = _required(fields.Integer)
    percent = _required(fields.Float)


class ExclusionSchema(Schema):
    email = _required(fields.String)
    reason = _required(fields.String)
    detail = _required(fields.String, allow_none=True)


class CampaignSchema(Schema):
    id = _required(fields.Integer)
    incident_id = _required(fields.Integer)
    name = _required(fields.String)
    purpose = _required(fields.String)
    state = _required(fields.String)
    messages = _required(fields.Dict, keys=fields.String(), values=fields.Nested(MessageSchema))
    default_locale = _required(fields.String)
    tags = _required(fields.List, fields.String())
    group_id = _required(fields.Integer, allow_none=True)
    sender_id = _required(fields.Integer, allow_none=True)
    coupon_mode = _required(fields.String)
    search_query = _required(fields.String, allow_none=True)
    audience = _required(
        fields.Dict, metadata={"description": "The upload's report: counts, invalid and duplicate rows."}
    )
    progress = _required(fields.Nested, ProgressSchema)
    exclusions = _required(fields.List, fields.Nested(ExclusionSchema))


class CampaignListSchema(Schema):
    campaigns = _required(fields.List, fields.Nested(CampaignSchema))


class SampleSchema(Schema):
    email = _required(fields.String)
    locale = _required(fields.String)
    direction = _required(fields.String)
    subject = _required(fields.String)
    body = _required(fields.String)
    unknown_placeholders = _required(fields.List, fields.String())


class SamplesSchema(Schema):
    samples = _required(fields.List, fields.Nested(SampleSchema))


class SourceListSchema(Schema):
    sources = _required(fields.List, fields.Nested(SourceSchema))
    proposals = _required(fields.List, fields.Nested(ProposalSchema))


class SourceCreatedSchema(Schema):
    source = _required(fields.Nested, SourceSchema)
    delivery_url = _required(
        fields.String, metadata={"description": "Where the tool delivers; shown this once."}
    )
    signing_secret = _required(
        fields.String,
        allow_none=True,
        metadata={"description": "A secret made here, shown this once (else null)."},
    )


class TriageSettingsSchema(Schema):
    saved = fields.Boolean(
        metadata={"description": "Whether these are saved here, or inherited (account, defaults)."}
    )
    vip_tags = fields.List(fields.String())
    vip_priority = fields.String(
        allow_none=True, metadata={"description": "low, normal, high, urgent or null"}
    )
    threat_phrases = fields.List(
        fields.String(), metadata={"description": "Words of a legal or safety threat, in any language."}
    )
    threat_priority = fields.String(allow_none=True)
    repeat_contacts = fields.Integer(
        metadata={"description": "Earlier contacts that make a repeat contact; 0 is off."}
    )
    repeat_priority = fields.String(allow_none=True)
    group_id = fields.Integer(
        allow_none=True, metadata={"description": "Where a ticket with any signal goes."}
    )
    value_field = fields.String(
        metadata={"description": "A user or organisation field's key: a customer's value."}
    )
    value_at_least = fields.Float()
    value_priority = fields.String(allow_none=True)
    waiting_hours = fields.Float(
        metadata={"description": "Hours from the ticket's creation that make a long wait; 0 is off."}
    )
    waiting_priority = fields.String(allow_none=True)


class BacklogRowSchema(Schema):
    incident_id = _required(fields.Integer)
    title = _required(fields.String)
    severity = _required(fields.String)
    declared_at = _required(fields.DateTime)
    linked = _required(fields.Integer)
    unsolved = _required(fields.Integer)
    earliest_unanswered_contact = _required(
        fields.DateTime,
        allow_none=True,
        metadata={"description": "The customer's first contact, among the unsolved."},
    )
    unlinked_by_agents = _required(fields.Integer)
    broadcasts_running = _required(fields.Integer)


class BacklogTotalsSchema(Schema):
    active_incidents = _required(fields.Integer)
    linked = _required(fields.Integer)
    unsolved = _required(fields.Integer)
    earliest_unanswered_contact = _required(fields.DateTime, allow_none=True)


class BacklogSchema(Schema):
    generated_at = _required(fields.DateTime)
    incidents = _required(fields.List, fields.Nested(BacklogRowSchema))
    totals = _required(fields.Nested, BacklogTotalsSchema)


class ReachSchema(Schema):
    campaign = _required(fields.String)
    purpose = _required(fields.String)
    sent = _required(fields.Integer)
    audience = _required(fields.Integer)


class ReportEntrySchema(Schema):
    version = fields.Integer()
    stage = fields.String()
    texts = fields.Dict(keys=fields.String(), values=fields.String())
    created_by = fields.String()
    created_at = fields.DateTime()


class RatingCommentSchema(Schema):
    ticket_id = _required(fields.Integer)
    score = _required(fields.String, metadata={"description": "good or bad"})
    comment = _required(fields.String, metadata={"description": "The customer's own words, as written."})
    created_at = _required(fields.DateTime)


class ReportSchema(Schema):
    incident_id = _required(fields.Integer)
    what_happened = _required(fields.Dict, keys=fields.String(), values=fields.String())
    prevention = _required(fields.Dict, keys=fields.String(), values=fields.String())
    figures = _required(
        fields.Dict,
        metadata={
            "description": "Tickets linked, unsolved, time to the first answer (median, p90, longest), merges, "
            "reach; satisfaction_rated/_good_percent/_bad_percent (the incident tickets' ratings) and "
            "baseline_rated/_good_percent/_bad_percent (every rating of the account over the same weeks), "
            "null while the helpdesk cannot be read."
        },
    )
    outreach = _required(fields.List, fields.Nested(ReachSchema))
    timeline = _required(fields.List, fields.Nested(ReportEntrySchema))
    tickets_per_hour = _required(fields.Dict, keys=fields.String(), values=fields.Integer())
    rating_comments = _required(
        fields.List,
        fields.Nested(RatingCommentSchema),
        metadata={"description": "The comments of the incident tickets' satisfaction ratings, newest first."},
    )
