"""Customer-text locales: which codes a customer text may be written in, how a requester's
locale falls back to the texts there are, and which way each language is written.

These are the languages of the helpdesk's customers (``customer_locales``), not the admin UI's
own languages, which the web layer keeps (``service.web.i18n.UI_LANGUAGES``).
"""

from __future__ import annotations

from collections.abc import Mapping

from service.domain.text.customer_locales import ALIASES, CUSTOMER_LOCALES

# Languages written right to left, and the scripts that make a tag such as ``ku-arab`` one.
RTL_LANGUAGES = frozenset({"ar", "he", "iw", "fa", "ur", "yi", "ps", "dv", "sd", "ug", "ckb", "syr"})
RTL_SCRIPTS = frozenset({"arab", "hebr", "thaa", "syrc", "nkoo", "adlm", "rohg"})
FALLBACK_LOCALE = "en"


def _tag(locale: str | None) -> str:
    return (locale or "").strip().replace("_", "-").lower()


def base_locale(locale: str | None) -> str:
    """'he-IL' -> 'he', 'en_GB' -> 'en', None -> ''."""
    return _tag(locale).split("-", 1)[0]


def customer_locale(locale: str | None) -> str | None:
    """The code a customer text in this locale is keyed with, or None when Zendesk has no such
    language: 'pt-BR' -> 'pt-br', 'en-US' -> 'en', 'he-IL' -> 'he', 'xx' -> None."""
    tag = _tag(locale)
    tag = ALIASES.get(tag, tag)
    if tag in CUSTOMER_LOCALES:
        return tag
    base = ALIASES.get(base_locale(tag), base_locale(tag))
    return base if base in CUSTOMER_LOCALES else None


def locale_name(locale: str) -> str:
    """The language's own name ('Türkçe'), or the code itself when it is not a customer locale."""
    return CUSTOMER_LOCALES.get(customer_locale(locale) or "", locale)


def _narrowing(locale: str | None) -> list[str]:
    """'pt-br' -> ['pt-br', 'pt']; 'zh-hant-tw' -> ['zh-hant-tw', 'zh-hant', 'zh']."""
    parts = _tag(locale).split("-")
    tags = ["-".join(parts[:n]) for n in range(len(parts), 0, -1) if parts[0]]
    return [ALIASES.get(t, t) for t in tags]


def fallback_chain(locale: str | None, default_locale: str | None) -> tuple[str, ...]:
    """The locales to try for a requester, best first: theirs, its broader forms, the incident's
    default (and its broader forms), then English. ``pt-br`` with default ``he``:
    ``('pt-br', 'pt', 'he', 'en')``."""
    chain = [*_narrowing(locale), *_narrowing(default_locale), FALLBACK_LOCALE]
    return tuple(dict.fromkeys(chain))


def pick_text(
    texts: Mapping[str, str], requester_locale: str | None, default_locale: str = FALLBACK_LOCALE
) -> tuple[str, str]:
    """Choose the text for a requester along ``fallback_chain``, then any text there is (the
    first by code, so the choice is predictable). Returns (locale, text)."""
    available = {customer_locale(k) or _tag(k): v for k, v in texts.items() if v and v.strip()}
    if not available:
        raise ValueError("no status text in any language")
    for candidate in fallback_chain(requester_locale, default_locale):
        if candidate in available:
            return candidate, available[candidate]
    first = sorted(available)[0]
    return first, available[first]


def direction(locale: str | None) -> str:
    """'rtl' for a language written right to left (any Arabic- or Hebrew-script tag too)."""
    subtags = _tag(locale).split("-")
    rtl = subtags[0] in RTL_LANGUAGES or any(s in RTL_SCRIPTS for s in subtags[1:])
    return "rtl" if rtl else "ltr"
