"""REST API v1, the incident lifecycle: status timeline and updates, resolve, reopen, rules and
their preview, shadow mode. Same bearer token and error shape as ``service.web.api``; a state
conflict (resolving a resolved incident, ...) is a 409 with the message saying what to do."""
from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from marshmallow import Schema, ValidationError

from integrations.base import HelpdeskError
from service.domain.incident_input import InvalidIncident
from service.incident_rules import clean_rules, known_fields_for, replace_rules, rules_as_input
from service.incidents import get_incident
from service.status import (IncidentStateError, post_status_update, reopen_incident, resolve_incident,
                            set_shadow_mode)
from service.web import services
from service.web.api import API_ACTOR, require_token
from service.web.errors import json_error
from service.web.lifecycle_schemas import (ResolveSchema, RulesSchema, ShadowSchema, StatusPostSchema,
                                           TimelineEntrySchema)
from service.web.readmodels import MAX_ROW_ID
from service.web.rules_preview import preview_json, preview_rules, recent_tickets

log = logging.getLogger("incidentdesk.web")

bp = Blueprint("api_lifecycle", __name__, url_prefix="/api/v1/incidents")
bp.before_request(require_token)
INCIDENT = f"/<int(max={MAX_ROW_ID}):incident_id>"


class Refused(Exception):
    """Stops a request with a JSON error response."""

    def __init__(self, response):
        super().__init__()
        self.response = response


@bp.errorhandler(Refused)
def _refused(refused: Refused):
    return refused.response


def _payload(schema: Schema) -> dict:
    if not request.is_json:
        raise Refused(json_error(400, "Send JSON with 'Content-Type: application/json'."))
    body = request.get_json(silent=True)
    if body is None:
        raise Refused(json_error(400, "The body is not valid JSON; check quotes, commas and brackets."))
    if not isinstance(body, dict):
        raise Refused(json_error(400, "Send a JSON object."))
    try:
        return schema.load(body)
    except ValidationError as invalid:
        raise Refused(json_error(422, "Some fields are missing, unknown or have the wrong type; see 'fields'.",
                                 fields=invalid.normalized_messages())) from None


def _incident(db, incident_id: int):
    incident = get_incident(db, incident_id)
    if incident is None:
        raise Refused(json_error(404, f"There is no incident {incident_id}."))
    return incident


def _timeline(incident) -> dict:
    return {"incident_id": incident.id, "state": incident.state, "shadow_mode": incident.shadow_mode,
            "timeline": TimelineEntrySchema(many=True).dump(list(reversed(incident.status_updates)))}


@bp.errorhandler(InvalidIncident)
def _invalid(invalid: InvalidIncident):
    return json_error(422, "Some fields need fixing; see 'fields'.", fields=invalid.errors)


@bp.errorhandler(IncidentStateError)
def _conflict(refused: IncidentStateError):
    return json_error(409, str(refused))


@bp.get(f"{INCIDENT}/status")
def timeline(incident_id: int):
    with services().db.transaction() as db:
        return jsonify(_timeline(_incident(db, incident_id)))


@bp.post(f"{INCIDENT}/status")
def post_status(incident_id: int):
    fields = _payload(StatusPostSchema())
    with services().db.transaction() as db:
        status = post_status_update(db, services().helpdesk, _incident(db, incident_id), fields["stage"],
                                    fields["texts"], broadcast=fields["broadcast"], actor=API_ACTOR)
        body = TimelineEntrySchema().dump(status)
    return jsonify(body), 201


@bp.post(f"{INCIDENT}/resolve")
def resolve(incident_id: int):
    fields = _payload(ResolveSchema())
    with services().db.transaction() as db:
        status = resolve_incident(db, services().helpdesk, _incident(db, incident_id), fields["texts"],
                                  actor=API_ACTOR, survey=fields["survey"])
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
    fields = _payload(ShadowSchema())
    with services().db.transaction() as db:
        incident = _incident(db, incident_id)
        set_shadow_mode(db, incident, fields["shadow_mode"], actor=API_ACTOR, helpdesk=services().helpdesk)
        return jsonify({"incident_id": incident_id, "shadow_mode": incident.shadow_mode})


@bp.put(f"{INCIDENT}/rules")
def put_rules(incident_id: int):
    fields = _payload(RulesSchema())
    try:
        known_fields = known_fields_for(fields["rules"], services().helpdesk)
        with services().db.transaction() as db:
            incident = _incident(db, incident_id)
            replace_rules(db, incident, fields["rules"], actor=API_ACTOR, known_fields=known_fields)
            body = {"incident_id": incident_id, "rules": rules_as_input(incident)}
    except HelpdeskError as failure:
        return json_error(503 if failure.retryable else 502,
                          "The helpdesk did not list its ticket fields, so a custom field rule cannot be checked; "
                          "try again.")
    return jsonify(body)


@bp.post(f"{INCIDENT}/rules/preview")
def preview(incident_id: int):
    """Which recent tickets the rules sent would match and why, and the near misses; nothing saved."""
    fields = _payload(RulesSchema())
    with services().db.transaction() as db:
        _incident(db, incident_id)
    try:
        cleaned = clean_rules(fields["rules"], known_fields=known_fields_for(fields["rules"], services().helpdesk))
    except HelpdeskError as failure:
        return json_error(503 if failure.retryable else 502,
                          "The helpdesk did not list its ticket fields, so a custom field rule cannot be checked; "
                          "try the preview again in a moment.")
    try:
        result = preview_rules(cleaned, recent_tickets(services().helpdesk))
    except HelpdeskError as failure:
        log.exception("could not fetch recent tickets for a rules preview")
        return json_error(503 if failure.retryable else 502,
                          "The helpdesk did not return the recent tickets; try the preview again in a moment.")
    return jsonify(preview_json(result))
