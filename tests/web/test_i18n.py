"""The UI catalogs: the same keys and placeholders in every language, and every key used exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from service.web.i18n import UI_LANGUAGES, catalog, plural_form, translate

TEMPLATES = Path(__file__).resolve().parents[2] / "service" / "web" / "templates"
WEB_CODE = Path(__file__).resolve().parents[2] / "service" / "web"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogs_have_the_same_keys():
    english = set(catalog("en"))
    for lang in UI_LANGUAGES:
        assert set(catalog(lang)) == english, f"{lang} differs: {set(catalog(lang)) ^ english}"


def forms(entry) -> list[str]:
    """A string, or each plural form of a string that depends on a number."""
    return [entry] if isinstance(entry, str) else [v for k, v in entry.items() if k != "count_of"]


@pytest.mark.parametrize("lang", UI_LANGUAGES)
def test_every_string_is_translated_with_the_same_placeholders(lang):
    for key, entry in catalog(lang).items():
        english = {p for text in forms(catalog("en")[key]) for p in placeholders(text)}
        for text in forms(entry):
            assert text.strip(), f"{lang}:{key} is empty"
            # A form for exactly one may spell the number out ("פנייה אחת") instead of {count}.
            assert placeholders(text) <= english, f"{lang}:{key} placeholders differ"
        if isinstance(entry, dict):
            assert entry["count_of"] in english, f"{lang}:{key} counts a number it does not show"


@pytest.mark.parametrize("lang", UI_LANGUAGES)
def test_plural_strings_have_every_form_their_language_uses(lang):
    needed = {plural_form(lang, n) for n in range(0, 200)}
    for key, entry in catalog(lang).items():
        if isinstance(entry, dict):
            assert needed <= set(entry) - {"count_of"}, f"{lang}:{key} lacks {needed - set(entry)}"


def test_plurals_follow_each_language():
    assert translate("rules.preview_near", "en", near=1) == "1 near miss."
    assert translate("rules.preview_near", "en", near=2) == "2 near misses."
    assert translate("rules.preview_near", "bg", near=1) == "1 почти съвпадение."
    assert translate("rules.preview_near", "bg", near=5) == "5 почти съвпадения."
    assert translate("rules.preview_near", "he", near=2) == "2 כמעט-התאמות."
    assert translate("lifecycle.confirm_resolve", "he", count=1).startswith("לסגור את התקרית? לקוח אחד")


def test_translations_are_in_their_own_script():
    assert re.search("[\u0590-\u05ff]", catalog("he")["nav.incidents"])
    assert re.search("[\u0400-\u04ff]", catalog("bg")["nav.incidents"])


def test_every_literal_key_used_exists():
    used: set[str] = set()
    for path in [*TEMPLATES.rglob("*.html"), *WEB_CODE.glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\b(?:t|translate)\(\s*["\']([a-z0-9_.]+)["\']\s*[,)]', text))
    assert used, "no keys found; the pattern is wrong"
    assert used - set(catalog("en")) == set()


def test_composed_keys_exist():
    """Keys built in templates from values: states, severities, stages, rule kinds, error codes."""
    english = catalog("en")
    for prefix, values in {
        "state": ("active", "resolved"),
        "severity": ("minor", "major", "critical"),
        "stage": ("investigating", "identified", "monitoring", "resolved"),
        "rule": ("phrase", "exclude_phrase"),
        "link": ("linked", "unlinked"),
    }.items():
        for value in values:
            assert f"{prefix}.{value}" in english
    for code in (400, 401, 403, 404, 405, 413, 422, 500):
        assert f"error.{code}.title" in english and f"error.{code}.text" in english
