"""What both webhook endpoints do around their own checks (Zendesk's in ``web/webhooks.py``,
incident sources' in ``web/source_webhooks.py``), written once: read the body within the size
limit, refuse a request (counted, a sample kept for inspection, said why), and store a delivery
in the inbox, or answer 503 with Retry-After when the database fails so that the sender retries.

A stored delivery keeps the request's id and Zendesk's invocation id (``service.logs.safe_id``
of them), so the worker's lines about it carry the same ids as the line written here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import abort, jsonify, make_response, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from service import logs, metrics
from service.inbox import store as inbox
from service.web.context import services
from service.web.request_log import current_request_id

log = logging.getLogger("incidentdesk.webhooks")
INVOCATION_HEADER = "X-Zendesk-Webhook-Invocation-Id"
UNSIGNED_SAMPLE_BYTES = 1024
# Zendesk retries a 503 whose Retry-After is under 60 seconds; a short database outage then
# costs a delay, not the delivery.
RETRY_AFTER_SECONDS = 15


def try_again(error: SQLAlchemyError) -> ResponseReturnValue:
    metrics.WEBHOOK_REJECTED.labels(status="503").inc()
    log.error(
        "webhook delivery not stored, the database failed (%s); asking Zendesk to retry", type(error).__name__
    )
    response = jsonify(
        error=f"The delivery could not be stored right now; nothing was lost on our side. Retry in {RETRY_AFTER_SECONDS} s."
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response, 503


def reject(status: int, reason: str, body: bytes) -> ResponseReturnValue:
    metrics.WEBHOOK_REJECTED.labels(status=str(status)).inc()
    log.warning(
        "webhook rejected (%s): %s; invocation=%s",
        status,
        reason,
        logs.safe_id(request.headers.get(INVOCATION_HEADER)) or "-",
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
        return try_again(error)
    return jsonify(error=reason), status


def limited_body() -> bytes:
    """The request's body; one over the size limit is refused with 413 (the request ends here)."""
    limit = services().settings.max_webhook_bytes
    length = request.content_length
    if length is not None and length > limit:
        abort(make_response(reject(413, f"body of {length} bytes is over the {limit}-byte limit", b"")))
    body = request.get_data(cache=False)
    if len(body) > limit:
        abort(make_response(reject(413, f"body is over the {limit}-byte limit", body[:1024])))
    return body


@dataclass(frozen=True)
class Delivery:
    """What the inbox keeps of a verified delivery."""

    key: str
    event_type: str
    ticket_id: int | None
    payload: str
    handled: bool  # False: kept as "ignored", for the record
    source: str = "zendesk"
    invocation_id: str | None = None


def store(
    delivery: Delivery,
    *,
    described: str,
    logger: logging.Logger,
    status: int,
    log_fields: dict[str, Any] | None = None,
) -> ResponseReturnValue:
    """Commit ``delivery`` to the inbox and acknowledge it with ``status`` (a repeat is a
    no-op), or 503 with Retry-After; the line says "<described> <id> of type ... stored"."""
    invocation_id = logs.safe_id(delivery.invocation_id)
    # The worker's lines for this delivery carry the same key and ids; ended with the request.
    bound = {"delivery_key": delivery.key, "invocation_id": invocation_id}
    logs.bind_until_reset(**{name: value for name, value in bound.items() if value})
    state = "pending" if delivery.handled else "ignored"
    try:
        with services().db.one_statement() as session:
            delivery_id, new = inbox.store(
                session,
                delivery_key=delivery.key,
                source=delivery.source,
                event_type=delivery.event_type,
                ticket_id=delivery.ticket_id,
                payload=delivery.payload,
                state=state,
                request_id=current_request_id(),
                invocation_id=invocation_id,
            )
    except SQLAlchemyError as error:
        return try_again(error)
    metrics.WEBHOOK_DELIVERIES.labels(
        outcome=("stored" if delivery.handled else "ignored") if new else "duplicate"
    ).inc()
    logger.info(
        "%s %s of type %s %s",
        described,
        delivery_id,
        delivery.event_type,
        "stored" if new else "already stored (a repeat)",
        extra={
            "delivery_id": delivery_id,
            "event_type": delivery.event_type,
            "ticket_id": delivery.ticket_id,
            "state": state if new else "duplicate",
            **(log_fields or {}),
        },
    )
    answer = jsonify(accepted=True, delivery_id=delivery_id, duplicate=not new, ignored=not delivery.handled)
    return answer, status
