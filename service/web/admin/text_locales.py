"""Which customer-text boxes an admin form shows, and reading every language back from it.

A form shows a box for each admin UI language and for every language the texts already use;
what it reads back is any ``<prefix>_<code>`` field whose code is a Zendesk locale, so a text in
Turkish or Russian is taken however the page was extended.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from service.domain.text.customer_locales import CUSTOMER_LOCALES
from service.domain.text.locales import customer_locale
from service.web.i18n import UI_LANGUAGES


def shown_locales(*used: Iterable[str]) -> tuple[str, ...]:
    """The admin UI's languages first, then the other languages in use, by code."""
    others = {customer_locale(code) for codes in used for code in codes} - set(UI_LANGUAGES) - {None}
    return (*UI_LANGUAGES, *sorted(code for code in others if code))


def blank_texts(*used: Iterable[str]) -> dict[str, str]:
    return dict.fromkeys(shown_locales(*used), "")


def texts_from(form: Mapping[str, str], prefix: str) -> dict[str, str]:
    """Every language's text in the form (NUL removed: it cannot be stored), with an empty box
    for each language shown."""
    given = {
        code: form[f"{prefix}_{code}"].replace("\x00", "")
        for code in CUSTOMER_LOCALES
        if f"{prefix}_{code}" in form
    }
    return {**blank_texts(given), **given}
