"""Zendesk app (ZAF) authentication for the sidebar.

With ``signedUrls`` on, Zendesk POSTs each location's initial page with a form field ``token``:
a JWT signed RS256 with the app's key pair. Its ``iss`` is the account's host
(``<subdomain>.zendesk.com``), ``aud`` identifies the app installation, ``sub`` the agent and
``exp`` is short, and ``context`` says where the app was opened: for the ticket sidebar, which
ticket (``context.ticket_id``). Once verified, the page gets a sidebar token of our own (signed
with the service's secret key, bound to the account, the agent and that ticket, valid for an hour)
that its script sends in the ``Authorization`` header; no cookie is involved, so a cross-site form
cannot act with it, and the token reads or changes only the ticket it was opened on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jwt
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from service.settings import Settings

SIDEBAR_TOKEN_SALT = "incidentdesk.zaf-sidebar"
SIDEBAR_TOKEN_MAX_AGE = 3600
CLOCK_LEEWAY_SECONDS = 30
_USER_ID = re.compile(r"(\d+)(?:\.json)?$")
_TICKET_ID = re.compile(r"[1-9]\d{0,18}")
MAX_TICKET_ID = 2**63 - 1


class ZafAuthError(Exception):
    """The request is not from our Zendesk app; ``status`` is 401, 400 when a sidebar's signed
    request names no ticket, or 503 when we are not set up."""

    def __init__(self, message: str, status: int = 401):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ZafIdentity:
    account: str  # the account's host, e.g. "acme.zendesk.com"
    user_id: str  # the agent; "" when the token names none
    ticket_id: int | None = None  # the ticket the sidebar was opened on; None for the nav bar

    @property
    def actor(self) -> str:
        return f"zendesk agent {self.user_id}" if self.user_id else "zendesk agent"


def account_host(settings: Settings) -> str:
    return f"{settings.zendesk_subdomain}.zendesk.com"


def _user_id(subject: object) -> str:
    """``sub`` may be a bare id or the user's API URL; keep the id."""
    found = _USER_ID.search(str(subject or ""))
    return found.group(1) if found else ""


def _ticket_id(context: object) -> int | None:
    """The ticket in the signed ``context`` claim, when it names a valid one."""
    raw = context.get("ticket_id") if isinstance(context, dict) else None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return None
    text = str(raw)
    if not _TICKET_ID.fullmatch(text) or int(text) > MAX_TICKET_ID:
        return None
    return int(text)


def verify_zendesk_token(token: str, settings: Settings) -> ZafIdentity:
    public_key = settings.zendesk_app_public_key
    audience = settings.zendesk_app_audience
    if not public_key or not audience:
        raise ZafAuthError(
            "The Zendesk app is not set up on this server yet: an operator must set "
            "ZENDESK_APP_PUBLIC_KEY and ZENDESK_APP_AUDIENCE.",
            status=503,
        )
    if not token:
        raise ZafAuthError(
            "No Zendesk token was sent. Open IncidentDesk from the app in Zendesk "
            "(the app must have signed URLs enabled)."
        )
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=["RS256"],
            audience=audience,
            issuer=account_host(settings),
            leeway=CLOCK_LEEWAY_SECONDS,
            options={"require": ["exp", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise ZafAuthError("The Zendesk token has expired. Reload the app in Zendesk.") from None
    except jwt.InvalidAudienceError:
        raise ZafAuthError(
            "The Zendesk token was issued for another app installation (audience mismatch)."
        ) from None
    except jwt.InvalidIssuerError:
        raise ZafAuthError("The Zendesk token was issued by another Zendesk account.") from None
    except jwt.MissingRequiredClaimError as exc:
        raise ZafAuthError(f"The Zendesk token lacks the '{exc.claim}' claim.") from None
    except jwt.InvalidSignatureError:
        raise ZafAuthError("The Zendesk token's signature does not match this app's public key.") from None
    except jwt.InvalidKeyError:
        raise ZafAuthError(
            "ZENDESK_APP_PUBLIC_KEY is not a usable RSA public key (PEM).", status=503
        ) from None
    except jwt.InvalidTokenError:
        raise ZafAuthError("The Zendesk token is not a valid RS256 JWT.") from None
    return ZafIdentity(
        account=claims["iss"],
        user_id=_user_id(claims.get("sub")),
        ticket_id=_ticket_id(claims.get("context")),
    )


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=SIDEBAR_TOKEN_SALT)


def issue_sidebar_token(identity: ZafIdentity, settings: Settings) -> str:
    return _serializer(settings).dumps(
        {"account": identity.account, "user": identity.user_id, "ticket": identity.ticket_id}
    )


def verify_sidebar_token(authorization: str | None, settings: Settings) -> ZafIdentity:
    """``authorization`` is the request's ``Authorization`` header: ``Bearer <sidebar token>``."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ZafAuthError("Send the sidebar token as 'Authorization: Bearer <token>'.")
    try:
        data = _serializer(settings).loads(token.strip(), max_age=SIDEBAR_TOKEN_MAX_AGE)
    except SignatureExpired:
        raise ZafAuthError("The sidebar session has expired. Reload the app in Zendesk.") from None
    except BadSignature:
        raise ZafAuthError("The sidebar token is not valid. Reload the app in Zendesk.") from None
    if not isinstance(data, dict) or data.get("account") != account_host(settings):
        raise ZafAuthError("The sidebar token belongs to another Zendesk account.")
    ticket = data.get("ticket")
    return ZafIdentity(
        account=data["account"],
        user_id=str(data.get("user") or ""),
        ticket_id=ticket if isinstance(ticket, int) and not isinstance(ticket, bool) else None,
    )


def ticket_refusal(identity: ZafIdentity, ticket_id: int) -> str | None:
    """Why this sidebar token may not read or change ``ticket_id``, or None when it may."""
    if identity.ticket_id is None:
        return (
            "This sidebar token is not for any ticket. Open IncidentDesk from the ticket's sidebar "
            "in Zendesk."
        )
    if identity.ticket_id != ticket_id:
        return (
            f"This sidebar was opened on ticket #{identity.ticket_id}; it cannot read or change "
            f"ticket #{ticket_id}. Open the app on that ticket in Zendesk."
        )
    return None
