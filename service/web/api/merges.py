"""REST API v1 for duplicate merging: the merge settings (all incidents or one) and an incident's merges."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from service.incidents.reads import MAX_ROW_ID
from service.incidents.store import get_incident
from service.merging import store
from service.merging.settings_input import InvalidSettings, as_json
from service.web.api.incidents import require_token
from service.web.api.json_input import json_object
from service.web.context import services
from service.web.errors import json_error

bp = Blueprint("merges_api", __name__, url_prefix="/api/v1")
bp.before_request(require_token)
INCIDENT = f"<int(max={MAX_ROW_ID}):incident_id>"


def _merge_json(merge) -> dict:
    return {
        "source_ticket_id": merge.source_ticket_id,
        "target_ticket_id": merge.target_ticket_id,
        "incident_id": merge.incident_id,
        "reason": merge.reason,
        "evidence": merge.evidence,
        "state": merge.state,
        "job_id": merge.job_id,
        "public_comments": merge.public,
        "locale": merge.locale,
        "created_at": merge.created_at.isoformat(),
        "merged_at": merge.merged_at.isoformat() if merge.merged_at else None,
    }


def _refusal_json(refusal) -> dict:
    return {
        "ticket_id": refusal.ticket_id,
        "other_ticket_id": refusal.other_ticket_id,
        "kind": refusal.kind,
        "reason": refusal.reason,
        "evidence": refusal.evidence,
        "created_at": refusal.created_at.isoformat(),
    }


@bp.route("/merge-settings", methods=["GET", "PUT"])
@bp.route(f"/incidents/{INCIDENT}/merge-settings", methods=["GET", "PUT"])
def settings(incident_id: int | None = None):
    with services().db.transaction() as db:
        if incident_id and get_incident(db, incident_id) is None:
            return json_error(404, f"There is no incident {incident_id}.")
        current = as_json(store.settings_row(db, incident_id), store.rules_for(db, incident_id))
    if request.method == "GET":
        return jsonify(current)
    payload = json_object('{"enabled": true, "window_minutes": 60}')
    unknown = sorted(set(payload) - set(current) - {"comments"} | ({"saved"} & set(payload)))
    if unknown:
        return json_error(
            422, "Unknown settings: " + ", ".join(unknown), fields=dict.fromkeys(unknown, "unknown")
        )
    try:
        return jsonify(store.change_settings(services().db, incident_id, payload, actor="api"))
    except InvalidSettings as invalid:
        return json_error(422, "Some settings need fixing; see 'fields'.", fields=invalid.errors)


@bp.get(f"/incidents/{INCIDENT}/merges")
def incident_merges(incident_id: int):
    with services().db.transaction() as db:
        if get_incident(db, incident_id) is None:
            return json_error(404, f"There is no incident {incident_id}.")
        merges, refusals = store.listing(db, incident_id)
        return jsonify(
            {
                "incident_id": incident_id,
                "merges": [_merge_json(m) for m in merges],
                "refusals": [_refusal_json(r) for r in refusals if r.kind != "grouped"],
                "groups": [_refusal_json(r) for r in refusals if r.kind == "grouped"],
            }
        )
