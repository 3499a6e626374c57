"""Zendesk webhook signatures: base64(HMAC-SHA256(secret, timestamp + raw body))."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"


class SignatureError(ValueError):
    """Why a delivery's signature was refused, in words an operator can act on."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def parse_timestamp(value: str) -> datetime:
    """Zendesk sends ISO 8601 UTC ("2023-09-18T23:38:13Z"); plain epoch seconds are accepted too."""
    text = value.strip()
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text), tz=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (OverflowError, OSError) as exc:  # a year past 9999 or beyond the platform's time_t
        raise ValueError(f"timestamp out of range: {text[:40]!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def verify(
    secret: str,
    signature: str | None,
    timestamp: str | None,
    body: bytes,
    *,
    now: datetime,
    max_age_seconds: int,
) -> None:
    """Raise SignatureError unless the signature is valid and the timestamp is fresh."""
    if not secret:
        raise SignatureError("the service has no webhook signing secret configured (ZENDESK_WEBHOOK_SECRET)")
    if not signature or not timestamp:
        raise SignatureError(f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise SignatureError("signature does not match the body and timestamp for the configured secret")
    try:
        sent_at = parse_timestamp(timestamp)
        age = abs((now - sent_at).total_seconds())
    except (ValueError, OverflowError):  # unreadable, or so far off that the difference overflows
        raise SignatureError(f"unreadable {TIMESTAMP_HEADER}: {timestamp[:40]!r}") from None
    if age > max_age_seconds:
        raise SignatureError(
            f"timestamp is {int(age)} s away from now (limit {max_age_seconds} s): stale or replayed"
        )
