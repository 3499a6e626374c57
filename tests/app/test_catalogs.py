"""The sidebar's strings: the same keys in every language, and every key the page uses exists."""

from __future__ import annotations

import re
from pathlib import Path

from service.web import i18n
from service.web.i18n import UI_LANGUAGES

ROOT = Path(__file__).resolve().parents[2] / "service"


def catalog(lang: str) -> dict[str, str]:
    """The sidebar's texts from every catalog folder, as the service loads them."""
    return {key: text for key, text in i18n.catalog(lang).items() if key.startswith("sidebar.")}


def test_every_language_has_every_sidebar_string():
    english = catalog("en")
    for lang in UI_LANGUAGES:
        strings = catalog(lang)
        assert set(strings) == set(english), lang
        assert all(text.strip() for text in strings.values()), lang
        for key, text in english.items():  # placeholders survive translation
            assert set(re.findall(r"\{\w+\}", strings[key])) == set(re.findall(r"\{\w+\}", text)), (lang, key)
    assert catalog("he")["sidebar.dir"] == "rtl" and catalog("bg")["sidebar.dir"] == "ltr"


def test_every_key_the_pages_and_script_use_is_in_the_catalog():
    sources = [
        ROOT / "web" / "static" / "app_sidebar.js",
        *sorted((ROOT / "web" / "templates" / "app").glob("*.html")),
    ]
    used = set()
    for path in sources:
        used |= set(re.findall(r"""["'](sidebar\.[a-z_.]+[a-z])["']""", path.read_text(encoding="utf-8")))
    assert {"sidebar.unlink", "sidebar.why_vip", "sidebar.nav_open"} <= used
    assert used - set(catalog("en")) == set()
