"""REST API v1, backfill: count the tickets created in an incident's window that its rules
match (a dry run, run by the worker), read where it stands, and apply it. Applying answers
customers and cannot be undone, so it takes the id of a counted dry run: what was seen is what
is applied."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from service.domain.errors import InvalidInput, NotFound
from service.incidents.backfill import as_json, confirm, get_backfill, start_dry_run
from service.incidents.reads import MAX_ROW_ID
from service.incidents.store import get_incident
from service.web.api.incidents import API_ACTOR, require_token
from service.web.context import services

bp = Blueprint("api_backfill", __name__, url_prefix="/api/v1/incidents")
bp.before_request(require_token)
INCIDENT = f"/<int(max={MAX_ROW_ID}):incident_id>"
BACKFILL = f"{INCIDENT}/backfills/<int(max={MAX_ROW_ID}):backfill_id>"


@bp.post(f"{INCIDENT}/backfills")
def dry_run(incident_id: int) -> tuple[Response, int]:
    """Start a dry run; the worker counts. ``dry_run=false`` is refused: apply a counted one."""
    if request.args.get("dry_run", "true").lower() != "true":
        raise InvalidInput(
            "A backfill starts as a dry run; apply it after reading its count with "
            "POST /api/v1/incidents/{incident_id}/backfills/{backfill_id}/apply."
        )
    with services().db.transaction() as db:
        incident = get_incident(db, incident_id)
        if incident is None:
            raise NotFound(f"There is no incident {incident_id}.")
        backfill = start_dry_run(db, incident, actor=API_ACTOR)
        return jsonify(as_json(db, backfill)), 202


@bp.get(BACKFILL)
def show(incident_id: int, backfill_id: int) -> Response:
    with services().db.transaction() as db:
        return jsonify(as_json(db, get_backfill(db, incident_id, backfill_id)))


@bp.post(f"{BACKFILL}/apply")
def apply(incident_id: int, backfill_id: int) -> tuple[Response, int]:
    with services().db.transaction() as db:
        backfill = confirm(db, get_backfill(db, incident_id, backfill_id), actor=API_ACTOR)
        return jsonify(as_json(db, backfill)), 202
