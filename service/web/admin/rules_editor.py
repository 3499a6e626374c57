"""The rules editor page: an incident's rules by kind, a preview against the helpdesk's recent
tickets before saving, and saving through ``incident_rules.replace_rules``."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from integrations.base import HelpdeskError
from service.domain.incidents import InvalidIncident
from service.incidents.lifecycle_reads import unlinks_per_phrase
from service.incidents.preview import RECENT_LIMIT, preview_rules, recent_tickets
from service.incidents.reads import MAX_ROW_ID
from service.incidents.rules import clean_rules, known_fields_for, replace_rules, rules_as_input
from service.incidents.store import get_incident
from service.web.admin.rules_form import RulesForm
from service.web.auth import login_required
from service.web.context import services

log = logging.getLogger("incidentdesk.web")

bp = Blueprint("rules_editor", __name__, url_prefix="/admin/incidents")


def _page(incident, form: RulesForm, *, errors=None, result=None, helpdesk_failed=False, code=200):
    with services().db.transaction() as db:
        feedback = unlinks_per_phrase(db, incident.id)
    return render_template(
        "incidents/rules.html",
        incident=incident,
        form=form,
        errors=errors or {},
        result=result,
        helpdesk_failed=helpdesk_failed,
        feedback=feedback,
        recent_limit=RECENT_LIMIT,
    ), code


@bp.route(f"/<int(max={MAX_ROW_ID}):incident_id>/rules", methods=["GET", "POST"])
@login_required
def edit(incident_id: int):
    with services().db.transaction() as db:
        incident = get_incident(db, incident_id)
    if incident is None:
        abort(404)
    if request.method == "GET":
        return _page(incident, RulesForm.from_rules(rules_as_input(incident)))

    form = RulesForm.from_request(request.form)
    raw, errors = form.check()
    if not errors:
        try:
            known_fields = known_fields_for(raw, services().helpdesk)
            cleaned = clean_rules(raw, known_fields=known_fields)
        except InvalidIncident as invalid:
            errors = invalid.errors
        except HelpdeskError:
            log.exception("could not list the helpdesk's ticket fields to check a custom field rule")
            return _page(incident, form, helpdesk_failed=True, code=503)
    if errors:
        return _page(incident, form, errors=errors, code=422)
    if request.form.get("action") == "preview":
        try:
            result = preview_rules(cleaned, recent_tickets(services().helpdesk))
        except HelpdeskError:
            log.exception("could not fetch recent tickets for a rules preview")
            return _page(incident, form, helpdesk_failed=True, code=503)
        return _page(incident, form, result=result)
    with services().db.transaction() as db:
        incident = get_incident(db, incident_id)
        if incident is None:
            abort(404)
        replace_rules(db, incident, raw, actor=f"admin:{g.admin}", known_fields=known_fields)
    return redirect(url_for("admin.incident", incident_id=incident_id, done="rules_saved"))
