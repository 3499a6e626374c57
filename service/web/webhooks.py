"""POST /webhooks/zendesk: verify, commit to the inbox, then acknowledge. Nothing else here."""

from __future__ import annotations

import logging

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from integrations.zendesk.payloads import PayloadError, PayloadFieldError, parse_event
from integrations.zendesk.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify
from service import clock, logs
from service.web import delivery_intake as intake
from service.web.context import services

log = logging.getLogger("incidentdesk.webhooks")
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


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
        handled=event.handled,
        invocation_id=invocation_id,
    )
    return intake.store(delivery, described="webhook", logger=log, status=200)
