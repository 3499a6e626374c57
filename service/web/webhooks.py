"""POST /webhooks/zendesk: verify, commit to the inbox, then acknowledge. Nothing else here."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from integrations.base import HelpdeskError
from integrations.zendesk.payloads import PayloadError, PayloadFieldError, WebhookEvent, parse_event
from integrations.zendesk.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify
from service import clock, logs, metrics
from service.inbox import store as inbox
from service.web.context import services

log = logging.getLogger("incidentdesk.webhooks")
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
INVOCATION_HEADER = "X-Zendesk-Webhook-Invocation-Id"
UNSIGNED_SAMPLE_BYTES = 1024
# Zendesk retries a 503 whose Retry-After is under 60 seconds; a short database outage then
# costs a delay, not the delivery.
RETRY_AFTER_SECONDS = 15


def _try_again(error: SQLAlchemyError):
    metrics.WEBHOOK_REJECTED.labels(status="503").inc()
    log.error(
        "webhook delivery not stored, the database failed (%s); asking Zendesk to retry", type(error).__name__
    )
    response = jsonify(
        error=f"The delivery could not be stored right now; nothing was lost on our side. Retry in {RETRY_AFTER_SECONDS} s."
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response, 503


def _reject(status: int, reason: str, body: bytes):
    metrics.WEBHOOK_REJECTED.labels(status=str(status)).inc()
    log.warning(
        "webhook rejected (%s): %s; invocation=%s",
        status,
        reason,
        request.headers.get(INVOCATION_HEADER, "-"),
    )
    try:
        with services().db.transaction() as session:
            inbox.record_rejection(
                session,
                status_code=status,
                reason=reason,
                headers=dict(request.headers),
                body=body,
                samples_per_hour=services().settings.rejected_samples_per_hour,
            )
    except SQLAlchemyError as error:
        return _try_again(error)
    return jsonify(error=reason), status


def _caused_by_us(event: WebhookEvent) -> bool:
    """An event of IncidentDesk's own write (its actor is our helpdesk user): kept as ignored, so
    our writes do not come back as work, while other agents' and integrations' changes do. The
    id is asked once per process; if it cannot be asked now, the event is handled, which the
    pipeline makes harmless (it reads the ticket and finds nothing left to do). New tickets are
    always handled, ours too, as the trigger-connected webhook sends them."""
    if event.actor_id is None or event.event_type == "ticket.created":
        return False
    try:
        return event.actor_id == services().helpdesk.own_user_id()
    except HelpdeskError:
        return False


@bp.post("/zendesk")
def receive_zendesk():
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

    if not settings.insecure_skip_webhook_signature:
        try:
            verify(
                settings.zendesk_webhook_secret,
                request.headers.get(SIGNATURE_HEADER),
                request.headers.get(TIMESTAMP_HEADER),
                body,
                now=clock.now(),
                max_age_seconds=settings.webhook_max_age_seconds,
            )
        except SignatureError as exc:  # not shown to come from the helpdesk: keep only a sample
            return _reject(401, f"signature refused: {exc}", body[:UNSIGNED_SAMPLE_BYTES])

    try:
        event = parse_event(body, request.headers.get(INVOCATION_HEADER))
    except PayloadFieldError as exc:  # readable, but a value cannot be used: say which
        return _reject(422, f"unusable payload: {exc}", body)
    except PayloadError as exc:
        return _reject(400, f"malformed payload: {exc}", body)

    # The worker's lines for this delivery carry the same key (the invocation id is part of it).
    logs.bind_until_reset(delivery_key=event.delivery_key)  # ended with the request's context
    state = "pending" if event.handled and not _caused_by_us(event) else "ignored"
    try:
        with svc.db.transaction() as session:
            delivery_id, new = inbox.store(
                session,
                delivery_key=event.delivery_key,
                event_type=event.event_type,
                ticket_id=event.ticket_id,
                payload=body.decode("utf-8", "replace"),
                state=state,
            )
    except SQLAlchemyError as error:
        return _try_again(error)
    metrics.WEBHOOK_DELIVERIES.labels(
        outcome=("stored" if event.handled else "ignored") if new else "duplicate"
    ).inc()
    log.info(
        "webhook %s of type %s %s",
        delivery_id,
        event.event_type,
        "stored" if new else "already stored (a repeat)",
        extra={
            "delivery_id": delivery_id,
            "event_type": event.event_type,
            "ticket_id": event.ticket_id,
            "invocation_id": request.headers.get(INVOCATION_HEADER),
            "state": state if new else "duplicate",
        },
    )
    return jsonify(accepted=True, delivery_id=delivery_id, duplicate=not new, ignored=not event.handled), 200
