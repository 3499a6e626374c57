"""Admin UI: incident list, the "declare incident" form, and an incident's detail page."""

from __future__ import annotations

import logging

from flask import Blueprint, g, redirect, render_template, request, url_for
from markupsafe import Markup

from integrations.base import HelpdeskError
from service.domain.adoption import ProblemTicketTaken
from service.domain.incidents import InvalidIncident
from service.domain.moments import utc
from service.inbox.adopted import store_adopted_tickets
from service.incidents.reads import MAX_ROW_ID
from service.incidents.store import declare_incident, list_incidents
from service.web.admin.forms import IncidentForm
from service.web.admin.lifecycle import render_detail
from service.web.auth import login_required
from service.web.context import services

log = logging.getLogger("incidentdesk.web")

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@bp.get("/incidents")
@login_required
def incidents():
    with services().db.transaction() as db:
        rows = list_incidents(db)
    return render_template("incidents/list.html", incidents=rows)


@bp.route("/incidents/new", methods=["GET", "POST"])
@login_required
def new_incident():
    form = IncidentForm()
    errors: dict[str, list[str]] = {}
    helpdesk_failed = conflict = False
    if request.method == "POST":
        form = IncidentForm.from_request(request.form)
        try:
            draft = form.to_draft()
            with services().db.transaction() as db:
                incident = declare_incident(
                    db, services().helpdesk, draft, actor=f"admin:{g.admin}", deliver=store_adopted_tickets
                )
            return redirect(url_for("admin.incident", incident_id=incident.id, declared=1))
        except InvalidIncident as invalid:
            errors = invalid.errors
        except ProblemTicketTaken as taken:  # shown beside the field, as the other refusals are
            errors, conflict = {"problem_ticket_id": [taken.args[0]]}, True
        except HelpdeskError:
            log.exception("the helpdesk refused the problem ticket for a new incident")
            helpdesk_failed = True
    status = 409 if conflict else 422 if errors else 503 if helpdesk_failed else 200
    return render_template(
        "incidents/new.html", form=form, errors=errors, helpdesk_failed=helpdesk_failed
    ), status


@bp.get(f"/incidents/<int(max={MAX_ROW_ID}):incident_id>")
@login_required
def incident(incident_id: int):
    notice = "declared" if request.args.get("declared") == "1" else request.args.get("done")
    return render_detail(incident_id, notice=notice)


@bp.app_template_filter("utc")
def format_utc(moment) -> Markup:
    """A <time> element kept left-to-right, so dates read correctly inside Hebrew text."""
    if not moment:
        return Markup("")
    moment = utc(moment)
    return Markup('<time datetime="{}" dir="ltr">{}</time>').format(
        moment.isoformat(), moment.strftime("%Y-%m-%d %H:%M UTC")
    )
