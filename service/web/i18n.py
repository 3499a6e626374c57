"""UI strings from gettext catalogs and the visitor's chosen language.

Each folder of ``service/i18n`` (the root, and one per feature) holds ``messages.pot``, the
English template, and one ``<lang>.po`` per other language, the way Babel's ``pybabel init`` /
``pybabel update -i messages.pot`` make and refresh them. An entry's ``msgctxt`` is the key the
code names; a text that depends on a number has its plural forms and a ``count_of: <value>``
comment naming that number. The domain's sentences (``phrases/``) have no template: their
English is in the code, which ``tests/web/test_i18n.py`` compares with every ``.po``.

The language lives in the session; until the visitor picks one, the browser's Accept-Language
decides. Templates call ``t("detail.chart_summary", total=3, ...)``; a missing key falls back to
English, then to the key itself, so a gap in a catalog is visible but never breaks a page.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from flask import Flask, request, session

from service.domain.phrases import CATALOG_PREFIX, Phrase
from service.domain.text.locales import direction, locale_name

CATALOG_DIR = Path(__file__).resolve().parent.parent / "i18n"
# The admin UI's own languages (its catalogs); customers are written to in any Zendesk locale.
UI_LANGUAGES: tuple[str, ...] = ("en", "he", "bg")
FALLBACK = "en"


Entry = str | dict[str, str]  # a text, or its CLDR plural forms with "count_of"
COUNT_OF = "count_of: "


@cache
def catalog(lang: str) -> dict[str, Entry]:
    """The language's texts by key: every folder's ``<lang>.po`` (English: ``messages.pot``).
    An untranslated entry is left out, so the English shows instead."""
    file_name = "messages.pot" if lang == FALLBACK else f"{lang}.po"
    merged: dict[str, Entry] = {}
    for path in sorted(CATALOG_DIR.rglob(file_name)):
        with open(path, "rb") as fh:
            po = read_po(fh, locale=None if lang == FALLBACK else lang)
        forms = _forms_by_index(po, lang)
        for message in po:
            if message.context and (entry := _entry(message, forms, english=lang == FALLBACK)):
                merged[message.context] = entry
    return merged


def _entry(message: Message, forms: tuple[str, ...], english: bool) -> Entry | None:
    texts = message.id if english else message.string
    if isinstance(texts, str) or texts is None:
        return texts or None
    named = dict(zip(("one", "other") if english else forms, texts, strict=False))
    count_of = next(c.removeprefix(COUNT_OF) for c in message.auto_comments if c.startswith(COUNT_OF))
    return {"count_of": count_of, **named} if all(named.values()) else None


def _forms_by_index(po: Catalog, lang: str) -> tuple[str, ...]:
    """The CLDR plural form each ``msgstr[i]`` of the file holds, by trying numbers on its
    Plural-Forms expression (gettext's index) and on the language's CLDR rule (Babel's name)."""
    if lang == FALLBACK:
        return ("one", "other")
    index_of = gettext.c2py(po.plural_expr)
    named: dict[int, str] = {}
    for number in range(200):
        named.setdefault(index_of(number), plural_form(lang, number))
    return tuple(named[index] for index in range(po.num_plurals))


def current_language() -> str:
    chosen = session.get("lang")
    if isinstance(chosen, str) and chosen in UI_LANGUAGES:
        return chosen
    return request.accept_languages.best_match(UI_LANGUAGES) or FALLBACK


def translate(key: str, lang: str | None = None, **values: object) -> str:
    """The catalog's text for ``key`` in ``lang``, with ``values`` filled in. A text that depends
    on a number is an object of CLDR plural forms ("one", "two", "other", ...) naming its number
    in "count_of"; Babel picks the form the language uses for that number."""
    lang = lang or current_language()
    entry = catalog(lang).get(key) or catalog(FALLBACK).get(key) or key
    if isinstance(entry, dict):
        count = values.get(entry["count_of"], 0)
        form = plural_form(lang, count if isinstance(count, int) else 0)
        entry = entry.get(form) or entry["other"]
    return entry.format(**values) if values else entry


@cache
def _plural_rule(lang: str) -> Callable[[int], str]:
    return Locale.parse(lang).plural_form


def plural_form(lang: str, count: int) -> str:
    """The CLDR plural category of ``count`` in ``lang`` (Hebrew has "two", Bulgarian does not)."""
    return _plural_rule(lang)(abs(count))


def say(message: object, lang: str | None = None) -> str:
    """A message for people in the visitor's language: a domain ``Phrase`` (or an error raised with
    one) from its catalog entry, its English where the catalog has none; anything else as it is."""
    if isinstance(message, BaseException) and message.args:
        message = message.args[0]
    if not isinstance(message, Phrase):
        return str(message)
    lang = lang or current_language()
    key = CATALOG_PREFIX + message.key
    if key not in catalog(lang):
        return str(message)
    values = {name: _said(value, lang) for name, value in message.values.items()}
    return translate(key, lang, **values)


def _said(value: object, lang: str) -> object:
    """A phrase's value in ``lang``: a phrase said, a tuple of them listed, anything else kept."""
    if isinstance(value, tuple):
        return ", ".join(say(item, lang) for item in value)
    return say(value, lang) if isinstance(value, Phrase) else value


def has_text(key: str) -> bool:
    return key in catalog(FALLBACK)


def actor_name(actor: str) -> str:
    """Who did it, as people say it: an admin by name, the API, a Zendesk agent, or IncidentDesk."""
    if actor.startswith("admin:"):
        return actor.split(":", 1)[1]
    if actor in ("api", "worker", "system", ""):
        return translate(f"actor.{actor or 'system'}")
    return actor


def register_i18n(app: Flask) -> None:
    # Globals, not context, so imported template macros can translate too.
    app.jinja_env.globals.update(
        t=translate,
        say=say,
        has_text=has_text,
        actor_name=actor_name,
        ui_languages=[(code, locale_name(code)) for code in UI_LANGUAGES],
    )

    @app.context_processor
    def _i18n_context() -> dict[str, str]:
        lang = current_language()
        return {"ui_lang": lang, "ui_dir": direction(lang)}
