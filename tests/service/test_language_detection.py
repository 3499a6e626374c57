"""The offline detector behind the domain's LanguageDetector port: no network, Zendesk's codes."""

import pytest

from service.language_detection import OfflineLanguageDetector, written_language


@pytest.fixture(scope="module")
def detector():
    return OfflineLanguageDetector()


@pytest.mark.parametrize(
    "text, locale",
    [
        ("Здравствуйте! Оплата не проходит, деньги списали дважды, что делать?", "ru"),
        ("الدفع في الموقع لا يعمل منذ الصباح", "ar"),
        ("התשלום באתר לא עובד כבר שעתיים", "he"),
        ("Плащането на сайта не работи от сутринта", "bg"),
        ("Siparişim hâlâ gelmedi, ödeme iki kez çekildi", "tr"),
        ("O pagamento no site não funciona", "pt"),
    ],
)
def test_it_names_the_language_by_its_customer_text_code(detector, text, locale):
    found = detector.detect(text)
    assert found is not None and found.locale == locale and found.confidence >= 0.5


def test_text_without_letters_tells_nothing(detector):
    assert detector.detect("#48213 !!! 500") is None
    assert detector.detect("") is None


def test_it_reads_the_text_only_when_the_profile_does_not_say(detector):
    hebrew = "התשלום באתר לא עובד"
    assert written_language(detector, profile_locale="ru", account_locale="en-US", text=hebrew) is None
    found = written_language(detector, profile_locale="en-US", account_locale="en-US", text=hebrew)
    assert found is not None and found.locale == "he"
