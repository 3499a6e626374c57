"""The post-incident report in the admin UI: a page that prints well, and its figures as CSV."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from service.domain.spreadsheet import csv_text
from service.incidents.reads import MAX_ROW_ID
from service.incidents.report import REPORT_HOURS, Report, report
from service.incidents.store import get_incident
from service.web.admin.chart import hourly_chart
from service.web.auth import login_required
from service.web.context import ratings_cache, services

pages = Blueprint("report", __name__, url_prefix="/admin")
INCIDENT = f"/incidents/<int(max={MAX_ROW_ID}):incident_id>"


def _report(db: Session, incident_id: int) -> Report:
    incident = get_incident(db, incident_id)
    if incident is None:
        abort(404)
    return report(db, incident, services().helpdesk, ratings_cache())


@pages.get(f"{INCIDENT}/report")
@login_required
def page(incident_id: int) -> ResponseReturnValue:
    with services().db.transaction() as db:
        found = _report(db, incident_id)
        return render_template(
            "incidents/report.html",
            report=found,
            incident=found.incident,
            chart=hourly_chart(found.per_hour, REPORT_HOURS),
        )


@pages.get(f"{INCIDENT}/report.csv")
@login_required
def spreadsheet(incident_id: int) -> Response:
    with services().db.transaction() as db:
        found = _report(db, incident_id)
        rows: list[tuple[object, object]] = [
            *found.figures(),
            *((f"outreach:{r.campaign}", f"{r.sent}/{r.audience} ({r.purpose})") for r in found.outreach),
            *((f"what_happened:{code}", text) for code, text in sorted(found.incident.what_happened.items())),
            *((f"prevention:{code}", text) for code, text in sorted(found.incident.prevention.items())),
            *(
                (f"rating_comment:{c.ticket_id}", f"{c.score}: {c.text}")
                for c in (found.satisfaction.comments if found.satisfaction else ())
            ),
        ]
    return Response(
        csv_text(("figure", "value"), rows),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="incident-{incident_id}-report.csv"'},
    )
