"""Zendesk's locales: codes, the numeric ids Zendesk pairs with them, names and direction, and
the account's default locale (the one every new user gets). Sources are in the README."""

from __future__ import annotations

# code: (id, native name, written right to left). Ids 1, 2, 8, 9, 10 and 13 are Zendesk's own;
# the others are the sandbox's stable stand-ins.
LOCALES: dict[str, tuple[int, str, bool]] = {
    "en-US": (1, "English", False),
    "es": (2, "Español", False),
    "de": (8, "Deutsch", False),
    "zh-tw": (9, "繁體中文", False),
    "zh-cn": (10, "简体中文", False),
    "pl": (13, "Polski", False),
    "fr": (16, "Français", False),
    "pt-BR": (19, "Português (Brasil)", False),
    "it": (22, "Italiano", False),
    "ru": (27, "Русский", False),
    "he": (30, "עברית", True),
    "ar": (66, "العربية", True),
    "bg": (1004, "български", False),
    "en-GB": (1176, "English (United Kingdom)", False),
    "nl": (1005, "Nederlands", False),
    "cs": (1006, "Čeština", False),
    "da": (1007, "Dansk", False),
    "fi": (1008, "Suomi", False),
    "fr-ca": (1009, "Français (Canada)", False),
    "el": (1010, "Ελληνικά", False),
    "hi": (1011, "हिन्दी", False),
    "hu": (1012, "Magyar", False),
    "id": (1013, "Bahasa Indonesia", False),
    "ja": (1014, "日本語", False),
    "ko": (1015, "한국어", False),
    "no": (1016, "Norsk", False),
    "ro": (1017, "Română", False),
    "sk": (1018, "Slovenčina", False),
    "sv": (1019, "Svenska", False),
    "th": (1020, "ไทย", False),
    "tr": (1021, "Türkçe", False),
    "uk": (1022, "Українська", False),
    "vi": (1023, "Tiếng Việt", False),
    "en-ca": (1024, "English (Canada)", False),
    "pt": (1025, "Português", False),
    "es-419": (1026, "Español (Latinoamérica)", False),
    "es-es": (1027, "Español (España)", False),
    "fa": (1028, "فارسی", True),
    "ur": (1029, "اردو", True),
}
LOCALE_IDS = {code: entry[0] for code, entry in LOCALES.items()}
_BY_ID = {v: k for k, v in LOCALE_IDS.items()}
DEFAULT_LOCALE = "en-US"


def known_locale(code: str | None) -> str | None:
    """Zendesk's spelling of a locale a client sends (``en``, ``HE``, ``pt-br``, ``he-IL``), or None."""
    if not code:
        return None
    lowered = code.replace("_", "-").lower()
    for known in LOCALE_IDS:
        if known.lower() == lowered:
            return known
    if lowered == "en":
        return "en-US"
    base = lowered.split("-")[0]
    return base if base in LOCALE_IDS else None


def normalise_locale(code: str | None, default: str = DEFAULT_LOCALE) -> str:
    """``known_locale``, else ``default`` (the account's locale)."""
    return known_locale(code) or default


def locale_id_for(code: str) -> int:
    return LOCALE_IDS.get(normalise_locale(code), 1)


def locale_for_id(locale_id) -> str | None:
    try:
        return _BY_ID.get(int(locale_id))
    except (TypeError, ValueError):
        return None


def account_locale(state) -> str:
    """The account's default locale (``/_sandbox/account_settings`` changes it)."""
    return state.account_settings.get("default_locale", DEFAULT_LOCALE)
