"""Is this delivery from the source? Each vendor's scheme, then the payload read into an event.

incident.io signs with Standard Webhooks (https://www.standardwebhooks.com, spec 1.0.0):
``webhook-signature: v1,<base64 HMAC-SHA256>`` (space-separated, several while a secret rotates)
over ``<webhook-id>.<webhook-timestamp>.<body>``, keyed with the base64-decoded secret after
``whsec_``. The maintained ``standardwebhooks`` library computes the signature (its key handling
is the spec's); the timestamp window is checked here against ``service.clock``, so tests can
replay the official vectors at their own time. Svix's unbranded ``svix-*`` headers are taken too.
Statuspage signs nothing: the delivery URL's unguessable token, already matched, is the proof.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from service.domain.sources.events import SourceEvent, SourceKind, read_event
from service.domain.sources.signatures import (
    GENERIC_SIGNATURE_HEADER,
    PAGERDUTY_SIGNATURE_HEADER,
    SignatureRefused,
    check_fresh,
    verify_generic,
    verify_pagerduty,
)


def _header(headers: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = headers.get(name)
        if value:
            return value
    return None


def verify_standard_webhook(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: datetime, max_age_seconds: int
) -> str:
    """Verify and return the message id (``webhook-id``), the delivery's idempotency key."""
    message_id = _header(headers, "webhook-id", "svix-id")
    timestamp = _header(headers, "webhook-timestamp", "svix-timestamp")
    signatures = _header(headers, "webhook-signature", "svix-signature")
    if not (message_id and timestamp and signatures):
        raise SignatureRefused(
            "the webhook-id, webhook-timestamp and webhook-signature headers are all needed"
        )
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise SignatureRefused("webhook-timestamp must be whole Unix seconds")
    try:
        sent_at = datetime.fromtimestamp(int(timestamp), UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureRefused("webhook-timestamp is not a time") from None
    check_fresh(sent_at, now, max_age_seconds)
    try:
        expected = Webhook(secret).sign(message_id, sent_at, body.decode("utf-8")).split(",", 1)[1]
        expected_bytes = base64.b64decode(expected)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise SignatureRefused("the body is not UTF-8, or this source's secret is unusable") from None
    matched = False
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version != "v1":  # v1a (ed25519) and unknown schemes are skipped, as the spec says
            continue
        try:
            given = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            continue
        matched |= hmac.compare_digest(expected_bytes, given)
    if not matched:
        raise SignatureRefused("no v1 signature matches the body with this source's secret")
    return message_id


def verified_event(
    kind: str, secret: str, headers: Mapping[str, str], body: bytes, *, now: datetime, max_age_seconds: int
) -> SourceEvent:
    """The delivery's event, once its signature (where the vendor signs) has been checked.
    ``SignatureRefused`` or ``PayloadRefused`` say what is wrong."""
    headers = {name.lower(): value for name, value in headers.items()}
    if kind == SourceKind.PAGERDUTY:
        verify_pagerduty(secret, headers.get(PAGERDUTY_SIGNATURE_HEADER.lower()), body)
    elif kind == SourceKind.INCIDENT_IO:
        verify_standard_webhook(secret, headers, body, now=now, max_age_seconds=max_age_seconds)
    elif kind == SourceKind.GENERIC:
        verify_generic(secret, headers.get(GENERIC_SIGNATURE_HEADER.lower()), body)
    event = read_event(kind, body, headers)
    if event.sent_at is not None:  # the generic source's signed time bounds replays
        check_fresh(event.sent_at, now, max_age_seconds)
    return event
