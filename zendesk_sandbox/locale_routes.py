"""``GET /api/v2/locales``: the account's locales, with Zendesk's id for each and which is the
account's default. The sandbox's account has every locale Zendesk offers enabled."""

from __future__ import annotations

from flask import Blueprint

from .common import base_url, current_state, not_found
from .locales import LOCALES, account_locale

bp = Blueprint("sandbox_locales", __name__)
_CREATED = "2009-07-20T22:55:29Z"


def _render(code: str, default: str) -> dict:
    locale_id, name, rtl = LOCALES[code]
    return {
        "url": f"{base_url()}/api/v2/locales/{code}.json",
        "id": locale_id,
        "locale": code,
        "name": name,
        "native_name": name,
        "presentation_name": name,
        "rtl": rtl,
        "created_at": _CREATED,
        "updated_at": _CREATED,
        "default": code == default,
    }


@bp.get("/api/v2/locales")
def list_locales():
    default = account_locale(current_state())
    return {"locales": [_render(code, default) for code in LOCALES]}


@bp.get("/api/v2/locales/<code>")
def show_locale(code: str):
    match = next((c for c in LOCALES if c.lower() == code.lower() or str(LOCALES[c][0]) == code), None)
    if match is None:
        raise not_found()
    return {"locale": _render(match, account_locale(current_state()))}
