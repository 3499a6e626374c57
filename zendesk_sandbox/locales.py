"""Locale codes and the numeric ids Zendesk pairs with them (a small subset)."""

from __future__ import annotations

# Zendesk's own id for en-US is 1; the others are the sandbox's stable stand-ins.
LOCALE_IDS = {
    "en-US": 1,
    "es": 2,
    "de": 8,
    "fr": 16,
    "ru": 27,
    "he": 30,
    "ar": 66,
    "bg": 1004,
    "en-GB": 1176,
    "it": 22,
    "nl": 9,
    "pt-BR": 19,
}
_BY_ID = {v: k for k, v in LOCALE_IDS.items()}


def normalise_locale(code: str | None) -> str:
    """Map what a client sends (``en``, ``HE``, ``en-us``) to the account's locale code."""
    if not code:
        return "en-US"
    lowered = code.lower()
    for known in LOCALE_IDS:
        if known.lower() == lowered:
            return known
    if lowered == "en":
        return "en-US"
    base = lowered.split("-")[0]
    return base if base in LOCALE_IDS else "en-US"


def locale_id_for(code: str) -> int:
    return LOCALE_IDS.get(normalise_locale(code), 1)


def locale_for_id(locale_id) -> str:
    try:
        return _BY_ID.get(int(locale_id), "en-US")
    except (TypeError, ValueError):
        return "en-US"
