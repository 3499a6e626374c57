"""REST API v1 for management: where the backlog stands (JSON and a spreadsheet), and an
incident's post-incident report."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue

from service import clock
from service.domain.moments import utc
from service.domain.spreadsheet import csv_text
from service.incidents.backlog import COLUMNS, backlog
from service.incidents.reads import MAX_ROW_ID
from service.incidents.report import report
from service.incidents.store import get_incident
from service.web.api.incidents import require_token
from service.web.api.lifecycle_schemas import TimelineEntrySchema
from service.web.context import ratings_cache, services
from service.web.errors import json_error

bp = Blueprint("backlog_api", __name__, url_prefix="/api/v1")
bp.before_request(require_token)


@bp.get("/backlog")
def as_json() -> Response:
    with services().db.transaction() as db:
        return jsonify(backlog(db, clock.now()).as_json())


@bp.get("/backlog.csv")
def as_csv() -> Response:
    with services().db.transaction() as db:
        report = backlog(db, clock.now())
    return Response(
        csv_text(COLUMNS, report.csv_rows()),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="incidentdesk-backlog.csv"'},
    )


@bp.get(f"/incidents/<int(max={MAX_ROW_ID}):incident_id>/report")
def incident_report(incident_id: int) -> ResponseReturnValue:
    with services().db.transaction() as db:
        incident = get_incident(db, incident_id)
        if incident is None:
            missing: ResponseReturnValue = json_error(404, f"There is no incident {incident_id}.")
            return missing
        found = report(db, incident, services().helpdesk, ratings_cache())
        return jsonify(
            {
                "incident_id": incident_id,
                "what_happened": dict(incident.what_happened),
                "prevention": dict(incident.prevention),
                "figures": {name: safe_value(value) for name, value in found.figures()},
                "outreach": [asdict(r) for r in found.outreach],
                "timeline": TimelineEntrySchema(many=True, exclude=("broadcast",)).dump(found.timeline),
                "tickets_per_hour": {
                    utc(hour).isoformat(): count for hour, count in sorted(found.per_hour.items())
                },
                "rating_comments": [
                    {
                        "ticket_id": c.ticket_id,
                        "score": c.score,
                        "comment": c.text,
                        "created_at": c.created_at.isoformat(),
                    }
                    for c in (found.satisfaction.comments if found.satisfaction else ())
                ],
            }
        )


def safe_value(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value
