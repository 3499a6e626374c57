"""REST API v1, the incident lifecycle: status timeline and updates, resolve, reopen, rules and
their preview, shadow mode. Same bearer token and error shape as ``service.web.api.incidents``; a state
conflict (resolving a resolved incident, ...) is a 409 with the message saying what to do."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify

from integrations.base import HelpdeskError
from service.domain.errors import NotFound
from service.domain.incidents import clean_solve_assignment
from service.incidents.lifecycle_reads import resolve_result, unsolved_tickets
from service.incidents.preview import preview_json, preview_rules, recent_tickets
from service.incidents.reads import MAX_ROW_ID
from service.incidents.rules import clean_rules, known_fields_for, replace_rules, rules_as_input
from service.incidents.status import post_status_update, reopen_incident, resolve_incident, set_shadow_mode
from service.incidents.store import get_incident, set_solve_assignment
from service.status_page.publishing import set_public
from service.web.api.incidents import API_ACTOR, require_token
from service.web.api.json_input import load_json
from service.web.api.lifecycle_schemas import (
    PublicSchema,
    ResolveSchema,
    RulesSchema,
    ShadowSchema,
    SolveAssignmentSchema,
    StatusPostSchema,
    TimelineEntrySchema,
)
from service.web.context import services
from service.web.errors import json_error
from service.web.status_page import public_base_url

log = logging.getLogger("incidentdesk.web")

bp = Blueprint("api_lifecycle", __name__, url_prefix="/api/v1/incidents")
bp.before_request(require_token)
INCIDENT = f"/<int(max={MAX_ROW_ID}):incident_id>"


def _incident(db, incident_id: int):
    incident = get_incident(db, incident_id)
    if incident is None:
        raise NotFound(f"There is no incident {incident_id}.")
    return incident


def _timeline(incident, db=None) -> dict:
    entries = list(reversed(incident.status_updates))
    body = TimelineEntrySchema(many=True).dump(entries)
    if db is not None:  # a resolution's broadcast lists the tickets the helpdesk would not solve
        unsolved = unsolved_tickets(db, incident.id)
        for status, dumped in zip(entries, body, strict=True):
            dumped["broadcast"] = resolve_result(status, unsolved)
    return {
        "incident_id": incident.id,
        "state": incident.state,
        "shadow_mode": incident.shadow_mode,
        "timeline": body,
    }


@bp.get(f"{INCIDENT}/status")
def timeline(incident_id: int):
    with services().db.transaction() as db:
        return jsonify(_timeline(_incident(db, incident_id), db))


@bp.post(f"{INCIDENT}/status")
def post_status(incident_id: int):
    fields = load_json(StatusPostSchema())
    with services().db.transaction() as db:
        status = post_status_update(
            db,
            services().helpdesk,
            _incident(db, incident_id),
            fields["stage"],
            fields["texts"],
            broadcast=fields["broadcast"],
            actor=API_ACTOR,
        )
        body = TimelineEntrySchema().dump(status)
    return jsonify(body), 201


@bp.post(f"{INCIDENT}/resolve")
def resolve(incident_id: int):
    fields = load_json(ResolveSchema())
    with services().db.transaction() as db:
        status = resolve_incident(
            db,
            services().helpdesk,
            _incident(db, incident_id),
            fields["texts"],
            actor=API_ACTOR,
            survey=fields["survey"],
            what_happened=fields["what_happened"],
            prevention=fields["prevention"],
        )
        body = TimelineEntrySchema().dump(status)
    return jsonify(body), 201


@bp.post(f"{INCIDENT}/reopen")
def reopen(incident_id: int):
    with services().db.transaction() as db:
        incident = _incident(db, incident_id)
        reopen_incident(db, incident, actor=API_ACTOR, helpdesk=services().helpdesk)
        body = _timeline(incident)
    return jsonify(body)


@bp.put(f"{INCIDENT}/shadow")
def shadow(incident_id: int):
    fields = load_json(ShadowSchema())
    with services().db.transaction() as db:
        incident = _incident(db, incident_id)
        set_shadow_mode(db, incident, fields["shadow_mode"], actor=API_ACTOR, helpdesk=services().helpdesk)
        return jsonify({"incident_id": incident_id, "shadow_mode": incident.shadow_mode})


@bp.put(f"{INCIDENT}/public")
def public(incident_id: int):
    """Show or hide the incident's status page at /status/<slug>."""
    fields = load_json(PublicSchema(), '{"public": true, "slug": "checkout-is-down"}')
    with services().db.transaction() as db:
        incident = _incident(db, incident_id)
        set_public(
            db,
            services().helpdesk,
            incident,
            public=fields["public"],
            slug=fields["slug"],
            base_url=public_base_url(),
            actor=API_ACTOR,
        )
        return jsonify(
            {
                "incident_id": incident_id,
                "public": incident.public,
                "slug": incident.public_slug,
                "url": incident.public_page_url,
            }
        )


@bp.put(f"{INCIDENT}/solve-assignment")
def solve_assignment(incident_id: int):
    """Where the incident assigns tickets without an assignee so that Zendesk lets them be solved."""
    fields = load_json(SolveAssignmentSchema(), '{"solve_group_id": ..., "solve_assignee_id": ...}')
    group_id, assignee_id = clean_solve_assignment(fields["solve_group_id"], fields["solve_assignee_id"])
    try:
        with services().db.transaction() as db:
            incident = _incident(db, incident_id)
            set_solve_assignment(db, services().helpdesk, incident, group_id, assignee_id, actor=API_ACTOR)
            body = {
                "incident_id": incident_id,
                "solve_group_id": incident.solve_group_id,
                "solve_assignee_id": incident.solve_assignee_id,
            }
    except HelpdeskError as failure:
        return json_error(
            503 if failure.retryable else 502,
            "The helpdesk did not say whether that agent exists; try again in a moment.",
        )
    return jsonify(body)


@bp.put(f"{INCIDENT}/rules")
def put_rules(incident_id: int):
    fields = load_json(RulesSchema())
    try:
        known_fields = known_fields_for(fields["rules"], services().helpdesk)
        with services().db.transaction() as db:
            incident = _incident(db, incident_id)
            replace_rules(db, incident, fields["rules"], actor=API_ACTOR, known_fields=known_fields)
            body = {"incident_id": incident_id, "rules": rules_as_input(incident)}
    except HelpdeskError as failure:
        return json_error(
            503 if failure.retryable else 502,
            "The helpdesk did not list its ticket fields, so a custom field rule cannot be checked; "
            "try again.",
        )
    return jsonify(body)


@bp.post(f"{INCIDENT}/rules/preview")
def preview(incident_id: int):
    """Which recent tickets the rules sent would match and why, and the near misses; nothing saved."""
    fields = load_json(RulesSchema())
    with services().db.transaction() as db:
        _incident(db, incident_id)
    try:
        cleaned = clean_rules(
            fields["rules"], known_fields=known_fields_for(fields["rules"], services().helpdesk)
        )
    except HelpdeskError as failure:
        return json_error(
            503 if failure.retryable else 502,
            "The helpdesk did not list its ticket fields, so a custom field rule cannot be checked; "
            "try the preview again in a moment.",
        )
    try:
        result = preview_rules(cleaned, recent_tickets(services().helpdesk))
    except HelpdeskError as failure:
        log.exception("could not fetch recent tickets for a rules preview")
        return json_error(
            503 if failure.retryable else 502,
            "The helpdesk did not return the recent tickets; try the preview again in a moment.",
        )
    return jsonify(preview_json(result))
