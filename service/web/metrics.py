"""GET /metrics for Prometheus, to a bearer of INCIDENTDESK_METRICS_TOKEN only (unset: 404)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from service.inbox.queue_metrics import InboxCollector
from service.metrics import exposition, scrape_registry, token_accepted
from service.web.context import services

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    svc = services()
    settings = svc.settings
    if not settings.metrics_token:
        abort(404)
    if not token_accepted(settings.metrics_token, request.headers.get("Authorization")):
        response = Response(
            "send Authorization: Bearer <INCIDENTDESK_METRICS_TOKEN>\n", 401, mimetype="text/plain"
        )
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    registry = scrape_registry(
        multiprocess_dir=settings.metrics_multiprocess_dir, collectors=[InboxCollector(svc.db)]
    )
    body, content_type = exposition(registry)
    return Response(body, 200, content_type=content_type, headers={"Cache-Control": "no-store"})
