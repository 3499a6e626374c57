"""The languages customers can be written to in: every locale Zendesk Support offers, by the
code IncidentDesk keys customer texts with, and its name in that language.

The codes are Zendesk's, in lower case (``pt-br``, ``zh-tw``, ``es-419``), except English,
whose Zendesk code ``en-US`` is plain ``en`` here: texts written before this list existed are
keyed ``en``, and every English variant falls back to it. Source: Zendesk's "Zendesk language
support by product" (https://support.zendesk.com/hc/en-us/articles/203761906), the Support
languages and their variants; Persian and Urdu are further languages accounts enable, as the
sandbox's README says.
"""

from __future__ import annotations

CUSTOMER_LOCALES: dict[str, str] = {
    "ar": "العربية",
    "bg": "Български",
    "cs": "Čeština",
    "da": "Dansk",
    "de": "Deutsch",
    "el": "Ελληνικά",
    "en": "English",
    "en-ca": "English (Canada)",
    "en-gb": "English (United Kingdom)",
    "es": "Español",
    "es-419": "Español (Latinoamérica)",
    "es-es": "Español (España)",
    "fa": "فارسی",
    "fi": "Suomi",
    "fr": "Français",
    "fr-ca": "Français (Canada)",
    "he": "עברית",
    "hi": "हिन्दी",
    "hu": "Magyar",
    "id": "Bahasa Indonesia",
    "it": "Italiano",
    "ja": "日本語",
    "ko": "한국어",
    "nl": "Nederlands",
    "no": "Norsk",
    "pl": "Polski",
    "pt": "Português",
    "pt-br": "Português (Brasil)",
    "ro": "Română",
    "ru": "Русский",
    "sk": "Slovenčina",
    "sv": "Svenska",
    "th": "ไทย",
    "tr": "Türkçe",
    "uk": "Українська",
    "ur": "اردو",
    "vi": "Tiếng Việt",
    "zh-cn": "简体中文",
    "zh-tw": "繁體中文",
}

# Codes that name the same language as a listed one: Zendesk's English, and older or regional
# spellings clients send.
ALIASES: dict[str, str] = {"en-us": "en", "iw": "he", "nb": "no", "zh-hans": "zh-cn", "zh-hant": "zh-tw"}
