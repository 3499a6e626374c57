"""POST /webhooks/sources/<token>: an incident source's delivery, verified, committed to the
inbox, then acknowledged (the Zendesk webhook's way). The worker does the rest
(``service.sources.flow``). The token in the URL names the source; it is never logged."""

from __future__ import annotations

import logging

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from service import clock
from service.domain.sources.events import PayloadRefused
from service.domain.sources.signatures import SignatureRefused
from service.sources.store import inbox_source, source_for_token
from service.sources.verification import verified_event
from service.web import delivery_intake as intake
from service.web.context import services

log = logging.getLogger("incidentdesk.sources.webhooks")
bp = Blueprint("source_webhooks", __name__, url_prefix="/webhooks/sources")
MAX_TOKEN = 100


@bp.post("/<token>")
def receive(token: str) -> ResponseReturnValue:
    svc = services()
    settings = svc.settings
    body = intake.limited_body()
    try:
        with svc.db.transaction() as session:
            source = source_for_token(session, token[:MAX_TOKEN])
            found = (source.id, source.kind, source.signing_secret) if source else None
    except SQLAlchemyError as error:
        return intake.try_again(error)
    if found is None:
        return intake.reject(
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
        return intake.reject(401, f"signature refused: {refused}", body[: intake.UNSIGNED_SAMPLE_BYTES])
    except PayloadRefused as refused:
        return intake.reject(400, f"unusable {kind} payload: {refused}", body)
    delivery = intake.Delivery(
        key=f"{kind}:{source_id}:{event.delivery_key}"[:200],
        event_type=event.event_type,
        ticket_id=None,
        payload=body.decode("utf-8"),
        handled=event.handled,
        source=inbox_source(source_id),
    )
    return intake.store(
        delivery,
        described=f"source {source_id} delivery",
        logger=log,
        status=202,
        log_fields={"source_id": source_id},
    )
