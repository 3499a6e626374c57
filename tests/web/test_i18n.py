"""The UI catalogs: the same keys and placeholders in every language, and every key used exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from service.web.i18n import UI_LANGUAGES, catalog

TEMPLATES = Path(__file__).resolve().parents[2] / "service" / "web" / "templates"
WEB_CODE = Path(__file__).resolve().parents[2] / "service" / "web"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogs_have_the_same_keys():
    english = set(catalog("en"))
    for lang in UI_LANGUAGES:
        assert set(catalog(lang)) == english, f"{lang} differs: {set(catalog(lang)) ^ english}"


@pytest.mark.parametrize("lang", UI_LANGUAGES)
def test_every_string_is_translated_with_the_same_placeholders(lang):
    for key, text in catalog(lang).items():
        assert text.strip(), f"{lang}:{key} is empty"
        assert placeholders(text) == placeholders(catalog("en")[key]), f"{lang}:{key} placeholders differ"


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
