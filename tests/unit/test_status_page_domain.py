"""The status page's pure part: slugs, the visitor's language, texts for a reader nobody knows,
and ``{{status_page_url}}`` in the status reply, the macro's text and outreach messages."""

from datetime import UTC, datetime

import pytest

from service.domain.outreach.audience import Customer
from service.domain.outreach.messages import Message, render_for
from service.domain.status_page.pages import (
    InvalidSlug,
    clean_slug,
    public_text,
    slug_for_title,
    visitor_locale,
)
from service.domain.status_text import helpdesk_status_text, status_reply

AT = datetime(2026, 12, 2, 13, 30, tzinfo=UTC)
URL = "https://help.example.com/status/checkout-is-down"


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Checkout is down!", "checkout-is-down"),
        ("Café — paiement", "cafe-paiement"),
        ("התשלום לא עובד", "incident"),
    ],
)
def test_a_slug_from_the_title(title, slug):
    assert slug_for_title(title) == slug


@pytest.mark.parametrize("bad", ["", "Has space", "-lead", "trail-", "dou--ble", "a" * 61, "ünï"])
def test_a_slug_an_admin_gives_is_checked(bad):
    with pytest.raises(InvalidSlug):
        clean_slug(bad)
    assert clean_slug(" Checkout-EU ") == "checkout-eu"


def test_the_visitors_language():
    written = ["en", "he", "pt"]
    assert visitor_locale("bg", ["he"], written, "en") == "bg"  # asked: taken, the text falls back
    assert visitor_locale(None, ["de", "pt-BR", "he"], written, "en") == "pt-br"
    assert visitor_locale(None, ["de", "fr"], written, "he") == "he"
    assert visitor_locale("xx", [], written, "en") == "en"


def test_a_public_text_leaves_out_the_name_and_the_helpdesks_placeholders():
    text = "Здравейте, {{first_name}}, плащането не работи ({{incident_title}}).\n\n{{satisfaction.rating_section}}"
    assert public_text(text, incident_title="Checkout", status_time=AT, page_url=URL) == (
        "Здравейте, плащането не работи (Checkout)."
    )


def test_status_page_url_in_the_reply_the_macro_and_outreach():
    texts = {"en": "Hi {{first_name}}, see {{status_page_url}}"}
    _, reply = status_reply(
        texts, "en", "en", requester_name="Ann Lee", incident_title="X", status_time=AT, status_page_url=URL
    )
    assert reply == f"Hi Ann, see {URL}"
    macro = helpdesk_status_text(
        texts["en"],
        first_name_placeholder="{{ticket.requester.first_name}}",
        incident_title="X",
        status_time=AT,
        status_page_url=URL,
    )
    assert macro == f"Hi {{{{ticket.requester.first_name}}}}, see {URL}"
    rendered = render_for(
        {"en": Message("About {{incident_title}}", "{{status}} Page: {{status_page_url}}")},
        Customer(email="ann@example.com", name="Ann Lee", locale="en"),
        default_locale="en",
        incident_title="X",
        status_texts=texts,
        status_page_url=URL,
        coupon=None,
    )
    assert rendered.body == f"Hi Ann, see {URL} Page: {URL}" and rendered.unknown == ()
