"""Liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, jsonify

from service.inbox import store as inbox
from service.web.context import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready when the database answers and is migrated (the inbox table is there to count);
    reports the waiting queue while at it."""
    try:
        with services().db.transaction() as session:
            queue = inbox.queue_depth(session)
            age = inbox.oldest_pending_age(session)
    except Exception as exc:  # any database failure means "not ready", never a 500
        return jsonify(status="unavailable", reason=type(exc).__name__), 503
    return jsonify(status="ready", inbox=queue, oldest_pending_seconds=age)
