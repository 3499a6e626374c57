"""Zendesk's authentication forms: Basic ``{email}/token:{api_token}``, Basic
``{email}:{password}`` (refused, as Zendesk now does for API access), OAuth ``Bearer``."""

from __future__ import annotations

import base64
import binascii

from .common import forbidden, unauthorized
from .state import SandboxState


def authenticate(state: SandboxState, header: str | None) -> int:
    """The id of the user the Authorization header proves, or raise 401/403."""
    if not header:
        raise unauthorized()
    scheme, _, credentials = header.partition(" ")
    with state.lock:
        if scheme.lower() == "bearer":
            user_id = state.oauth_tokens.get(credentials.strip())
        elif scheme.lower() == "basic":
            user_id = _basic(state, credentials.strip())
        else:
            user_id = None
        user = state.users.get(user_id) if user_id else None
        if user is None or not user["active"] or user["suspended"]:
            raise unauthorized()
        if user["role"] not in ("agent", "admin"):
            raise forbidden()
        return user["id"]


def _basic(state: SandboxState, credentials: str) -> int | None:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    login, _, secret = decoded.partition(":")
    if not login.endswith("/token") or secret not in state.api_tokens:
        return None
    user = state.user_by_email(login[: -len("/token")])
    return user["id"] if user else None
