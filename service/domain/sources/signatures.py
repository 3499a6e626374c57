"""Signatures of the incident tools that sign with a plain shared secret (standard library only).

PagerDuty v3: ``X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]``, each the hex HMAC-SHA256 of the
raw body keyed with the subscription secret as its literal bytes; several entries appear while a
secret is rotated, and any one matching is enough. There is no timestamp: replays are caught by
the delivery key. (https://developer.pagerduty.com/docs/verifying-signatures)

The generic source: ``X-IncidentDesk-Signature: sha256=<hex>`` of the raw body with the source's
shared secret; its ``sent_at`` field (inside the signed body) bounds replays (README, "Incident
sources"). Standard Webhooks (incident.io) is verified with its maintained library in
``service.sources.verification``.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from service.domain.errors import IncidentDeskError

PAGERDUTY_SIGNATURE_HEADER = "X-PagerDuty-Signature"
GENERIC_SIGNATURE_HEADER = "X-IncidentDesk-Signature"


class SignatureRefused(IncidentDeskError):
    """The request is not shown to come from the source; the message says what was wrong."""


def _hex_digest(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _any_matches(expected: str, candidates: list[str]) -> bool:
    # Every candidate is compared (no early exit), each in constant time.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(
            expected.encode("ascii"), candidate.strip().lower().encode("ascii", "replace")
        )
    return matched


def verify_pagerduty(secret: str, header: str | None, body: bytes) -> None:
    if not secret:
        raise SignatureRefused("this source has no signing secret; add the subscription's secret first")
    if not header:
        raise SignatureRefused(f"the {PAGERDUTY_SIGNATURE_HEADER} header is missing")
    entries = [part.strip() for part in header.split(",")]
    v1 = [entry.removeprefix("v1=") for entry in entries if entry.startswith("v1=")]
    if not v1:
        raise SignatureRefused(f"the {PAGERDUTY_SIGNATURE_HEADER} header has no v1= signature")
    if not _any_matches(_hex_digest(secret, body), v1):
        raise SignatureRefused("no v1 signature matches the body with this source's secret")


def sign_generic(secret: str, body: bytes) -> str:
    """The header value a generic sender puts in X-IncidentDesk-Signature."""
    return f"sha256={_hex_digest(secret, body)}"


def verify_generic(secret: str, header: str | None, body: bytes) -> None:
    if not header:
        raise SignatureRefused(f"the {GENERIC_SIGNATURE_HEADER} header is missing")
    given = [
        part.strip().removeprefix("sha256=")
        for part in header.split(",")
        if part.strip().startswith("sha256=")
    ]
    if not given:
        raise SignatureRefused(f"the {GENERIC_SIGNATURE_HEADER} header has no sha256= signature")
    if not _any_matches(_hex_digest(secret, body), given):
        raise SignatureRefused("the signature does not match the body with this source's secret")


def check_fresh(sent_at: datetime, now: datetime, max_age_seconds: int) -> None:
    """Refuse a signed time outside the replay window (either way, for clocks that disagree)."""
    skew = (now - sent_at).total_seconds()
    if skew > max_age_seconds:
        raise SignatureRefused(
            f"the delivery was signed {int(skew)} s ago, over the {max_age_seconds} s window (a replay?)"
        )
    if -skew > max_age_seconds:
        raise SignatureRefused(
            f"the delivery's time is {int(-skew)} s in the future; check the sender's clock"
        )
