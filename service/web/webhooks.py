"""POST /webhooks/zendesk: verify, commit to the inbox, then acknowledge. Nothing else here."""

from __future__ import annotations

import logging

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from integrations.base import HelpdeskError
from integrations.zendesk.payloads import PayloadError, PayloadFieldError, WebhookEvent, parse_event
from integrations.zendesk.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify
from service import clock, logs
from service.web import delivery_intake as intake
from service.web.context import services

log = logging.getLogger("incidentdesk.webhooks")
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


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
def receive_zendesk() -> ResponseReturnValue:
    settings = services().settings
    body = intake.limited_body()
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
            return intake.reject(401, f"signature refused: {exc}", body[: intake.UNSIGNED_SAMPLE_BYTES])

    raw_invocation = request.headers.get(intake.INVOCATION_HEADER)
    # The header is not signed: only its plain characters reach the delivery key and the log
    # lines (Zendesk's own ids are plain). One too long for a key is passed on whole, and refused.
    too_long = raw_invocation is not None and len(raw_invocation) > logs.MAX_ID_CHARS
    invocation_id = raw_invocation if too_long else logs.safe_id(raw_invocation)
    try:
        event = parse_event(body, invocation_id)
    except PayloadFieldError as exc:  # readable, but a value cannot be used: say which
        return intake.reject(422, f"unusable payload: {exc}", body)
    except PayloadError as exc:
        return intake.reject(400, f"malformed payload: {exc}", body)

    delivery = intake.Delivery(
        key=event.delivery_key,  # a trigger's key is its invocation id
        event_type=event.event_type,
        ticket_id=event.ticket_id,
        payload=body.decode("utf-8", "replace"),
        handled=event.handled and not _caused_by_us(event),
        invocation_id=invocation_id,
    )
    return intake.store(delivery, described="webhook", logger=log, status=200)
