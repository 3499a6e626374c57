"""Customer-text locales: every Zendesk language, the fallback chain, the direction, and which
language a reply is written in (profile set on purpose, else the customer's own words)."""

import pytest

from service.domain.errors import InvalidInput
from service.domain.incidents import clean_draft, clean_status
from service.domain.outreach.audience import Customer
from service.domain.outreach.messages import Message, clean_messages, render_for
from service.domain.text.locales import customer_locale, direction, fallback_chain, pick_text
from service.domain.text.reply_language import (
    DetectedLanguage,
    LanguageSource,
    explain_language,
    reply_language,
)


@pytest.mark.parametrize(
    "given, expected",
    [
        ("ru", "ru"),
        ("AR", "ar"),
        ("tr", "tr"),
        ("ro", "ro"),
        ("pt-BR", "pt-br"),
        ("pt_BR", "pt-br"),
        ("en-US", "en"),
        ("en-GB", "en-gb"),
        ("he-IL", "he"),
        ("iw", "he"),
        ("zh-TW", "zh-tw"),
        ("tlh", None),
        ("", None),
        (None, None),
    ],
)
def test_a_customer_locale_is_any_language_zendesk_has(given, expected):
    assert customer_locale(given) == expected


def test_the_fallback_chain_narrows_then_takes_the_default_then_english():
    assert fallback_chain("pt-BR", "he") == ("pt-br", "pt", "he", "en")
    assert fallback_chain("es-419", "en") == ("es-419", "es", "en")
    assert fallback_chain(None, "ru") == ("ru", "en")


def test_pick_text_follows_the_chain_and_then_any_text():
    texts = {"pt": "Estamos a corrigir.", "he": "מתקנים", "ru": "Чиним"}
    assert pick_text(texts, "pt-BR", "he") == ("pt", "Estamos a corrigir.")
    assert pick_text(texts, "tr", "he") == ("he", "מתקנים")
    assert pick_text({"ru": "Чиним"}, "tr", "he") == ("ru", "Чиним")
    assert pick_text({"en": "Fixing"}, "en-US", "en") == ("en", "Fixing")


@pytest.mark.parametrize("locale", ["ar", "he", "fa", "ur", "yi", "ps", "ku-Arab", "he-IL", "ckb"])
def test_every_right_to_left_language_is_rtl(locale):
    assert direction(locale) == "rtl"


@pytest.mark.parametrize("locale", ["en", "ru", "tr", "bg", "ku", "pt-br", "", None])
def test_other_languages_are_ltr(locale):
    assert direction(locale) == "ltr"


def test_status_texts_take_russian_arabic_turkish_and_keep_regional_codes():
    stage, texts = clean_status(
        "identified", {"ru": "Чиним", "ar": "نصلح", "tr": "Düzeltiyoruz", "pt-BR": "Br"}
    )
    assert texts == {"ru": "Чиним", "ar": "نصلح", "tr": "Düzeltiyoruz", "pt-br": "Br"}
    with pytest.raises(InvalidInput, match="Unknown language 'tlh'"):
        clean_status("identified", {"tlh": "Klingon"})


def test_an_incident_can_default_to_any_zendesk_language():
    draft = clean_draft("Checkout down", ["checkout"], {"ro": "Reparăm"}, default_locale="ro")
    assert draft.default_locale == "ro"


def test_an_outreach_message_in_russian_gets_its_status_in_russian():
    messages = clean_messages(
        {"ru": {"subject": "Сбой", "body": "{{status}}"}, "he": {"subject": "תקלה", "body": "{{status}}"}}
    )
    rendered = render_for(
        messages,
        Customer(email="ivan@example.com", name="Ivan", locale="ru"),
        default_locale="he",
        incident_title="Checkout",
        status_texts={"he": "מתקנים", "ru": "Чиним"},
        status_page_url="",
        coupon=None,
    )
    assert (rendered.locale, rendered.body) == ("ru", "Чиним")


def test_an_arabic_outreach_message_is_right_to_left():
    rendered = render_for(
        {"ar": Message("عطل", "نعتذر")},
        Customer(email="a@example.com", name="Amal", locale="ar"),
        default_locale="en",
        incident_title="Checkout",
        status_texts={},
        status_page_url="",
        coupon=None,
    )
    assert rendered.direction == "rtl"


def test_a_profile_language_set_apart_from_the_default_wins():
    choice = reply_language(
        profile_locale="ru", account_locale="en-US", detected=DetectedLanguage("he", 0.99)
    )
    assert (choice.locale, choice.source) == ("ru", LanguageSource.PROFILE)


def test_the_default_profile_language_gives_way_to_the_words_written():
    detected = DetectedLanguage("he", 0.97)
    choice = reply_language(profile_locale="en-US", account_locale="en-US", detected=detected)
    assert (choice.locale, choice.source, choice.confidence) == ("he", LanguageSource.DETECTED, 0.97)
    note = explain_language(choice, "he", account_locale="en-US", detected=detected)
    assert "detected, confidence 0.97" in note and "'he'" in note


def test_an_unsure_detection_leaves_the_default():
    detected = DetectedLanguage("nl", 0.12)
    choice = reply_language(profile_locale="en-US", account_locale="en-US", detected=detected)
    assert (choice.locale, choice.source) == ("en", LanguageSource.ACCOUNT_DEFAULT)
    assert "too unsure" in explain_language(choice, "en", account_locale="en-US", detected=detected)


def test_the_note_says_when_a_fallback_answered():
    choice = reply_language(profile_locale="pt-BR", account_locale="en-US", detected=None)
    note = explain_language(choice, "pt", account_locale="en-US", detected=None)
    assert "profile language" in note and "No text in 'pt-br' yet" in note
