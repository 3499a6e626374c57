"""The UI catalogs: the same keys and placeholders in every language, and every key used exists."""

from __future__ import annotations

import importlib
import pkgutil
import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import service
from service.domain.phrases import CATALOG_PREFIX, DEFINED
from service.web.i18n import UI_LANGUAGES, catalog, plural_form, say, translate

CATALOGS = Path(__file__).resolve().parents[2] / "service" / "i18n"
TEMPLATES = Path(__file__).resolve().parents[2] / "service" / "web" / "templates"
WEB_CODE = Path(__file__).resolve().parents[2] / "service" / "web"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def ui_strings(lang: str) -> dict:
    """The catalog without the domain's phrases, whose English is in the code (tested below)."""
    return {key: entry for key, entry in catalog(lang).items() if not key.startswith(CATALOG_PREFIX)}


def test_catalogs_have_the_same_keys():
    english = set(ui_strings("en"))
    for lang in UI_LANGUAGES:
        assert set(ui_strings(lang)) == english, f"{lang} differs: {set(ui_strings(lang)) ^ english}"


def every_sentence() -> dict:
    """Every sentence the service defines: importing each module defines its sentences."""
    for module in pkgutil.walk_packages(service.__path__, "service."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    return DEFINED


@pytest.mark.parametrize("lang", [lang for lang in UI_LANGUAGES if lang != "en"])
def test_every_sentence_of_the_code_is_in_every_catalog_with_its_placeholders(lang):
    sentences = every_sentence()
    assert len(sentences) > 50, "the walk found too few sentences"
    phrases = {
        key.removeprefix(CATALOG_PREFIX): entry
        for key, entry in catalog(lang).items()
        if key.startswith(CATALOG_PREFIX)
    }
    assert set(phrases) == set(sentences), f"{lang} differs: {set(phrases) ^ set(sentences)}"
    for key, made in sentences.items():
        english = {p for text in made.forms() for p in placeholders(text)}
        for text in forms(phrases[key]):
            assert placeholders(text) <= english, f"{lang}:{key} names a value the code does not give"
        if made.count_of:
            assert isinstance(phrases[key], dict) and phrases[key]["count_of"] == made.count_of, key


def forms(entry) -> list[str]:
    """A string, or each plural form of a string that depends on a number."""
    return [entry] if isinstance(entry, str) else [v for k, v in entry.items() if k != "count_of"]


@pytest.mark.parametrize("lang", UI_LANGUAGES)
def test_every_string_is_translated_with_the_same_placeholders(lang):
    for key, entry in ui_strings(lang).items():
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


def test_every_translation_is_of_the_current_english():
    """A translator's ``.po`` holds the English it translated (msgid): when the English changes,
    the template or the code says so here until the translation is updated (``pybabel update``)."""
    sentences = every_sentence()
    for folder in sorted({path.parent for path in CATALOGS.rglob("*.po")}):
        template = folder / "messages.pot"
        if template.exists():
            english = {m.context: m.id for m in read_po(template.open("rb")) if m.context}
        else:  # the domain's sentences: their English is in the code
            english = {CATALOG_PREFIX + key: english_id(made) for key, made in sentences.items()}
        for lang in UI_LANGUAGES[1:]:
            po = read_po((folder / f"{lang}.po").open("rb"), locale=lang)
            assert po.num_plurals == len({plural_form(lang, n) for n in range(200)}), folder
            for message in po:
                if message.context:
                    assert message.id == english.get(message.context), (
                        f"{folder.name}/{lang}.po: {message.context}"
                    )


def english_id(made) -> str | tuple[str, str]:
    return made.english if isinstance(made.english, str) else (made.english["one"], made.english["other"])


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


def test_a_phrase_is_said_in_the_visitors_language_with_its_values_and_plural():
    from service.domain.linking.evaluation import REQUESTER_UNLISTED, TAGS_LACKING
    from service.domain.outreach.state import TransitionRefused, next_state

    one = TAGS_LACKING(count=1, tags="vip")
    assert one == "lacks the tag vip" and say(one, "en") == "lacks the tag vip"
    assert say(one, "bg") == "липсва етикетът vip"
    assert say(TAGS_LACKING(count=2, tags="a, b"), "bg") == "липсват етикетите a, b"
    assert say(REQUESTER_UNLISTED(who="7", count=2), "he").endswith("(שני לקוחות)")
    with pytest.raises(TransitionRefused) as refused:
        next_state("done", "launch")
    assert str(refused.value) == "a done campaign cannot launch; it can do nothing more"
    assert say(refused.value, "bg").startswith("кампания в състояние „завършена“ не може да стартира")
    with pytest.raises(TransitionRefused) as refused:
        next_state("running", "launch")
    assert say(refused.value, "he").endswith("אפשר להשהות, לבטל, לסיים")
    assert say("plain text", "he") == "plain text"
