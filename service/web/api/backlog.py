"""REST API v1: the dashboard's figures for management, as JSON and as a spreadsheet."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from service import clock
from service.domain.spreadsheet import csv_text
from service.incidents.backlog import COLUMNS, backlog
from service.web.api.incidents import require_token
from service.web.context import services

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
