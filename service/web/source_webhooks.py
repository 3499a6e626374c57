"""POST /webhooks/sources/<token>: an incident source's delivery, verified, committed to the
inbox, then acknowledged (the Zendesk webhook's way). The worker does the rest
(``service.sources.flow``). The token in the URL names the source; it is never logged."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from service import clock, metrics
from service.domain.sources.events import PayloadRefused
from service.domain.sources.signatures import SignatureRefused
from service.inbox import store as inbox
from service.sources.store import inbox_source, source_for_token
from service.sources.verification import verified_event
from service.web import webhooks
from service.web.context import services

log = logging.getLogger("incidentdesk.sources.webhooks")
bp = Blueprint("source_webhooks", __name__, url_prefix="/webhooks/sources")
MAX_TOKEN = 100


def _reject(status: int, reason: str, body: bytes) -> ResponseReturnValue:
    """Refused as the Zendesk webhook refuses: counted, sampled for inspection, said why."""
    response: ResponseReturnValue = webhooks._reject(status, reason, body)
    return response


def _try_again(error: SQLAlchemyError) -> ResponseReturnValue:
    """The database failed: 503 with Retry-After, as the Zendesk webhook answers."""
    response: ResponseReturnValue = webhooks._try_again(error)
    return response


@bp.post("/<token>")
def receive(token: str) -> ResponseReturnValue:
    svc = services()
    settings = svc.settings
    length = request.content_length
    if length is not None and length > settings.max_webhook_bytes:
        return _reject(
            413, f"body of {length} bytes is over the {settings.max_webhook_bytes}-byte limit", b""
        )
    body = request.get_data(cache=False)
    if len(body) > settings.max_webhook_bytes:
        return _reject(413, f"body is over the {settings.max_webhook_bytes}-byte limit", body[:1024])
    try:
        with svc.db.transaction() as session:
            source = source_for_token(session, token[:MAX_TOKEN])
            found = (source.id, source.kind, source.signing_secret) if source else None
    except SQLAlchemyError as error:
        return _try_again(error)
    if found is None:
        return _reject(
            404, "no incident source has this delivery URL; copy it again from the source's page", b""
        )
    source_id, kind, secret = found
    try:
        event = verified_event(
            kind,
            secret,
            dict(request.headers.items()),
            body,
            now=clock.now(),
            max_age_seconds=settings.webhook_max_age_seconds,
        )
    except SignatureRefused as refused:
        return _reject(401, f"signature refused: {refused}", body[: webhooks.UNSIGNED_SAMPLE_BYTES])
    except PayloadRefused as refused:
        return _reject(400, f"unusable {kind} payload: {refused}", body)
    state = "pending" if event.handled else "ignored"
    try:
        with svc.db.transaction() as session:
            delivery_id, new = inbox.store(
                session,
                delivery_key=f"{kind}:{source_id}:{event.delivery_key}"[:200],
                source=inbox_source(source_id),
                event_type=event.event_type,
                ticket_id=None,
                payload=body.decode("utf-8"),
                state=state,
            )
    except SQLAlchemyError as error:
        return _try_again(error)
    metrics.WEBHOOK_DELIVERIES.labels(
        outcome=("stored" if event.handled else "ignored") if new else "duplicate"
    ).inc()
    log.info(
        "source %s delivery %s of type %s %s",
        source_id,
        delivery_id,
        event.event_type,
        "stored" if new else "already stored (a repeat)",
        extra={"delivery_id": delivery_id, "source_id": source_id, "event_type": event.event_type},
    )
    return jsonify(accepted=True, delivery_id=delivery_id, duplicate=not new, ignored=not event.handled), 202
