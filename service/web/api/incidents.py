"""REST API v1: incidents for scripts and other tools. Bearer-token auth, JSON in and out."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, jsonify, request

from integrations.base import HelpdeskError
from service.domain.errors import IncidentDeskError, InvalidInput
from service.domain.incidents import clean_draft
from service.inbox.adopted import store_adopted_tickets
from service.incidents.reads import MAX_ROW_ID
from service.incidents.store import declare_incident, get_incident, linked_tickets, list_incidents
from service.web.api.json_input import load_json
from service.web.api.openapi import document
from service.web.api.schemas import IncidentCreateSchema, IncidentSchema, TicketLinkSchema
from service.web.context import services
from service.web.errors import json_error, status_for
from service.web.i18n import say

log = logging.getLogger("incidentdesk.web")

bp = Blueprint("api", __name__, url_prefix="/api/v1")

API_ACTOR = "api"


def _token_is_valid(header: str) -> bool:
    expected = services().settings.api_token
    scheme, _, token = header.partition(" ")
    if not expected or scheme.lower() != "bearer" or not token.strip():
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


@bp.before_request
def require_token():
    if not _token_is_valid(request.headers.get("Authorization", "")):
        return json_error(401, headers={"WWW-Authenticate": 'Bearer realm="incidentdesk"'})
    return None


def _incident_json(incident) -> dict:
    data = IncidentSchema().dump(incident)
    data["linked_ticket_count"] = incident.linked_count
    return data


@bp.get("/incidents")
def list_all():
    with services().db.transaction() as db:
        incidents = list_incidents(db)
    return jsonify({"incidents": [_incident_json(i) for i in incidents]})


@bp.post("/incidents")
def create():
    fields = load_json(IncidentCreateSchema(), '{"title": ..., "phrases": [...], "status_texts": {...}}')
    try:
        draft = clean_draft(**fields)
        with services().db.transaction() as db:
            incident = declare_incident(
                db, services().helpdesk, draft, actor=API_ACTOR, deliver=store_adopted_tickets
            )
            body = _incident_json(incident)
    except IncidentDeskError as refused:
        return _refusal(refused)
    except HelpdeskError as failure:
        log.exception("the helpdesk refused the problem ticket for a new incident")
        what = (
            "adopt the problem ticket"
            if fields.get("problem_ticket_id") is not None
            else "open the problem ticket"
        )
        return json_error(
            503 if failure.retryable else 502,
            f"The helpdesk did not {what}, so nothing was saved. Try again in a moment.",
        )
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = f"{bp.url_prefix}/incidents/{incident.id}"
    return response


def _refusal(refused: IncidentDeskError):
    """A refused declaration, said in the client's Accept-Language (en, he or bg) where the
    message is one of the domain's sentences (the adoption's refusals are)."""
    fields = refused.fields if isinstance(refused, InvalidInput) else {}
    said = {name: [say(m) for m in (v if isinstance(v, list) else [v])] for name, v in fields.items()}
    message = "Some fields need fixing; see 'fields'." if said else say(refused)
    return json_error(status_for(refused), message, fields=said)


@bp.get(f"/incidents/<int(max={MAX_ROW_ID}):incident_id>")
def show(incident_id: int):
    with services().db.transaction() as db:
        incident = get_incident(db, incident_id)
        if incident is None:
            return json_error(404, f"There is no incident {incident_id}.")
        return jsonify(_incident_json(incident))


@bp.get(f"/incidents/<int(max={MAX_ROW_ID}):incident_id>/tickets")
def tickets(incident_id: int):
    with services().db.transaction() as db:
        if get_incident(db, incident_id) is None:
            return json_error(404, f"There is no incident {incident_id}.")
        links = linked_tickets(db, incident_id)
    return jsonify({"incident_id": incident_id, "tickets": TicketLinkSchema(many=True).dump(links)})


@bp.get("/openapi.json")
def openapi():
    """The API's OpenAPI 3 document (service.web.api.openapi)."""
    return jsonify(document())
