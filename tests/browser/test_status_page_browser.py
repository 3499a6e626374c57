"""The public status page on a phone (390 px) in Hebrew and Bulgarian, as a customer opens it:
no login, no sideways scrolling, Hebrew right to left, and times in the visitor's own zone (the
page's one script, allowed by the strict content security policy)."""

from __future__ import annotations

import pytest
import requests

from tests.factories import AUTH

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

STATUS = {
    "en": "Checkout is down; we are on it. Follow it at {{status_page_url}}",
    "he": "מערכת התשלום באתר מושבתת כרגע ולא ניתן להשלים הזמנות; צוות ההנדסה שלנו כבר עובד על תיקון. עדכונים: {{status_page_url}}",
    "bg": "Плащането на сайта не работи в момента; инженерите ни работят по възстановяването на обслужването. "
    "Следете на {{status_page_url}}",
}


def _public_incident(live_server: str) -> str:
    declared = requests.post(
        f"{live_server}/api/v1/incidents",
        json={
            "title": "Плащането на сайта не работи за всички клиенти на магазина",
            "phrases": ["checkout fails"],
            "status_texts": STATUS,
            "default_locale": "en",
        },
        headers=AUTH,
        timeout=10,
    )
    assert declared.status_code == 201, declared.text
    incident_id = declared.json()["id"]
    requests.post(
        f"{live_server}/api/v1/incidents/{incident_id}/status",
        json={"stage": "identified", "texts": STATUS, "broadcast": False},
        headers=AUTH,
        timeout=10,
    ).raise_for_status()
    published = requests.put(
        f"{live_server}/api/v1/incidents/{incident_id}/public",
        json={"public": True, "slug": "checkout-is-down-for-every-customer-of-the-store"},
        headers=AUTH,
        timeout=10,
    )
    published.raise_for_status()
    return f"/status/{published.json()['slug']}"


@pytest.mark.parametrize(("locale", "direction"), [("he-IL", "rtl"), ("bg-BG", "ltr")])
def test_the_page_fits_a_phone_in_hebrew_and_bulgarian(browser, live_server, locale, direction):
    path = _public_incident(live_server)
    context = browser.new_context(
        base_url=live_server,
        viewport={"width": 390, "height": 844},
        locale=locale,
        timezone_id="Asia/Jerusalem" if locale == "he-IL" else "Europe/Sofia",
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    for url in (path, "/status"):
        page.goto(url)
        html = page.locator("html")
        assert html.get_attribute("lang") == locale[:2]
        assert html.get_attribute("dir") == direction
        expect(page.locator("main")).to_have_css("direction", direction)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
        first_time = page.locator("time").first
        expect(first_time).not_to_contain_text("UTC", timeout=5000)  # the script rewrote it locally
        assert first_time.get_attribute("datetime").endswith("Z")
    assert page.context.cookies() == []
    assert errors == []  # nothing refused by the content security policy
    context.close()
