"""Locales IncidentDesk writes customer texts and UI in, and how a requester's locale is resolved."""

from __future__ import annotations

from collections.abc import Mapping

SUPPORTED_LOCALES: tuple[str, ...] = ("en", "he", "bg")
RTL_LOCALES = frozenset({"he", "ar", "fa", "ur"})
LOCALE_NAMES = {"en": "English", "he": "עברית", "bg": "Български"}


def base_locale(locale: str | None) -> str:
    """'he-IL' -> 'he', 'en_GB' -> 'en', None -> ''."""
    if not locale:
        return ""
    return locale.replace("_", "-").split("-", 1)[0].strip().lower()


def pick_text(
    texts: Mapping[str, str], requester_locale: str | None, default_locale: str = "en"
) -> tuple[str, str]:
    """Choose the text for a requester: their locale, then the incident's default, then English,
    then any text there is. Returns (locale, text)."""
    available = {base_locale(k): v for k, v in texts.items() if v and v.strip()}
    if not available:
        raise ValueError("no status text in any language")
    for candidate in (base_locale(requester_locale), base_locale(default_locale), "en"):
        if candidate in available:
            return candidate, available[candidate]
    first = sorted(available)[0]
    return first, available[first]


def direction(locale: str) -> str:
    return "rtl" if base_locale(locale) in RTL_LOCALES else "ltr"
