"""Duplicate merging on the web: admin pages (merges, refusals, rules) and the REST API for both."""
from __future__ import annotations

from flask import Blueprint, Flask, abort, g, jsonify, redirect, render_template, request

from service.audit import record
from service.incidents import get_incident, list_incidents
from service.merging import store
from service.merging.settings_input import InvalidSettings, as_json, clean_settings
from service.web import services
from service.web.api import require_token
from service.web.auth import login_required
from service.web.errors import json_error
from service.web.readmodels import MAX_ROW_ID

pages = Blueprint("merges", __name__, url_prefix="/admin")
api = Blueprint("merges_api", __name__, url_prefix="/api/v1")
api.before_request(require_token)

INCIDENT = f"<int(max={MAX_ROW_ID}):incident_id>"


def _merge_json(merge) -> dict:
    return {"source_ticket_id": merge.source_ticket_id, "target_ticket_id": merge.target_ticket_id,
            "incident_id": merge.incident_id, "reason": merge.reason, "evidence": merge.evidence,
            "state": merge.state, "job_id": merge.job_id, "public_comments": merge.public, "locale": merge.locale,
            "created_at": merge.created_at.isoformat(),
            "merged_at": merge.merged_at.isoformat() if merge.merged_at else None}


def _refusal_json(refusal) -> dict:
    return {"ticket_id": refusal.ticket_id, "other_ticket_id": refusal.other_ticket_id, "kind": refusal.kind,
            "reason": refusal.reason, "evidence": refusal.evidence, "created_at": refusal.created_at.isoformat()}


def _save(incident_id: int | None, data, actor: str) -> dict:
    values = clean_settings(data)
    with services().db.transaction() as db:
        store.save_settings(db, incident_id, values)
        record(db, "merge.settings_changed", actor=actor, incident_id=incident_id, detail=values)
        return as_json(store.settings_row(db, incident_id), store.rules_for(db, incident_id))


@pages.route("/merges", methods=["GET", "POST"])
@pages.route(f"/incidents/{INCIDENT}/merges", methods=["GET", "POST"])
@login_required
def overview(incident_id: int | None = None):
    errors: dict[str, str] = {}
    with services().db.transaction() as db:
        incident = get_incident(db, incident_id) if incident_id else None
        if incident_id and incident is None:
            abort(404)
    if request.method == "POST":
        try:
            _save(incident_id, request.form.to_dict(flat=True), f"admin:{g.admin}")
            return redirect(request.path + "?saved=1")
        except InvalidSettings as invalid:
            errors = invalid.errors
    with services().db.transaction() as db:
        merges, refusals = store.listing(db, incident_id)
        rules = store.rules_for(db, incident_id)
        own = store.settings_row(db, incident_id) is not None
        incidents = [] if incident_id else [(i.id, i.title) for i in list_incidents(db)]
    return render_template("merges/overview.html", incident=incident, incidents=incidents, merges=merges,
                           refusals=refusals,
                           settings=as_json(None, rules), own_settings=own, errors=errors,
                           saved=request.args.get("saved") == "1"), 422 if errors else 200


@api.route("/merge-settings", methods=["GET", "PUT"])
@api.route(f"/incidents/{INCIDENT}/merge-settings", methods=["GET", "PUT"])
def settings(incident_id: int | None = None):
    with services().db.transaction() as db:
        if incident_id and get_incident(db, incident_id) is None:
            return json_error(404, f"There is no incident {incident_id}.")
        current = as_json(store.settings_row(db, incident_id), store.rules_for(db, incident_id))
    if request.method == "GET":
        return jsonify(current)
    payload = request.get_json(silent=True) if request.is_json else None
    if not isinstance(payload, dict):
        return json_error(400, 'Send the settings as a JSON object, e.g. {"enabled": true, "window_minutes": 60}.')
    unknown = sorted(set(payload) - set(current) - {"comments"} | ({"saved"} & set(payload)))
    if unknown:
        return json_error(422, "Unknown settings: " + ", ".join(unknown), fields={k: "unknown" for k in unknown})
    try:
        return jsonify(_save(incident_id, payload, "api"))
    except InvalidSettings as invalid:
        return json_error(422, "Some settings need fixing; see 'fields'.", fields=invalid.errors)


@api.get(f"/incidents/{INCIDENT}/merges")
def incident_merges(incident_id: int):
    with services().db.transaction() as db:
        if get_incident(db, incident_id) is None:
            return json_error(404, f"There is no incident {incident_id}.")
        merges, refusals = store.listing(db, incident_id)
        return jsonify({"incident_id": incident_id, "merges": [_merge_json(m) for m in merges],
                        "refusals": [_refusal_json(r) for r in refusals if r.kind != "grouped"],
                        "groups": [_refusal_json(r) for r in refusals if r.kind == "grouped"]})


def register(app: Flask) -> None:
    app.extensions["csrf"].exempt(api)
    app.register_blueprint(pages)
    app.register_blueprint(api)
