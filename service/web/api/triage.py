"""REST API v1 for triage: what counts as serious, for the account or one incident."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from service.incidents.reads import MAX_ROW_ID
from service.incidents.store import get_incident
from service.triage import store
from service.web.api.incidents import API_ACTOR, require_token
from service.web.api.json_input import json_object
from service.web.context import services
from service.web.errors import json_error

bp = Blueprint("triage_api", __name__, url_prefix="/api/v1")
bp.before_request(require_token)
INCIDENT = f"<int(max={MAX_ROW_ID}):incident_id>"
EXAMPLE = '{"threat_phrases": ["lawyer", "עורך דין"], "threat_priority": "urgent", "repeat_contacts": 3}'


@bp.route("/triage-settings", methods=["GET", "PUT"])
@bp.route(f"/incidents/{INCIDENT}/triage-settings", methods=["GET", "PUT"])
def settings(incident_id: int | None = None) -> ResponseReturnValue:
    vip_tags = services().settings.vip_tags
    with services().db.transaction() as db:
        if incident_id and get_incident(db, incident_id) is None:
            missing: ResponseReturnValue = json_error(404, f"There is no incident {incident_id}.")
            return missing
        if request.method == "GET":
            return jsonify(store.current(db, incident_id, vip_tags))
    payload = json_object(EXAMPLE)
    try:
        with services().db.transaction() as db:
            changed = store.change(
                db,
                incident_id,
                payload,
                actor=API_ACTOR,
                default_vip_tags=vip_tags,
                helpdesk=services().helpdesk,
            )
            return jsonify(changed)
    except store.InvalidTriage as invalid:
        refused: ResponseReturnValue = json_error(
            422, "Some settings need fixing; see 'fields'.", fields=dict(invalid.errors)
        )
        return refused
