"""``GET /api/v2/locales``: the account's enabled locales, with Zendesk's id for each."""

from __future__ import annotations

from flask import Blueprint

from .common import base_url, not_found
from .locales import LOCALE_IDS

bp = Blueprint("sandbox_locales", __name__)
NAMES = {
    "en-US": "English",
    "es": "Español",
    "de": "Deutsch",
    "fr": "Français",
    "ru": "Русский",
    "he": "עברית",
    "ar": "العربية",
    "bg": "български",
    "en-GB": "English (United Kingdom)",
    "it": "Italiano",
    "nl": "Nederlands",
    "pt-BR": "Português (Brasil)",
}
RTL = {"he", "ar"}
_CREATED = "2009-07-20T22:55:29Z"


def _render(code: str) -> dict:
    return {
        "url": f"{base_url()}/api/v2/locales/{code}.json",
        "id": LOCALE_IDS[code],
        "locale": code,
        "name": NAMES.get(code, code),
        "native_name": NAMES.get(code, code),
        "presentation_name": NAMES.get(code, code),
        "rtl": code in RTL,
        "created_at": _CREATED,
        "updated_at": _CREATED,
        "default": code == "en-US",
    }


@bp.get("/api/v2/locales")
def list_locales():
    return {"locales": [_render(code) for code in LOCALE_IDS]}


@bp.get("/api/v2/locales/<code>")
def show_locale(code: str):
    match = next((c for c in LOCALE_IDS if c.lower() == code.lower() or str(LOCALE_IDS[c]) == code), None)
    if match is None:
        raise not_found()
    return {"locale": _render(match)}
