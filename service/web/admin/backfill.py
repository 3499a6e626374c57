"""Admin UI, backfill: an incident's page for answering the customers who wrote before it was
declared. Count first (the worker's dry run, shown with a sample and why each matches), then
confirm, knowing it answers customers and cannot be undone, then watch the progress bar, polled
as JSON by backfill.js."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as Redirect

from service.domain.errors import Conflict, NotFound
from service.incidents.backfill import as_json, confirm, get_backfill, latest, start_dry_run
from service.incidents.reads import MAX_ROW_ID
from service.incidents.store import get_incident
from service.web.auth import login_required
from service.web.context import services
from service.web.i18n import say, translate

bp = Blueprint("backfill", __name__, url_prefix="/admin/incidents")
INCIDENT = f"/<int(max={MAX_ROW_ID}):incident_id>"
BACKFILL = f"{INCIDENT}/backfill/<int(max={MAX_ROW_ID}):backfill_id>"


def _page(incident_id: int, *, error: str | None = None, code: int = 200) -> tuple[str, int]:
    with services().db.transaction() as db:
        incident = get_incident(db, incident_id)
        if incident is None:
            abort(404)
        backfill = latest(db, incident_id)
        shown = as_json(db, backfill) if backfill is not None else None
        window = (backfill.window_start, backfill.window_end) if backfill is not None else None
        return render_template(
            "incidents/backfill.html", incident=incident, backfill=shown, window=window, error=error
        ), code


@bp.get(f"{INCIDENT}/backfill")
@login_required
def page(incident_id: int) -> tuple[str, int]:
    return _page(incident_id)


@bp.post(f"{INCIDENT}/backfill")
@login_required
def count(incident_id: int) -> Redirect | tuple[str, int]:
    try:
        with services().db.transaction() as db:
            incident = get_incident(db, incident_id)
            if incident is None:
                abort(404)
            start_dry_run(db, incident, actor=f"admin:{g.admin}")
    except Conflict as refused:
        return _page(incident_id, error=say(refused), code=409)
    return redirect(url_for("backfill.page", incident_id=incident_id))


@bp.post(f"{BACKFILL}/apply")
@login_required
def apply(incident_id: int, backfill_id: int) -> Redirect | tuple[str, int]:
    if request.form.get("understood") != "yes":
        return _page(incident_id, error=translate("backfill.tick_to_confirm"), code=422)
    try:
        with services().db.transaction() as db:
            confirm(db, get_backfill(db, incident_id, backfill_id), actor=f"admin:{g.admin}")
    except NotFound:
        abort(404)
    except Conflict as refused:
        return _page(incident_id, error=say(refused), code=409)
    return redirect(url_for("backfill.page", incident_id=incident_id))


@bp.get(f"{BACKFILL}/progress")
@login_required
def progress(incident_id: int, backfill_id: int) -> Response:
    """The progress bar's data, polled by backfill.js while the worker has it."""
    try:
        with services().db.transaction() as db:
            shown = as_json(db, get_backfill(db, incident_id, backfill_id))
    except NotFound:
        abort(404)
    shown["state_text"] = translate(f"backfill.state.{shown['state']}")
    shown["count_text"] = translate(
        "backfill.progress_count", done=shown["processed"], total=shown["to_answer"]
    )
    return jsonify(shown)
