"""Duplicate merging in the admin UI: merges, refusals and the merge rules, per incident or for all."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request

from service.incidents.reads import MAX_ROW_ID
from service.incidents.store import get_incident, list_incidents
from service.merging import store
from service.merging.settings_input import InvalidSettings, as_json
from service.web.admin.text_locales import shown_locales
from service.web.auth import login_required
from service.web.context import services

pages = Blueprint("merges", __name__, url_prefix="/admin")
INCIDENT = f"<int(max={MAX_ROW_ID}):incident_id>"


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
            store.change_settings(
                services().db, incident_id, request.form.to_dict(flat=True), actor=f"admin:{g.admin}"
            )
            return redirect(request.path + "?saved=1")
        except InvalidSettings as invalid:
            errors = invalid.errors
    with services().db.transaction() as db:
        merges, refusals = store.listing(db, incident_id)
        rules = store.rules_for(db, incident_id)
        own = store.settings_row(db, incident_id) is not None
        incidents = [] if incident_id else [(i.id, i.title) for i in list_incidents(db)]
    return render_template(
        "merges/overview.html",
        incident=incident,
        incidents=incidents,
        merges=merges,
        refusals=refusals,
        settings=as_json(None, rules),
        # A box for every language a comment is written in, so saving the form keeps them all.
        comment_locales=shown_locales(*rules.comments.values()),
        own_settings=own,
        errors=errors,
        saved=request.args.get("saved") == "1",
    ), 422 if errors else 200
